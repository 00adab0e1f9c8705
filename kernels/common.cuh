// common.cuh: helpers shared by every kernels/*.cu file.
//
// Included by NVRTC as "common.cuh" (the CUDA backend passes it as an in-memory header) and by nvcc through
// -I kernels (native/Makefile). No standard headers: NVRTC has none by default, so only builtins are used.
//
// - integer aliases, the grid-stride loop macro, the block size every element-wise kernel is launched with;
// - bn_block_sum: a deterministic block reduction (fixed shuffle tree, then a fixed tree over the warps);
// - bn_bits: the counter-based generator of dev.bottleneck.backend.CounterRng, bit for bit.
#pragma once

typedef long long i64;
typedef unsigned long long u64;

/** Threads per block for element-wise kernels (the Java side launches with the same constant). */
#define BN_BLOCK 256
/** Largest tensor rank the broadcasting / sumTo kernels take (after dropping size-1 dims and coalescing). */
#define BN_MAX_RANK 8

/** for (i64 i = global thread index; i < n; i += total threads) */
#define BN_GRID_STRIDE(i, n) \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)

/**
 * Sum of v over the block; the result is valid in thread 0 only. blockDim.x must be a multiple of 32 and at
 * most 1024. The order of additions is fixed by the launch shape, so results are the same on every run.
 * Call at most once per kernel (it uses one static shared array).
 */
__device__ __forceinline__ double bn_block_sum(double v) {
    __shared__ double warpSums[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    if (lane == 0) warpSums[warp] = v;
    __syncthreads();
    const int warps = (blockDim.x + 31) >> 5;
    v = (threadIdx.x < (unsigned) warps) ? warpSums[threadIdx.x] : 0.0;
    if (warp == 0) {
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    }
    return v;
}

/** True when x is NaN or +-infinity (no <cmath> under NVRTC). */
__device__ __forceinline__ bool bn_nonfinite(float x) {
    return !(x - x == 0.0f);
}

// ---- CounterRng (dev.bottleneck.backend.CounterRng): SplitMix64 finaliser, two rounds --------------------

#define BN_GOLDEN 0x9E3779B97F4A7C15ULL

__device__ __forceinline__ u64 bn_mix(u64 z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/** 64 random bits for element `index` of stream `seed` (Java long arithmetic wraps like u64). */
__device__ __forceinline__ u64 bn_bits(u64 seed, u64 index) {
    return bn_mix(bn_mix(seed * BN_GOLDEN + 0x632BE59BD9B4E019ULL) ^ (index * BN_GOLDEN));
}

/** 2^-24 */
#define BN_TWO_M24 5.9604644775390625e-8
