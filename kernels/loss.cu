// loss.cu: fused reconstruction loss value and gradient on float32 tensors.
//
// Computes, for kind = ordinal of dev.bottleneck.backend.Loss (MSE BCE BCE_WITH_LOGITS L1): the element losses
// l(p, t), one double partial sum per block into `partials`, and (when grad != 0) grad = gs * dl/dp where
// gs = gradScale / denom is precomputed on the host. The reduced value is then folded by reduce.cu's
// red_finish with divisor = denom (denom = n for MEAN, batch rows for SUM_PER_SAMPLE).
// loss_softmax_ce: per-pixel softmax cross-entropy over the channels of NCHW logits: out[0] = mean over the n*hw
// pixels of logsumexp_c(l) - l[target]; grad = scale * (softmax - onehot) with scale = gradScale / (n*hw). A target
// that is not an integer class in [0, c) (an "ignore" value such as 255, a negative or fractional number, NaN)
// is never used as an address: that pixel's loss and gradients are NaN, so the divergence guard stops the run.
// Launch shape: BN_BLOCK (256) threads per block, grid = partial count G (<= 1024, a function of n only);
// loss_softmax_ce with exactly one block of BN_BLOCK threads (per-thread double sums, then bn_block_sum).
// Must match: dev.bottleneck.backend.cpu.CpuBackend#lossAndGrad (its F32 path, which mirrors Loss.value /
// Loss.derivative: BCE clamps p to [1e-7, 1-1e-7] and has a zero gradient where the clamp is active);
// loss_softmax_ce: dev.bottleneck.backend.cpu.CpuSeg#softmaxCrossEntropy.
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

extern "C" __global__ void loss_softmax_ce(const float* logits, const float* target, float* out, float* grad, i64 n,
                                           int c, i64 hw, float scale) {
    const i64 pixels = n * hw;
    const float nan = __int_as_float(0x7fc00000);
    double sum = 0.0;
    for (i64 q = threadIdx.x; q < pixels; q += blockDim.x) {
        const i64 s = q / hw, i = q % hw;
        const float* l = logits + s * c * hw + i;
        const float t = target[q];
        if (!(t >= 0.0f && t < (float) c && t == (float) (int) t)) {   // NaN fails every comparison
            sum += (double) nan;
            if (grad != 0) {
                float* g = grad + s * c * hw + i;
                for (int j = 0; j < c; j++) g[j * hw] = nan;
            }
            continue;
        }
        const int k = (int) t;
        float m = l[0];
        for (int j = 1; j < c; j++) m = fmaxf(m, l[j * hw]);
        double z = 0.0;
        for (int j = 0; j < c; j++) z += exp((double) (l[j * hw] - m));
        const double logZ = (double) m + log(z);
        sum += logZ - (double) l[k * hw];
        if (grad != 0) {
            float* g = grad + s * c * hw + i;
            for (int j = 0; j < c; j++) {
                const double pj = exp((double) l[j * hw] - logZ);
                g[j * hw] = (float) ((double) scale * (pj - (j == k ? 1.0 : 0.0)));
            }
        }
    }
    const double total = bn_block_sum(sum);
    if (threadIdx.x == 0) out[0] = (float) (total / (double) pixels);
}
