#!/usr/bin/env bash
# The test command on a fresh machine: install the real data sets the tests use, check that every CUDA kernel
# compiles where nvcc exists, then build and run the whole test suite (GPU tests skip, saying why, without a GPU).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/fetch-data.sh
scripts/fetch-data.sh --only movielens  # R + dslabs via apt (about 20 s): the recommendation end-to-end test
if [ -x native/check-kernels.sh ]; then native/check-kernels.sh; fi
mvn -B verify "$@"
