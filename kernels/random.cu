// random.cu: counter-based random numbers (element i is a pure function of (seed, counter + i)).
//
// Computes: uniform on [lo, lo + width), standard normal (Box-Muller) scaled to mean/std, Bernoulli(p) as 1/0.
// The 64-bit hash is bn_bits in common.cuh (two SplitMix64 finaliser rounds). The affine step is done in double
// with explicit round-to-nearest intrinsics (no FMA contraction), so uniform and bernoulli are bit-identical to
// the CPU; normal uses the GPU's double log/cos (within a double ulp of Java's, so equal after float rounding
// except in rare ties).
// Launch shape: 1-D grid-stride loop, BN_BLOCK (256) threads per block.
// Must match: dev.bottleneck.backend.CounterRng.uniform / normal and dev.bottleneck.backend.cpu.CpuBackend
// random ops: out = (float) (lo + (hi - lo) * u), (float) (mean + std * z), u < p ? 1 : 0.
#include "common.cuh"

__device__ __forceinline__ double bn_uniform(u64 seed, u64 index) {
    return (double) (bn_bits(seed, index) >> 40) * BN_TWO_M24;
}

extern "C" __global__ void rng_uniform(float* out, i64 n, u64 seed, u64 counter, double lo, double width) {
    BN_GRID_STRIDE(i, n) {
        const double u = bn_uniform(seed, counter + (u64) i);
        out[i] = (float) __dadd_rn(lo, __dmul_rn(width, u));
    }
}

extern "C" __global__ void rng_normal(float* out, i64 n, u64 seed, u64 counter, double mean, double stddev) {
    const double twoPi = __dmul_rn(2.0, 3.141592653589793);
    BN_GRID_STRIDE(i, n) {
        const u64 b = bn_bits(seed, counter + (u64) i);
        const double u1 = (double) ((b >> 40) + 1ULL) * BN_TWO_M24;          // (0, 1]
        const double u2 = (double) ((b >> 16) & 0xFFFFFFULL) * BN_TWO_M24;   // [0, 1)
        const double z = __dmul_rn(sqrt(__dmul_rn(-2.0, log(u1))), cos(__dmul_rn(twoPi, u2)));
        out[i] = (float) __dadd_rn(mean, __dmul_rn(stddev, z));
    }
}

extern "C" __global__ void rng_bernoulli(float* out, i64 n, u64 seed, u64 counter, double p) {
    BN_GRID_STRIDE(i, n) {
        out[i] = bn_uniform(seed, counter + (u64) i) < p ? 1.0f : 0.0f;
    }
}
