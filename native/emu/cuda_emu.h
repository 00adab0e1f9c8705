// cuda_emu.h: the CUDA device built-ins that kernels/*.cu use, for compiling those files unchanged as host C++.
//
// Part of the kernel emulator (native/emu, see docs/CUDA.md "Kernels without a GPU"): build.sh compiles each
// kernels/*.cu with this header forced in front (-include) into one shared library, and emu_runtime.cpp runs a
// launch block by block, each thread of a block as a fiber on one host thread. __syncthreads() and
// __shfl_down_sync() switch fibers, so block reductions run with the same tree and the same order of additions
// as on a GPU. This is a test tool: it checks the kernels' indexing, argument packing and logic against the
// CPU reference; the host's libm stands in for CUDA's maths functions (which differ by a few ulp), so it says
// nothing about speed and does not reproduce the GPU's last bits of transcendental functions.
#pragma once

#include <math.h>  // libstdc++'s wrapper: the C functions plus the float overloads, as in CUDA C++
#include <cstdint>
#include <cstring>

#define __global__
#define __device__
#define __host__
#define __forceinline__ static inline
// Blocks run one after another, so one static per variable is the block's shared memory.
#define __shared__ static

struct uint3 {
    unsigned int x, y, z;
};
struct dim3 {
    unsigned int x, y, z;
};

namespace bnemu {
/** The running thread's built-ins; emu_runtime.cpp sets them before resuming a fiber. */
extern uint3 thread_idx;
extern uint3 block_idx;
extern dim3 block_dim;
extern dim3 grid_dim;

/** Block barrier: returns once every live thread of the block has arrived. */
void syncthreads();
/** Warp exchange: returns lane (own + delta)'s value, or the own value past the warp's end. */
uint64_t shfl_down_bits(uint64_t bits, int delta);
}  // namespace bnemu

#define threadIdx (bnemu::thread_idx)
#define blockIdx (bnemu::block_idx)
#define blockDim (bnemu::block_dim)
#define gridDim (bnemu::grid_dim)

static inline void __syncthreads() { bnemu::syncthreads(); }

template <class T>
static inline T __shfl_down_sync(unsigned int mask, T v, int delta) {
    static_assert(sizeof(T) <= 8, "__shfl_down_sync of a value wider than 8 bytes");
    if (mask != 0xffffffffu) __builtin_trap();  // the kernels only shuffle whole warps
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    bits = bnemu::shfl_down_bits(bits, delta);
    T r;
    std::memcpy(&r, &bits, sizeof(T));
    return r;
}

static inline float __int_as_float(int v) {
    float f;
    std::memcpy(&f, &v, 4);
    return f;
}
static inline int __float_as_int(float f) {
    int v;
    std::memcpy(&v, &f, 4);
    return v;
}

// Round-to-nearest double arithmetic (the host compiles with -ffp-contract=off, so these are never fused).
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dmul_rn(double a, double b) { return a * b; }

// CUDA's overloaded integer and floating min/max.
static inline int min(int a, int b) { return a < b ? a : b; }
static inline int max(int a, int b) { return a > b ? a : b; }
static inline unsigned int min(unsigned int a, unsigned int b) { return a < b ? a : b; }
static inline unsigned int max(unsigned int a, unsigned int b) { return a > b ? a : b; }
static inline long long min(long long a, long long b) { return a < b ? a : b; }
static inline long long max(long long a, long long b) { return a > b ? a : b; }
static inline float min(float a, float b) { return fminf(a, b); }
static inline float max(float a, float b) { return fmaxf(a, b); }
static inline double min(double a, double b) { return fmin(a, b); }
static inline double max(double a, double b) { return fmax(a, b); }

/** Fibers of one block never run at the same time, so a plain add is atomic here. */
static inline float atomicAdd(float* address, float v) {
    const float old = *address;
    *address = old + v;
    return old;
}
static inline double atomicAdd(double* address, double v) {
    const double old = *address;
    *address = old + v;
    return old;
}
static inline int atomicAdd(int* address, int v) {
    const int old = *address;
    *address = old + v;
    return old;
}
