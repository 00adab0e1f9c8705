// pool.cu: max pooling with the CPU reference's tie and NaN rule, its deterministic backward pass, and the
// index scatter/gather pair behind max pooling with indices and max un-pooling (SegNet).
//
// Computes (planes = n*c; an index is a float holding the flat position iy*w + ix within its input plane):
//   pool_max_forward:       y[p, o] = max of the window of output o; the FIRST maximum in row-major window order
//                           wins a tie, a NaN wins over any number (the first NaN), padding never wins. When idx is
//                           not null, idx[p, o] = the winner's index.
//   pool_max_backward:      dx[p, i] = (accumulate ? dx[p, i] : 0) + sum of dy[p, o] over the windows o that cover i
//                           and whose winner (the rule above, recomputed from x) is i, added in ascending o. A
//                           gather, one thread per input element: no atomics, the same bits on every run, and
//                           the same additions in the same order as the CPU's loop over outputs.
//   pool_index_scatter_add: big[p, idx[p, i]] += small[p, i]  (atomicAdd; the caller zeroes big first unless it
//                           accumulates). Backward of pooling with indices and forward of un-pooling. Without
//                           overlapping windows no two i of a plane share an index, so the result is exact.
//   pool_index_gather:      small[p, i] (+)= big[p, idx[p, i]]  (un-pooling backward).
// Launch shape: 1-D grid-stride loops, BN_BLOCK (256) threads per block: over output elements (forward), input
// elements (backward), small elements (scatter/gather).
// Must match: dev.bottleneck.backend.cpu.CpuPool (maxForward/maxBackward and the index ops).
#include "common.cuh"

/** Index within the plane of the winner of window (oy, ox); *value receives its value. */
__device__ __forceinline__ int bn_pool_argmax(const float* xp, int h, int w, int oy, int ox, int kh, int kw, int sh,
                                              int sw, int ph, int pw, float* value) {
    int y0 = oy * sh - ph, x0 = ox * sw - pw;
    const int y1 = min(y0 + kh, h), x1 = min(x0 + kw, w);
    y0 = max(y0, 0);
    x0 = max(x0, 0);
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
    *value = bv;
    return best;
}

extern "C" __global__ void pool_max_forward(const float* x, float* y, float* idx, i64 planes, int h, int w, int oh,
                                            int ow, int kh, int kw, int sh, int sw, int ph, int pw) {
    const i64 n = planes * oh * ow;
    BN_GRID_STRIDE(i, n) {
        const int ox = (int) (i % ow);
        const int oy = (int) ((i / ow) % oh);
        const i64 p = i / ((i64) oh * ow);
        float bv;
        const int best = bn_pool_argmax(x + p * h * w, h, w, oy, ox, kh, kw, sh, sw, ph, pw, &bv);
        y[i] = bv;
        if (idx != 0) idx[i] = (float) best;
    }
}

extern "C" __global__ void pool_max_backward(const float* x, const float* dy, float* dx, i64 planes, int h, int w,
                                             int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw,
                                             int accumulate) {
    const i64 n = planes * h * w;
    BN_GRID_STRIDE(i, n) {
        const int ix = (int) (i % w);
        const int iy = (int) ((i / w) % h);
        const i64 p = i / ((i64) h * w);
        const float* xp = x + p * h * w;
        const float* dyp = dy + p * oh * ow;
        const int self = iy * w + ix;
        // windows covering row iy: oy * sh - ph <= iy < oy * sh - ph + kh
        int oy0 = iy + ph - kh + 1;
        oy0 = oy0 <= 0 ? 0 : (oy0 + sh - 1) / sh;
        const int oy1 = min((iy + ph) / sh, oh - 1);
        int ox0 = ix + pw - kw + 1;
        ox0 = ox0 <= 0 ? 0 : (ox0 + sw - 1) / sw;
        const int ox1 = min((ix + pw) / sw, ow - 1);
        float acc = accumulate ? dx[i] : 0.0f;
        for (int oy = oy0; oy <= oy1; oy++) {
            for (int ox = ox0; ox <= ox1; ox++) {
                float bv;
                if (bn_pool_argmax(xp, h, w, oy, ox, kh, kw, sh, sw, ph, pw, &bv) == self) acc += dyp[oy * ow + ox];
            }
        }
        dx[i] = acc;
    }
}

extern "C" __global__ void pool_index_scatter_add(const float* idx, const float* small, float* big, i64 planes,
                                                  int smallHw, int bigHw) {
    const i64 n = planes * smallHw;
    BN_GRID_STRIDE(i, n) {
        const i64 p = i / smallHw;
        atomicAdd(big + p * bigHw + (i64) idx[i], small[i]);
    }
}

extern "C" __global__ void pool_index_gather(const float* idx, const float* big, float* small, i64 planes, int smallHw,
                                             int bigHw, int accumulate) {
    const i64 n = planes * smallHw;
    BN_GRID_STRIDE(i, n) {
        const i64 p = i / smallHw;
        const float v = big[p * bigHw + (i64) idx[i]];
        small[i] = accumulate ? small[i] + v : v;
    }
}
