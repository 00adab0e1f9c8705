// selftest.cu: kernels that check the kernel emulator itself (KernelEmulatorTest); compiled into the emulator
// only, never into the CUDA backend. Each exercises one CUDA rule the emulator must follow.
#include "common.cuh"

/** out[t] = the value lane (t + delta) of t's warp passes down, or t's own past the warp's end. */
extern "C" __global__ void emu_shuffle(float* out, int delta) {
    const float v = (float) (blockIdx.x * blockDim.x + threadIdx.x);
    out[blockIdx.x * blockDim.x + threadIdx.x] = __shfl_down_sync(0xffffffffu, v, delta);
}

/** out[block] = sum over the block's threads of (thread + 1), through the backend's block reduction. */
extern "C" __global__ void emu_block_sum(double* out) {
    const double s = bn_block_sum((double) threadIdx.x + 1.0);
    if (threadIdx.x == 0) out[blockIdx.x] = s;
}

/** Every thread writes its slot, waits for the block, reads its neighbour's: correct in any order. */
extern "C" __global__ void emu_neighbour(float* out) {
    __shared__ float slot[1024];
    slot[threadIdx.x] = (float) threadIdx.x;
    __syncthreads();
    out[threadIdx.x] = slot[(threadIdx.x + 1) % blockDim.x];
}

/** The same without the barrier: a race, which the order check must report. */
extern "C" __global__ void emu_neighbour_race(float* out) {
    __shared__ float slot[1024];
    slot[threadIdx.x] = (float) threadIdx.x;
    out[threadIdx.x] = slot[(threadIdx.x + 1) % blockDim.x];
    slot[threadIdx.x] = -1.0f;
}

/** Half a warp shuffles while the other half waits at the block barrier: a deadlock, which must be reported. */
extern "C" __global__ void emu_partial_warp(float* out) {
    float v = (float) threadIdx.x;
    if ((threadIdx.x & 31) < 16) v = __shfl_down_sync(0xffffffffu, v, 1);
    __syncthreads();
    out[threadIdx.x] = v;
}

/** Writes out[n]: one element past the end of an n-element block, which must fail the launch. */
extern "C" __global__ void emu_past_end(float* out, int n) {
    if (threadIdx.x == 0) out[n] = 1.0f;
}

/** Spins while *flag is 0: a launch that never ends, which must be killed and reported. */
extern "C" __global__ void emu_spin(int* flag) {
    while (*(volatile int*) flag == 0) { }
}

/** Converts a NaN to an integer: undefined behaviour, which the sanitizer must turn into a failed launch. */
extern "C" __global__ void emu_nan_to_int(float* out) {
    const float nan = __int_as_float(0x7fc00000);
    if (threadIdx.x == 0) out[0] = (float) (int) (nan + out[1]);
}
