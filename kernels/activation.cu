// activation.cu: activation functions and their gradients on float32 tensors, fused with the dy product.
//
// Computes: y = f(x) and dx = (accumulate ? dx : 0) + f'(x, y) * dy for IDENTITY RELU LEAKY_RELU SIGMOID TANH
// ELU SOFTPLUS GELU (tanh approximation); `kind` is the ordinal of dev.bottleneck.backend.Activation.
// Launch shape: 1-D grid-stride loop, BN_BLOCK (256) threads per block.
// Must match: the CPU backend's float path (dev.bottleneck.backend.cpu.CpuActivations), which evaluates
// Activation.apply / Activation.derivative in double for TANH ELU SOFTPLUS GELU and in float for the rest.
#include "common.cuh"

#define BN_GELU_C 0.7978845608028654   /* sqrt(2/pi), as the double Math.sqrt(2 / Math.PI) */

__device__ __forceinline__ float bn_sigmoid(float v) {
    if (v >= 0.0f) return 1.0f / (1.0f + expf(-v));
    const float e = expf(v);
    return e / (1.0f + e);
}

// NaN rule (the same on every backend, as PyTorch): the piecewise functions test `x <= 0` for their negative
// branch, so a NaN takes the identity branch: relu/leaky_relu/elu(NaN) = NaN and their derivative there is the
// identity's (1), so dy passes through; +0 and -0 both take the negative branch (relu(-0) = +0).
// TANH ELU SOFTPLUS GELU are evaluated in double and rounded once, as the CPU's float path does: in float, the
// GELU form 0.5 x (1 + tanh u) loses most of its digits to cancellation near x = -4.
__device__ __forceinline__ float bn_act(int kind, float xf, float alpha) {
    const double x = (double) xf;
    switch (kind) {
        case 0: return xf;
        case 1: return xf <= 0.0f ? 0.0f : xf;
        case 2: return xf <= 0.0f ? alpha * xf : xf;
        case 3: return bn_sigmoid(xf);
        case 4: return (float) tanh(x);
        case 5: return xf <= 0.0f ? (float) ((double) alpha * expm1(x)) : xf;
        case 6: return xf > 20.0f ? xf : (float) log1p(exp(x));
        case 7: {
            const double u = BN_GELU_C * (x + 0.044715 * x * x * x);
            return (float) (0.5 * x * (1.0 + tanh(u)));
        }
        default: return __int_as_float(0x7fc00000);
    }
}

__device__ __forceinline__ float bn_act_grad(int kind, float xf, float yf, float alpha) {
    const double x = (double) xf, y = (double) yf;
    switch (kind) {
        case 0: return 1.0f;
        case 1: return xf <= 0.0f ? 0.0f : 1.0f;
        case 2: return xf <= 0.0f ? alpha : 1.0f;
        case 3: return yf * (1.0f - yf);
        case 4: return 1.0f - yf * yf;
        case 5: return xf <= 0.0f ? (float) (y + (double) alpha) : 1.0f;
        case 6: return xf > 20.0f ? 1.0f : (float) (1.0 / (1.0 + exp(-x)));
        case 7: {
            const double x2 = x * x;
            const double u = BN_GELU_C * (x + 0.044715 * x2 * x);
            const double t = tanh(u);
            const double du = BN_GELU_C * (1.0 + 3.0 * 0.044715 * x2);
            return (float) (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du);
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
