#!/usr/bin/env bash
# Memory does not grow with the data: writes MNIST repeated (random crops and noise) as uint8 shards of 1x and 4x
# the size given, trains W1 on each in a fresh JVM whose heap is far smaller than the data (10% validation hold-out,
# as train does by default; 4 epochs of 1x and 1 epoch of 4x, the same number of steps), and prints the peak
# resident memory of both runs (from /usr/bin/time -v), the backend's peak and the ratio. The heap is fixed and
# touched up front (-Xms = -Xmx, -XX:+AlwaysPreTouch), so both runs hold the same heap however long they run: a
# heap fills its -Xmx over a long run whatever it trains on, and that is not what is measured here.
#
#   scripts/shard-memory.sh [--size 512MB] [--heap 256m] [--dir /tmp/shard-memory] [--keep]
#
# --size is the 1x size (4x is four times it); the shards are deleted afterwards unless --keep.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=512MB; HEAP=256m; DIR=${TMPDIR:-/tmp}/shard-memory; KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE=$2; shift 2;;
    --heap) HEAP=$2; shift 2;;
    --dir) DIR=$2; shift 2;;
    --keep) KEEP=1; shift;;
    -h|--help) sed -n 2,8p "$0"; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
JAR=target/bottleneck.jar
if [ ! -f "$JAR" ] || [ -n "$(find src -newer "$JAR" -type f 2>/dev/null | head -1)" ]; then
  mvn -B -q -o -DskipTests package >&2 || mvn -B -q -DskipTests package >&2
fi
JAVA=${JAVA:-java}
CP="$JAR:target/lib/*"
BYTES=$(python3 -c "
import re,sys
m=re.fullmatch(r'([0-9.]+)\s*([kmgt]?)i?b?', sys.argv[1].strip().lower())
print(int(float(m.group(1)) * 1024 ** ' kmgt'.index(m.group(2) or ' ')))" "$SIZE")
mkdir -p "$DIR"
[ "$KEEP" = 1 ] || trap 'rm -rf "$DIR"' EXIT
echo "machine: $(nproc) cores; heap -Xmx$HEAP; 1x = $SIZE"
rows=()
for k in 1 4; do
  d="$DIR/x$k"
  if [ ! -f "$d/manifest.json" ]; then
    rm -rf "$d"
    "$JAVA" --add-modules jdk.incubator.vector -cp "$CP" dev.bottleneck.bench.ShardMemory "$d" $((BYTES * k)) >&2
  fi
  out="$DIR/run-x$k"; rm -rf "$out"
  log="$DIR/time-x$k.txt"
  /usr/bin/time -v -o "$log" "$JAVA" -Xms"$HEAP" -Xmx"$HEAP" -XX:+AlwaysPreTouch --add-modules jdk.incubator.vector -Djava.awt.headless=true -cp "$CP" dev.bottleneck.cli.Main \
      train "$d" --model w1 --epochs $((4 / k)) --validation 0.1 --pictures 0 --backend cpu --out "$out" --json > "$DIR/train-x$k.json" 2> "$DIR/train-x$k.err" \
    || { cat "$DIR/train-x$k.err" >&2; exit 1; }
  rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
  rows+=("$k $(du -sb "$d" | cut -f1) $rss $(tail -1 "$DIR/train-x$k.json" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["backend_peak_mib"], r["samples_per_s"], r["test_loss"])')")
done
python3 - "$HEAP" "${rows[@]}" <<'PY'
import sys
heap = sys.argv[1]
rows = [r.split() for r in sys.argv[2:]]
print("| data | shard bytes | epochs | heap | backend peak | peak RSS | samples/s | test loss |")
print("|---|---|---|---|---|---|---|---|")
for k, b, rss, peak, sps, loss in rows:
    print("| %sx | %.2f GiB | %d | %s | %s MiB | %.0f MiB | %s | %.4f |" % (k, int(b) / 2**30, 4 // int(k), heap, peak, int(rss) / 1024, sps, float(loss)))
r1, r4 = int(rows[0][2]), int(rows[1][2])
print("peak RSS 4x / 1x = %.3f (%+.1f%%)" % (r4 / r1, 100 * (r4 - r1) / r1))
PY
