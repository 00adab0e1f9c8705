// loss.cu: fused reconstruction loss value and gradient on float32 tensors.
//
// Computes, for kind = ordinal of dev.bottleneck.backend.Loss (MSE BCE BCE_WITH_LOGITS L1): the element losses
// l(p, t), one double partial sum per block into `partials`, and (when grad != 0) grad = gs * dl/dp where
// gs = gradScale / denom is precomputed on the host. The reduced value is then folded by reduce.cu's
// red_finish with divisor = denom (denom = n for MEAN, batch rows for SUM_PER_SAMPLE).
// Launch shape: BN_BLOCK (256) threads per block, grid = partial count G (<= 1024, a function of n only).
// Must match: dev.bottleneck.backend.cpu.CpuBackend#lossAndGrad (its F32 path, which mirrors Loss.value /
// Loss.derivative: BCE clamps p to [1e-7, 1-1e-7] and has a zero gradient where the clamp is active).
#include "common.cuh"

extern "C" __global__ void loss_partials(int kind, const float* pred, const float* target, float* grad, i64 n,
                                         float gs, double* partials) {
    const float eps = 1e-7f;
    double acc = 0.0;
    BN_GRID_STRIDE(i, n) {
        const float p = pred[i], t = target[i];
        float g;
        switch (kind) {
            case 0: {  // MSE
                const float d = p - t;
                acc += (double) (d * d);
                g = 2.0f * gs * d;
                break;
            }
            case 1: {  // BCE on probabilities
                const float c = fminf(fmaxf(p, eps), 1.0f - eps);
                acc += -((double) t * log((double) c) + (double) (1.0f - t) * log((double) (1.0f - c)));
                g = (p < eps || p > 1.0f - eps) ? 0.0f : gs * (p - t) / (p * (1.0f - p));
                break;
            }
            case 2: {  // BCE with logits: max(z,0) - z t + log1p(exp(-|z|))
                const float e = expf(-fabsf(p));
                acc += (double) (fmaxf(p, 0.0f) - p * t) + log1p((double) e);
                const float sig = p >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
                g = gs * (sig - t);
                break;
            }
            case 3: {  // L1
                const float d = p - t;
                acc += (double) fabsf(d);
                g = gs * (d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : d));
                break;
            }
            default:
                g = __int_as_float(0x7fc00000);
                acc += (double) g;
        }
        if (grad != 0) grad[i] = g;
    }
    acc = bn_block_sum(acc);
    if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}
