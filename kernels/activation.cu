// activation.cu: activation functions and their gradients on float32 tensors, fused with the dy product.
//
// Computes: y = f(x) and dx = (accumulate ? dx : 0) + f'(x, y) * dy for IDENTITY RELU LEAKY_RELU SIGMOID TANH
// ELU SOFTPLUS GELU (tanh approximation); `kind` is the ordinal of dev.bottleneck.backend.Activation.
// Launch shape: 1-D grid-stride loop, BN_BLOCK (256) threads per block.
// Must match: dev.bottleneck.backend.cpu.CpuBackend activations, i.e. Activation.apply / Activation.derivative
// (float maths here; within a few float ulps of the double reference).
#include "common.cuh"

#define BN_GELU_C 0.7978845608028654f   /* sqrt(2/pi) */

__device__ __forceinline__ float bn_sigmoid(float v) {
    if (v >= 0.0f) return 1.0f / (1.0f + expf(-v));
    const float e = expf(v);
    return e / (1.0f + e);
}

__device__ __forceinline__ float bn_act(int kind, float x, float alpha) {
    switch (kind) {
        case 0: return x;
        case 1: return x > 0.0f ? x : 0.0f;
        case 2: return x > 0.0f ? x : alpha * x;
        case 3: return bn_sigmoid(x);
        case 4: return tanhf(x);
        case 5: return x > 0.0f ? x : alpha * expm1f(x);
        case 6: return x > 20.0f ? x : log1pf(expf(x));
        case 7: {
            const float u = BN_GELU_C * (x + 0.044715f * x * x * x);
            return 0.5f * x * (1.0f + tanhf(u));
        }
        default: return __int_as_float(0x7fc00000);
    }
}

__device__ __forceinline__ float bn_act_grad(int kind, float x, float y, float alpha) {
    switch (kind) {
        case 0: return 1.0f;
        case 1: return x > 0.0f ? 1.0f : 0.0f;
        case 2: return x > 0.0f ? 1.0f : alpha;
        case 3: return y * (1.0f - y);
        case 4: return 1.0f - y * y;
        case 5: return x > 0.0f ? 1.0f : y + alpha;
        case 6: return x > 20.0f ? 1.0f : 1.0f / (1.0f + expf(-x));
        case 7: {
            const float x2 = x * x;
            const float u = BN_GELU_C * (x + 0.044715f * x2 * x);
            const float t = tanhf(u);
            const float du = BN_GELU_C * (1.0f + 3.0f * 0.044715f * x2);
            return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
        }
        default: return __int_as_float(0x7fc00000);
    }
}

/** y = f(x); y may alias x. */
extern "C" __global__ void act_forward(int kind, float alpha, const float* x, float* y, i64 n) {
    BN_GRID_STRIDE(i, n) {
        y[i] = bn_act(kind, x[i], alpha);
    }
}

/** dx = (accumulate ? dx : 0) + f'(x, y) * dy; with accumulate == 0 the old dx is not read. */
extern "C" __global__ void act_backward(int kind, float alpha, const float* x, const float* y, const float* dy,
                                        float* dx, i64 n, int accumulate) {
    BN_GRID_STRIDE(i, n) {
        const float g = bn_act_grad(kind, x[i], y[i], alpha) * dy[i];
        dx[i] = accumulate ? dx[i] + g : g;
    }
}
