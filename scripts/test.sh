#!/usr/bin/env bash
# The test command on a fresh machine: install the real data sets the tests use, check that every CUDA kernel
# compiles where nvcc exists, install g++ for the kernel emulator if missing, then build and run the whole test
# suite (GPU tests skip, saying why, without a GPU; the CUDA kernels run in the emulator instead).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/fetch-data.sh
scripts/fetch-data.sh --only movielens  # R + dslabs via apt (about 20 s): the recommendation end-to-end test
if [ -x native/check-kernels.sh ]; then native/check-kernels.sh; fi
# g++ builds the kernel emulator (native/emu), on which the conformance suite runs the CUDA kernels without a GPU
if ! command -v g++ >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    as_root=""; [ "$(id -u)" = 0 ] || as_root="sudo"
    $as_root apt-get install -y -qq g++ || { $as_root apt-get update -qq && $as_root apt-get install -y -qq g++; } \
        || echo "test.sh: could not install g++ with apt; the kernel emulator's tests will skip, saying why"
fi
mvn -B verify "$@"
