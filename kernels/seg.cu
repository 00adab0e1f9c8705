// seg.cu: segmentation ops (SegNet): max pooling that records argmax indices, the scatter/gather pairs that are its
// backward pass and max un-pooling, and per-pixel softmax cross-entropy over the channels of NCHW logits.
//
// Computes (planes = n*c; indices are floats holding the flat index iy*w + ix within the input plane):
//   seg_maxpool_idx_forward: y[p, o] = max of the window of o (first maximum in row-major order wins; NaN wins;
//                            padding never does), idx[p, o] = its index.
//   seg_scatter_add:         big[p, idx[p, i]] += small[p, i]  (atomicAdd; the caller zeroes big first unless it
//                            accumulates). Pool backward (small = dy) and unpool forward (small = x). Without
//                            overlapping windows no two i of a plane share an index, so the result is exact and
//                            deterministic.
//   seg_gather:              small[p, i] (+)= big[p, idx[p, i]]  (unpool backward).
//   seg_softmax_ce:          out[0] = mean over n*hw pixels of logsumexp_c(l) - l[target]; grad = scale * (softmax -
//                            onehot) with scale = gradScale / (n*hw). One block: a grid-stride loop over pixels,
//                            per-thread double sums, then bn_block_sum (deterministic).
// Launch shape: 1-D grid-stride loops with BN_BLOCK (256) threads per block (pooling over output elements, scatter and
// gather over small elements); seg_softmax_ce with exactly one block of BN_BLOCK threads.
// Must match: dev.bottleneck.backend.cpu.CpuSeg (dev.bottleneck.backend.SegOps).
#include "common.cuh"

extern "C" __global__ void seg_maxpool_idx_forward(const float* x, float* y, float* idx, i64 planes, int h, int w, int oh,
                                                   int ow, int kh, int kw, int sh, int sw, int ph, int pw) {
    const i64 n = planes * oh * ow;
    BN_GRID_STRIDE(i, n) {
        const int ox = (int) (i % ow);
        const int oy = (int) ((i / ow) % oh);
        const i64 p = i / ((i64) oh * ow);
        int y0 = oy * sh - ph, x0 = ox * sw - pw;
        const int y1 = min(y0 + kh, h), x1 = min(x0 + kw, w);
        y0 = max(y0, 0);
        x0 = max(x0, 0);
        const float* xp = x + p * h * w;
        int best = y0 * w + x0;
        float bv = xp[best];
        for (int iy = y0; iy < y1; iy++) {
            for (int ix = x0; ix < x1; ix++) {
                const float v = xp[iy * w + ix];
                if (v > bv || (v != v && bv == bv)) {
                    best = iy * w + ix;
                    bv = v;
                }
            }
        }
        y[i] = bv;
        idx[i] = (float) best;
    }
}

extern "C" __global__ void seg_scatter_add(const float* idx, const float* small, float* big, i64 planes, int smallHw,
                                           int bigHw) {
    const i64 n = planes * smallHw;
    BN_GRID_STRIDE(i, n) {
        const i64 p = i / smallHw;
        atomicAdd(big + p * bigHw + (i64) idx[i], small[i]);
    }
}

extern "C" __global__ void seg_gather(const float* idx, const float* big, float* small, i64 planes, int smallHw, int bigHw,
                                      int accumulate) {
    const i64 n = planes * smallHw;
    BN_GRID_STRIDE(i, n) {
        const i64 p = i / smallHw;
        const float v = big[p * bigHw + (i64) idx[i]];
        small[i] = accumulate ? small[i] + v : v;
    }
}

extern "C" __global__ void seg_softmax_ce(const float* logits, const float* target, float* out, float* grad, i64 n, int c,
                                          i64 hw, float scale) {
    const i64 pixels = n * hw;
    double sum = 0.0;
    for (i64 q = threadIdx.x; q < pixels; q += blockDim.x) {
        const i64 s = q / hw, i = q % hw;
        const float* l = logits + s * c * hw + i;
        const int k = (int) target[q];
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
