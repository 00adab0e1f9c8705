// gather.cu: row gather for assembling a shuffled batch from a data set that lives on the GPU.
//
// Computes: dst[r, c] = src[idx[r], c] for r < rows, c < cols (idx already uploaded and range-checked on the
// host; src and dst row-major with `cols` elements per row).
// Launch shape: 1-D grid-stride loop over rows*cols, BN_BLOCK (256) threads per block.
// Must match: dev.bottleneck.backend.cpu.CpuBackend MemoryOps.gatherRows.
#include "common.cuh"

extern "C" __global__ void gather_rows(const float* src, const int* idx, float* dst, i64 rows, i64 cols) {
    const i64 n = rows * cols;
    BN_GRID_STRIDE(i, n) {
        const i64 r = i / cols;
        const i64 c = i - r * cols;
        dst[i] = src[(i64) idx[r] * cols + c];
    }
}
