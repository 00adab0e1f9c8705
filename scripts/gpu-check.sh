#!/usr/bin/env bash
# Every GPU verification in one run, for a machine with an NVIDIA GPU but no Java, Maven or network.
# Prepare here:   NO_DESKTOP=1 scripts/gpu-bundle.sh --mnist 20000      (.bundle/, and .bundle.tar.xz of about 50 MB:
#                 carry the archive, the folder with the repository is over a remote machine's 64 MiB)
# Run there:      bash scripts/gpu-check.sh        (from the repository root; the log goes to $OUT or ./gpu-check-out)
#
# It runs, each step under its own time limit so that one hang cannot eat the budget:
#   1. the CUDA probe (bottleneck info --json): when it says CUDA is unavailable the check stops at once, exit 2,
#      naming the driver version and what is missing;
#   2. the conformance suite (dev.bottleneck.backend.*ConformanceTest: each op group on CUDA against the float64 CPU
#      reference) and every CUDA test (dev.bottleneck.backend.cuda.*Test), with
#      BOTTLENECK_REQUIRE_CUDA=1, so that a test that cannot use the GPU fails instead of skipping;
#   3. W1, W2 and W3 trained on the same MNIST subset with --backend cpu and --backend cuda, and W1 on cuda as a
#      data-parallel job of one rank (bottleneck launch, NCCL);
# and ends with one screen: suite / passed / failed / skipped, and test loss and samples/s per workload and backend.
# Exit status: 0 when every test passed and every training run finished, 1 otherwise, 2 when CUDA is unavailable.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
B="${BUNDLE:-$ROOT/.bundle}"
if [[ ! -x "$B/bin/bottleneck" && -f "$ROOT/.bundle.tar.xz" ]]; then  # the packed bundle: unpack it outside the tree
    mkdir -p /tmp/bottleneck-bundle
    tar -C /tmp/bottleneck-bundle -xJf "$ROOT/.bundle.tar.xz" 2>/dev/null \
        || python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$ROOT/.bundle.tar.xz" /tmp/bottleneck-bundle \
        || { echo "gpu-check: cannot unpack $ROOT/.bundle.tar.xz (no xz and no python3)"; exit 1; }
    B=/tmp/bottleneck-bundle/.bundle
fi
OUTDIR="${OUT:-$ROOT/gpu-check-out}"
mkdir -p "$OUTDIR"
LOG="$OUTDIR/gpu-check.log"
exec > >(tee -a "$LOG") 2>&1
step() { echo; echo "=== $(date +%T) $*"; }
[[ -x "$B/bin/bottleneck" ]] || { echo "gpu-check: no bundle in $B: run NO_DESKTOP=1 scripts/gpu-bundle.sh --mnist 20000 first"; exit 1; }
# BOTTLENECK_EMULATOR=off: the kernel emulator's cases are for machines without a GPU (and need the source tree)
export BOTTLENECK_DATA="$B/data" BOTTLENECK_CACHE="$OUTDIR/cache" BOTTLENECK_REQUIRE_CUDA=1 BOTTLENECK_EMULATOR=off
PY="$(command -v python3 || true)"

step "machine"
DRIVER="$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)"
nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv 2>&1 | head -3
echo "cpus: $(nproc)"

step "bottleneck info (probe)"
timeout 120 "$B/bin/bottleneck" info --json | tail -1 > "$OUTDIR/info.json"
cat "$OUTDIR/info.json"
if [[ -n "$PY" ]]; then
    verdict="$("$PY" - "$OUTDIR/info.json" <<'PYEOF'
import json, sys
try:
    c = json.load(open(sys.argv[1]))["backends"]["cuda"]
except Exception as e:
    print("unreadable: bottleneck info --json printed no usable result (%s)" % e); sys.exit(0)
print("ok" if c.get("available") else "unavailable: " + str(c.get("reason")) + " (libraries: " + str(c.get("libraries")) + ")")
PYEOF
)"
else
    verdict="$(grep -q '"cuda":{"available":true' "$OUTDIR/info.json" && echo ok || echo "unavailable: see $OUTDIR/info.json")"
fi
if [[ "$verdict" != ok ]]; then
    echo "gpu-check: STOPPED: CUDA is $verdict; NVIDIA driver: ${DRIVER:-none found (nvidia-smi failed)}"
    exit 2
fi

step "conformance suites and CUDA tests (BOTTLENECK_REQUIRE_CUDA=1)"
rm -rf "$OUTDIR/junit"
timeout 420 "$B/bin/run-tests" --scan-class-path "$B/test-classes" \
    --include-classname '^dev\.bottleneck\.backend\.[A-Za-z]+ConformanceTest$|^dev\.bottleneck\.backend\.cuda\..*Test$' \
    --exclude-classname '^dev\.bottleneck\.backend\.cuda\.(KernelEmulator|EmulatedRuntime)Test$' \
    --reports-dir "$OUTDIR/junit" 2>&1 | tail -150
TESTS_RC=${PIPESTATUS[0]}
echo "tests exit: $TESTS_RC"

TRAIN_RC=0
train() {  # model epochs backend
    timeout 240 "$B/bin/bottleneck" train mnist --data "$B/data/mnist" --model "$1" --epochs "$2" --backend "$3" \
        --pictures 0 --out "$OUTDIR/runs/$1-$3" --json 2>"$OUTDIR/$1-$3.err" | tail -1 > "$OUTDIR/$1-$3.json"
    local rc=${PIPESTATUS[0]}
    [[ $rc -eq 0 ]] || TRAIN_RC=1
    cat "$OUTDIR/$1-$3.json"; tail -3 "$OUTDIR/$1-$3.err"; echo "exit $rc"
}
step "W1 (3 epochs) cpu vs cuda";  train w1 3 cpu;  train w1 3 cuda
step "W2 (3 epochs) cpu vs cuda";  train w2 3 cpu;  train w2 3 cuda
step "W3 (2 epochs) cpu vs cuda";  train w3 2 cpu;  train w3 2 cuda
# data-parallel training as a job of one rank: NCCL init through the job's store, one all-reduce per step
step "W1 (3 epochs) cuda as a job of one rank (launch, NCCL)"
timeout 240 "$B/bin/bottleneck" launch --nproc-per-node 1 --master-port 29533 --rendezvous-timeout 60 --collective-timeout 60 -- \
    train mnist --data "$B/data/mnist" --model w1 --epochs 3 --backend cuda --pictures 0 --out "$OUTDIR/runs/w1-nccl" --json \
    2>"$OUTDIR/w1-nccl.err" | tail -1 > "$OUTDIR/w1-nccl.json"
rc=${PIPESTATUS[0]}
[[ $rc -eq 0 ]] || TRAIN_RC=1
cat "$OUTDIR/w1-nccl.json"; grep -E '^distributed|NCCL' "$OUTDIR/w1-nccl.err"; tail -2 "$OUTDIR/w1-nccl.err"; echo "exit $rc"

step "verdict"
if [[ -n "$PY" ]]; then
    "$PY" "$ROOT/scripts/gpu-verdict.py" "$OUTDIR"
else
    echo "no python3: read $OUTDIR/junit/*.xml and $OUTDIR/w*-*.json by hand"
fi
echo "log: $LOG"
[[ $TESTS_RC -eq 0 && $TRAIN_RC -eq 0 ]] && exit 0 || exit 1
