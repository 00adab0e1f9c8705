// upsample.cu: nearest and bilinear up-sampling of NCHW float tensors by integer factors, forward and backward.
//
// Computes: x [planes = n*c, h, w] -> y [planes, h*sh, w*sw].
//   nearest:  y[p, oy, ox] = x[p, oy / sh, ox / sw].
//   bilinear: PyTorch's align_corners=False convention: src = (dst + 0.5) * (1/s) - 0.5, clamped below at 0;
//             i0 = (int) src, i1 = i0 + (i0 < size-1), l1 = src - i0, l0 = 1 - l1 (float arithmetic, as PyTorch's
//             upsample_bilinear2d with accscalar float); y = l0h*(l0w*x00 + l1w*x01) + l1h*(l0w*x10 + l1w*x11).
//   Backward passes are deterministic gathers (no atomics): each dx element sums, in a fixed order and in double,
//   the output gradients it contributed to (nearest: its sh x sw block; bilinear: every output within the few
//   rows/columns whose source interval touches it, weighted as in the forward pass). accumulate != 0 adds into dx.
// Launch shape: 1-D grid-stride loops, BN_BLOCK (256) threads per block; forward over every y element, backward
// over every dx element.
// Must match: dev.bottleneck.backend.cpu CPU backend PoolOps.upsampleForward / upsampleBackward
// (dev.bottleneck.backend.PoolOps, modes dev.bottleneck.backend.Upsample).
#include "common.cuh"

/** Plane, row and column of element i of a row-major [planes, h, w] tensor. */
struct BnPixel {
    i64 p;
    i64 y;
    i64 x;
};

__device__ __forceinline__ BnPixel bn_pixel(i64 i, i64 h, i64 w) {
    BnPixel r;
    r.x = i % w;
    const i64 t = i / w;
    r.y = t % h;
    r.p = t / h;
    return r;
}

extern "C" __global__ void up_nearest_forward(const float* x, float* y, i64 planes, int h, int w, int sh, int sw) {
    const i64 oh = (i64) h * sh, ow = (i64) w * sw;
    const i64 n = planes * oh * ow;
    BN_GRID_STRIDE(i, n) {
        const BnPixel o = bn_pixel(i, oh, ow);
        y[i] = x[(o.p * h + o.y / sh) * w + o.x / sw];
    }
}

extern "C" __global__ void up_nearest_backward(const float* dy, float* dx, i64 planes, int h, int w, int sh, int sw,
                                               int accumulate) {
    const i64 ow = (i64) w * sw;
    const i64 n = planes * h * w;
    BN_GRID_STRIDE(i, n) {
        const BnPixel q = bn_pixel(i, h, w);
        const float* src = dy + (q.p * h * sh + q.y * sh) * ow + q.x * sw;
        double acc = 0.0;
        for (int a = 0; a < sh; a++) {
            for (int b = 0; b < sw; b++) acc += (double) src[(i64) a * ow + b];
        }
        dx[i] = accumulate ? (float) ((double) dx[i] + acc) : (float) acc;
    }
}

/** Source index, neighbour step and weights along one axis (PyTorch area_pixel_compute_source_index). */
struct BnLerp {
    int i0;
    int step;   // 1, or 0 at the last input row/column
    float l0;
    float l1;
};

__device__ __forceinline__ BnLerp bn_lerp(i64 dst, float inv, int size) {
    float src = inv * ((float) dst + 0.5f) - 0.5f;
    if (src < 0.0f) src = 0.0f;
    BnLerp r;
    r.i0 = (int) src;
    if (r.i0 > size - 1) r.i0 = size - 1;
    r.step = r.i0 < size - 1 ? 1 : 0;
    r.l1 = src - (float) r.i0;
    r.l0 = 1.0f - r.l1;
    return r;
}

extern "C" __global__ void up_bilinear_forward(const float* x, float* y, i64 planes, int h, int w, int sh, int sw,
                                               float invH, float invW) {
    const i64 oh = (i64) h * sh, ow = (i64) w * sw;
    const i64 n = planes * oh * ow;
    BN_GRID_STRIDE(i, n) {
        const BnPixel o = bn_pixel(i, oh, ow);
        const BnLerp ly = bn_lerp(o.y, invH, h);
        const BnLerp lx = bn_lerp(o.x, invW, w);
        const float* row0 = x + (o.p * h + ly.i0) * w;
        const float* row1 = row0 + (i64) ly.step * w;
        const float top = lx.l0 * row0[lx.i0] + lx.l1 * row0[lx.i0 + lx.step];
        const float bottom = lx.l0 * row1[lx.i0] + lx.l1 * row1[lx.i0 + lx.step];
        y[i] = ly.l0 * top + ly.l1 * bottom;
    }
}

/** Weight with which output coordinate o (along one axis) reads input coordinate in. */
__device__ __forceinline__ float bn_lerp_weight(i64 o, int in, float inv, int size) {
    const BnLerp l = bn_lerp(o, inv, size);
    float wgt = 0.0f;
    if (l.i0 == in) wgt += l.l0;
    if (l.i0 + l.step == in) wgt += l.l1;
    return wgt;
}

extern "C" __global__ void up_bilinear_backward(const float* dy, float* dx, i64 planes, int h, int w, int sh, int sw,
                                                float invH, float invW, int accumulate) {
    const i64 oh = (i64) h * sh, ow = (i64) w * sw;
    const i64 n = planes * h * w;
    BN_GRID_STRIDE(i, n) {
        const BnPixel q = bn_pixel(i, h, w);
        const int ix = (int) q.x;
        const int iy = (int) q.y;
        const i64 p = q.p;
        // outputs reading input row iy have source coordinates in (iy - 1, iy + 1): a superset of their rows
        i64 y0 = ((i64) iy - 1) * sh - 1, y1 = ((i64) iy + 2) * sh + 1;
        i64 x0 = ((i64) ix - 1) * sw - 1, x1 = ((i64) ix + 2) * sw + 1;
        if (y0 < 0) y0 = 0;
        if (x0 < 0) x0 = 0;
        if (y1 > oh) y1 = oh;
        if (x1 > ow) x1 = ow;
        const float* plane = dy + p * oh * ow;
        double acc = 0.0;
        for (i64 oy = y0; oy < y1; oy++) {
            const float wy = bn_lerp_weight(oy, iy, invH, h);
            if (wy == 0.0f) continue;
            for (i64 ox = x0; ox < x1; ox++) {
                const float wx = bn_lerp_weight(ox, ix, invW, w);
                if (wx == 0.0f) continue;
                acc += (double) wy * (double) wx * (double) plane[oy * ow + ox];
            }
        }
        dx[i] = accumulate ? (float) ((double) dx[i] + acc) : (float) acc;
    }
}
