#!/usr/bin/env bash
# Benchmark harness for the reference workloads of docs/WORKLOADS.md.
# Each workload runs in a fresh JVM (so peak RSS is its own); prints one table.
#
#   scripts/bench.sh [--workloads w1,w2] [--epochs 3] [--data fashion-mnist] [--backend cpu]
#                    [--native-openblas]   # unset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, as on a user's machine
#
# Columns: samples/s over epochs 2..N (epoch 1 is warm-up), test loss after N epochs (as defined in docs/WORKLOADS.md#losses),
# peak resident memory of the process, and on the CPU the share of training time spent inside GEMM, the raw
# GEMM rate of the same layer shapes and the ratio of training time to pure GEMM time.
set -euo pipefail
cd "$(dirname "$0")/.."
WORKLOADS=w1,w2; EPOCHS=3; DATA=fashion-mnist; BACKEND=cpu; NATIVE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --workloads) WORKLOADS=$2; shift 2;;
    --epochs) EPOCHS=$2; shift 2;;
    --data) DATA=$2; shift 2;;
    --backend) BACKEND=$2; shift 2;;
    --native-openblas) NATIVE=1; shift;;
    -h|--help) sed -n 2,12p "$0"; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
JAR=target/bottleneck.jar
if [ ! -f "$JAR" ] || [ -n "$(find src kernels -newer "$JAR" -type f 2>/dev/null | head -1)" ]; then
  mvn -B -q -DskipTests package >&2
fi
JAVA=${JAVA:-java}
if [ "$NATIVE" = 1 ]; then unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-(unset)} backend=$BACKEND data=$DATA epochs=$EPOCHS"
printf '| %-8s | %-7s | %10s | %9s | %9s | %10s | %9s | %9s | %10s | %9s |\n' workload backend samples/s test_loss peak_MiB gemm_share raw_GF/s vs_GEMM conv_share conv_GF/s
printf '|%s|\n' "----------|---------|------------|-----------|-----------|------------|-----------|-----------|------------|-----------"
IFS=, read -ra WS <<< "$WORKLOADS"
for w in "${WS[@]}"; do
  line=$("$JAVA" -Xmx4g -cp "$JAR:target/lib/*" dev.bottleneck.bench.Bench "$w" "$DATA" "$EPOCHS" "$BACKEND" 2>/dev/null | tail -1)
  python3 - "$line" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
g = lambda k, f: (f % r[k]) if r.get(k) is not None else "-"
print("| %-8s | %-7s | %10s | %9s | %9s | %10s | %9s | %9s | %10s | %9s |" % (r["workload"], r["backend"], g("samples_per_s", "%d"),
      g("test_loss", "%.4f"), g("peak_rss_mib", "%.0f"), g("gemm_share", "%.2f"), g("raw_gemm_gflops", "%.0f"),
      g("ratio_to_pure_gemm", "%.2fx"), g("conv_share", "%.2f"), (g("conv_gflops_in_training", "%.0f") + (" of " + g("raw_gemm_gflops_1024", "%.0f") if r.get("raw_gemm_gflops_1024") else ""))))
PY
done
