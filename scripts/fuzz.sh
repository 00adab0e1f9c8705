#!/usr/bin/env bash
# A longer run of the fuzz suite (src/test/java/dev/bottleneck/fuzz): every reader target with N inputs, the two
# command-line targets (config.json, model directory) with N/10, from run seed SEED (default: the CI seed).
# Failing inputs are saved under target/fuzz/; the per-target summary is printed at the end.
#   scripts/fuzz.sh [N] [SEED]          e.g. scripts/fuzz.sh 20000 7
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${1:-20000}"
SEED="${2:-}"
cd "$ROOT"
rm -f target/fuzz/summary.txt
args=(-B -q test -Dtest=ReaderFuzzTest -Dsurefire.failIfNoSpecifiedTests=false -Dbottleneck.fuzz.inputs="$N"
      -Djunit.jupiter.execution.timeout.mode=disabled)
[ -n "$SEED" ] && args+=(-Dbottleneck.fuzz.seed="$SEED")
rc=0
mvn "${args[@]}" || rc=$?
echo "--- fuzz summary (N=$N${SEED:+, seed $SEED}) ---"
cat target/fuzz/summary.txt 2>/dev/null || true
exit $rc
