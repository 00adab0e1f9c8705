#!/usr/bin/env bash
# Compile check of kernels/*.cu with nvcc (see native/Makefile): fails on any compile error or warning.
# Where no nvcc is installed it says so and exits 0, so CPU-only CI can call it unconditionally;
# pass --require to make a missing nvcc an error instead.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

nvcc_bin="${NVCC:-}"
if [[ -z "$nvcc_bin" ]]; then
    if command -v nvcc >/dev/null 2>&1; then
        nvcc_bin="$(command -v nvcc)"
    else
        for c in /usr/local/cuda/bin/nvcc /usr/local/cuda-13*/bin/nvcc; do
            [[ -x "$c" ]] && { nvcc_bin="$c"; break; }
        done
    fi
fi

if [[ -z "$nvcc_bin" ]]; then
    if [[ "${1:-}" == "--require" ]]; then
        echo "check-kernels: FAILED: nvcc not found (install the CUDA 13 toolkit or set NVCC=/path/to/nvcc)" >&2
        exit 1
    fi
    echo "check-kernels: SKIPPED: nvcc not found (install the CUDA 13 toolkit or set NVCC=/path/to/nvcc); kernels were not compiled"
    exit 0
fi

echo "check-kernels: using $("$nvcc_bin" --version | tail -n 2 | head -n 1) ($nvcc_bin)"
make -C "$here" --no-print-directory NVCC="$nvcc_bin" all
