#!/usr/bin/env bash
# Every GPU verification of the open issues in one run, for the device machine (no Java, no Maven, no network).
# Prepare here:   NO_DESKTOP=1 scripts/gpu-bundle.sh --mnist 20000      (about 63 MiB with the repository)
# Run there:      bash scripts/gpu-check.sh        (from the repository root; the log goes to $OUT or ./gpu-check-out)
# It runs: the CUDA probe (info), the conformance suites on CUDA (every op against the float64 CPU reference),
# the CUDA-only tests, then W1, W2 and W3 trained on the same MNIST subset with --backend cpu and --backend cuda
# (test loss and samples/s side by side), each step under its own time limit so one hang cannot eat the budget.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
B="$ROOT/.bundle"
OUTDIR="${OUT:-$ROOT/gpu-check-out}"
mkdir -p "$OUTDIR"
LOG="$OUTDIR/gpu-check.log"
exec > >(tee -a "$LOG") 2>&1
step() { echo; echo "=== $(date +%T) $*"; }
[[ -x "$B/bin/bottleneck" ]] || { echo "no bundle in $B: run NO_DESKTOP=1 scripts/gpu-bundle.sh --mnist 20000 first"; exit 1; }
export BOTTLENECK_DATA="$B/data" BOTTLENECK_CACHE="$OUTDIR/cache"

step "machine"
nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv 2>&1 | head -3
nproc

step "bottleneck info (probe)"
timeout 120 "$B/bin/bottleneck" info --json | tail -1 | tee "$OUTDIR/info.json"

step "conformance and CUDA tests"
timeout 420 "$B/bin/run-tests" \
    --select-class dev.bottleneck.ops.ConformanceTest --select-class dev.bottleneck.ops.ConvConformanceTest \
    --select-class dev.bottleneck.ops.RnnConformanceTest --select-class dev.bottleneck.ops.CopyColumnsConformanceTest \
    --select-package dev.bottleneck.backend.cuda 2>&1 | tail -150
echo "tests exit: ${PIPESTATUS[0]}"

train() {  # model epochs backend
    timeout 240 "$B/bin/bottleneck" train mnist --data "$B/data/mnist" --model "$1" --epochs "$2" --backend "$3" \
        --pictures 0 --out "$OUTDIR/runs/$1-$3" --json 2>"$OUTDIR/$1-$3.err" | tail -1 | tee "$OUTDIR/$1-$3.json"
    tail -3 "$OUTDIR/$1-$3.err"
}
step "W1 (3 epochs) cpu vs cuda";  train w1 3 cpu;  train w1 3 cuda
step "W2 (3 epochs) cpu vs cuda";  train w2 3 cpu;  train w2 3 cuda
step "W3 (2 epochs) cpu vs cuda";  train w3 2 cpu;  train w3 2 cuda

step "summary (model backend test_loss samples/s)"
for f in "$OUTDIR"/w*-*.json; do
    python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read() or "{}"); print(sys.argv[1].split("/")[-1], r.get("backend"), r.get("test_loss"), r.get("samples_per_s"))' "$f" 2>/dev/null \
        || echo "$f: no result"
done
step "done"
