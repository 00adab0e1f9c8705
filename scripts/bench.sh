#!/usr/bin/env bash
# Benchmark harness for the reference workloads of docs/WORKLOADS.md.
# Each workload runs in a fresh JVM (so peak RSS is its own); prints one table.
#
#   scripts/bench.sh [--workloads w1,w2] [--epochs 3] [--data fashion-mnist] [--backend cpu]
#                    [--source memory|shards|folder|memory,shards] [--loader-threads 1] [--repeat 1]
#                    [--native-openblas]   # unset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, as on a user's machine
#
# Columns: samples/s over epochs 2..N (epoch 1 is warm-up), test loss after N epochs (as defined in docs/WORKLOADS.md#losses),
# peak resident memory of the process, and on the CPU the share of training time spent inside GEMM, the rate of the
# run's own GEMM shapes each timed alone (raw_GF/s) and the ratio of training time to that pure GEMM time; a second
# table splits the training time into op groups (GEMM, element-wise, loss, optimizer, conv, other).
# --source: memory (the training split uploaded whole), shards (streamed from a shard directory written once under
# target/bench-data), folder (PNG files written once under target/bench-data, decoded by --loader-threads threads;
# the decode rate of those threads alone is printed too). With several sources and --repeat R the runs alternate
# (memory shards memory shards ...), and each source's samples/s is also given as the median of its pair-by-pair
# ratios to the first source, so a machine whose speed drifts still gives a fair ratio. --source vs-shards (or
# vs-folder) does it inside one JVM instead: after a warm-up epoch of each, it alternates one epoch in memory and one
# streamed, --epochs pairs, from the same initial weights, and prints every epoch's rate and the pairs' ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
WORKLOADS=w1,w2; EPOCHS=3; DATA=fashion-mnist; BACKEND=cpu; NATIVE=0; SOURCES=memory; THREADS=1; REPEAT=1
while [ $# -gt 0 ]; do
  case "$1" in
    --workloads) WORKLOADS=$2; shift 2;;
    --epochs) EPOCHS=$2; shift 2;;
    --data) DATA=$2; shift 2;;
    --backend) BACKEND=$2; shift 2;;
    --source) SOURCES=$2; shift 2;;
    --loader-threads) THREADS=$2; shift 2;;
    --repeat) REPEAT=$2; shift 2;;
    --native-openblas) NATIVE=1; shift;;
    -h|--help) sed -n 2,19p "$0"; exit 0;;
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
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-(unset)} backend=$BACKEND data=$DATA epochs=$EPOCHS sources=$SOURCES loader-threads=$THREADS repeat=$REPEAT"
IFS=, read -ra WS <<< "$WORKLOADS"
IFS=, read -ra SS <<< "$SOURCES"
RESULTS=$(mktemp)
trap 'rm -f "$RESULTS"' EXIT
for w in "${WS[@]}"; do
  for ((rep = 1; rep <= REPEAT; rep++)); do
    for s in "${SS[@]}"; do
      line=$("$JAVA" -Xmx4g --add-modules jdk.incubator.vector ${JAVA_OPTS:-} -Djava.awt.headless=true -cp "$JAR:target/lib/*" dev.bottleneck.bench.Bench "$w" "$DATA" "$EPOCHS" "$BACKEND" "$s" "$THREADS" 2>/dev/null | tail -1)
      echo "$rep $line" >> "$RESULTS"
    done
  done
done
python3 - "$RESULTS" <<'PY'
import json, statistics, sys
runs, vs = [], []
for l in open(sys.argv[1]):
    rep, js = l.split(" ", 1)
    r = json.loads(js); r["rep"] = int(rep)
    (vs if r.get("source", "").startswith("vs-") else runs).append(r)
if vs:
    print("| workload | streamed | loader threads | memory samples/s (each epoch) | streamed samples/s | streamed / memory, pair by pair | median ratio | steps waited for data (s per epoch) | decode/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in vs:
        s = r["source"][3:]
        print("| %s | %s | %s | %s | %s | %s | %.3f | %s | %s |" % (r["workload"], s, r.get("loader_threads"),
              " ".join("%d" % v for v in r["memory_samples_per_s"]), " ".join("%d" % v for v in r[s + "_samples_per_s"]),
              " ".join("%.3f" % v for v in r["ratios"]), r["median_ratio"], " ".join("%.2f" % v for v in r.get("loader_wait_s", [])),
              r.get("decode_images_per_s", "-")))
    if not runs:
        sys.exit(0)
g = lambda r, k, f: (f % r[k]) if r.get(k) is not None else "-"
print("| %-8s | %-7s | %-7s | %7s | %10s | %9s | %9s | %10s | %9s | %9s | %10s | %9s | %9s |" % ("workload", "backend", "source", "threads",
      "samples/s", "test_loss", "peak_MiB", "gemm_share", "raw_GF/s", "vs_GEMM", "conv_share", "conv_GF/s", "decode/s"))
print("|%s|" % "|".join("-" * n for n in (10, 9, 9, 9, 12, 11, 11, 12, 11, 11, 12, 11, 11)))
for r in runs:
    conv = g(r, "conv_gflops_in_training", "%.0f") + (" of " + g(r, "raw_gemm_gflops_1024", "%.0f") if r.get("raw_gemm_gflops_1024") else "")
    print("| %-8s | %-7s | %-7s | %7s | %10s | %9s | %9s | %10s | %9s | %9s | %10s | %9s | %9s |" % (r["workload"], r["backend"],
          r.get("source", "memory"), r.get("loader_threads", "-") if r.get("source", "memory") != "memory" else "-", g(r, "samples_per_s", "%d"),
          g(r, "test_loss", "%.4f"), g(r, "peak_rss_mib", "%.0f"), g(r, "gemm_share", "%.2f"), g(r, "raw_gemm_gflops", "%.0f"),
          g(r, "ratio_to_pure_gemm", "%.2fx"), g(r, "conv_share", "%.2f"), conv, g(r, "decode_images_per_s", "%d")))
if any(r.get("shares") for r in runs):
    print()
    print("Where training time goes (share of epochs 2..N wall time, op groups timed by the backend; other = data, graph, JIT):")
    print("| workload | gemm | element-wise | loss | optimizer | conv | other | train s | pure GEMM s | train / pure GEMM |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        sh = r.get("shares") or {}
        f = lambda k: "%.2f" % sh[k] if k in sh else "-"
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (r["workload"], f("gemm"), f("elementwise"), f("loss"),
              f("optimizer"), f("conv"), f("other"), g(r, "train_seconds", "%.1f"), g(r, "pure_gemm_seconds", "%.1f"),
              g(r, "ratio_to_pure_gemm", "%.2fx")))
sources = list(dict.fromkeys(r.get("source", "memory") for r in runs))
if len(sources) > 1:
    base = sources[0]
    print()
    print("| workload | source | median samples/s | median ratio to %s (pair by pair) | pairs |" % base)
    print("|---|---|---|---|---|")
    for w in dict.fromkeys(r["workload"] for r in runs):
        by = {(r["rep"], r.get("source", "memory")): r["samples_per_s"] for r in runs if r["workload"] == w}
        for s in sources:
            vals = [v for (rep, src), v in by.items() if src == s]
            ratios = [by[(rep, s)] / by[(rep, base)] for (rep, src) in by if src == base and (rep, s) in by]
            print("| %s | %s | %d | %.3f | %d |" % (w, s, statistics.median(vals), statistics.median(ratios), len(ratios)))
PY
