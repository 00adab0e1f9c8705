// reduce.cu: deterministic reductions of float32 tensors (double accumulators, no atomics).
//
// Computes: sum, sum of squares, non-finite flag (two stages: red_partials writes one double per block,
// red_finish folds them in one block), and sumTo (the reverse of broadcasting: sums the stretched dimensions
// of x down to out's shape, out = beta*out + sum).
// Launch shape: red_partials: BN_BLOCK (256) threads, grid = partial count G (<= 1024, a function of n only,
// so the order of additions never depends on the GPU); red_finish: 1 block of 1024 threads;
// red_sum_to_thread: one thread per output element (grid-stride); red_sum_to_block: one 256-thread block per
// output element (grid-stride over outputs).
// Must match: dev.bottleneck.backend.cpu.CpuBackend reductions (ReduceOps.sum / sumSquares / nonFinite / sumTo):
// double accumulation, result rounded to float once.
#include "common.cuh"

/** Kept (output) dimensions with their x strides, and reduced dimensions with theirs; row-major. */
struct BnReduce {
    i64 keepDims[BN_MAX_RANK];
    i64 keepStrides[BN_MAX_RANK];
    i64 redDims[BN_MAX_RANK];
    i64 redStrides[BN_MAX_RANK];
    int nKeep;
    int nRed;
};

/** mode 0: sum x; 1: sum x^2; 2: count of NaN/inf. partials[blockIdx.x] = this block's share. */
extern "C" __global__ void red_partials(int mode, const float* x, i64 n, double* partials) {
    double acc = 0.0;
    BN_GRID_STRIDE(i, n) {
        const float v = x[i];
        if (mode == 0) acc += (double) v;
        else if (mode == 1) acc += (double) v * (double) v;
        else acc += bn_nonfinite(v) ? 1.0 : 0.0;
    }
    acc = bn_block_sum(acc);
    if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

/**
 * Folds `count` partials (count <= blockDim.x) into out[0]:
 * flag == 0: out = sum / divisor + (beta == 0 ? 0 : beta*out);  flag == 1: out = sum > 0 ? 1 : 0.
 */
extern "C" __global__ void red_finish(const double* partials, int count, float* out, double divisor, double beta,
                                      int flag) {
    double acc = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
    acc = bn_block_sum(acc);
    if (threadIdx.x == 0) {
        if (flag) {
            out[0] = acc > 0.0 ? 1.0f : 0.0f;
        } else {
            const double old = beta == 0.0 ? 0.0 : beta * (double) out[0];
            out[0] = (float) (acc / divisor + old);
        }
    }
}

/** x offset of output element o (decomposed over the kept dimensions). */
__device__ __forceinline__ i64 bn_keep_offset(const BnReduce& s, i64 o) {
    i64 off = 0;
    for (int d = s.nKeep - 1; d >= 0; d--) {
        off += (o % s.keepDims[d]) * s.keepStrides[d];
        o /= s.keepDims[d];
    }
    return off;
}

/** x offset of reduced element r (decomposed over the reduced dimensions). */
__device__ __forceinline__ i64 bn_red_offset(const BnReduce& s, i64 r) {
    if (s.nRed == 1) return r * s.redStrides[0];
    i64 off = 0;
    for (int d = s.nRed - 1; d >= 0; d--) {
        off += (r % s.redDims[d]) * s.redStrides[d];
        r /= s.redDims[d];
    }
    return off;
}

/** One thread per output element: for many outputs (e.g. the column sums of a wide [N, D] gradient). */
extern "C" __global__ void red_sum_to_thread(const float* x, float* out, i64 nOut, i64 nRed, BnReduce s,
                                             double beta) {
    BN_GRID_STRIDE(o, nOut) {
        const i64 base = bn_keep_offset(s, o);
        double acc = 0.0;
        for (i64 r = 0; r < nRed; r++) acc += (double) x[base + bn_red_offset(s, r)];
        const double old = beta == 0.0 ? 0.0 : beta * (double) out[o];
        out[o] = (float) (acc + old);
    }
}

/** One block per output element: for few outputs with long reductions (e.g. row sums, narrow bias grads). */
extern "C" __global__ void red_sum_to_block(const float* x, float* out, i64 nOut, i64 nRed, BnReduce s,
                                            double beta) {
    __shared__ double result;
    for (i64 o = blockIdx.x; o < nOut; o += gridDim.x) {
        const i64 base = bn_keep_offset(s, o);
        double acc = 0.0;
        for (i64 r = threadIdx.x; r < nRed; r += blockDim.x) acc += (double) x[base + bn_red_offset(s, r)];
        // block reduction without the static-shared helper so the loop may run it more than once
        for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
        __shared__ double warpSums[32];
        const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
        if (lane == 0) warpSums[warp] = acc;
        __syncthreads();
        if (warp == 0) {
            const int warps = (blockDim.x + 31) >> 5;
            double v = lane < warps ? warpSums[lane] : 0.0;
            for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
            if (lane == 0) result = v;
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            const double old = beta == 0.0 ? 0.0 : beta * (double) out[o];
            out[o] = (float) (result + old);
        }
        __syncthreads();   // warpSums/result are reused by the next output of this block
    }
}
