package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.PoolOps;
import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.backend.Upsample;
import dev.bottleneck.tensor.Tensor;

/**
 * Pooling and up-sampling of the CPU backend: plain loops over (sample, channel) planes, split over the backend's
 * threads for large tensors. Every plane is handled by one thread, so backward scatters need no synchronisation.
 */
final class CpuPool implements PoolOps {
    private final CpuBackend be;

    CpuPool(CpuBackend be) {
        this.be = be;
    }

    private static void check(Tensor t, String what, int[] shape) {
        if (t.size() != Shapes.size(shape)) {
            throw new IllegalArgumentException("pooling: " + what + " " + Shapes.str(t.shape()) + " does not match " + Shapes.str(shape));
        }
    }

    // ------------------------------------------------------------------------------------------ max

    @Override
    public void maxForward(Pool2dGeometry g, Tensor x, Tensor y) {
        check(x, "input", g.inputShape());
        check(y, "output", g.outputShape());
        CpuArr xa = CpuArr.of(be, x), ya = CpuArr.of(be, y);
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        CpuArr.split(be, g.n() * g.c(), (long) h * w, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int xb = pl * h * w, yb = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int at = argmax(g, xa, xb, oy, ox);
                        ya.set(yb + oy * ow + ox, xa.get(xb + at));
                    }
                }
            }
        });
    }

    /**
     * Index within the plane of the first maximum of the window of output (oy, ox), in row-major window order;
     * padding never wins (it is -infinity), and a NaN in the window wins (it propagates, as in PyTorch).
     */
    private static int argmax(Pool2dGeometry g, CpuArr xa, int xb, int oy, int ox) {
        int h = g.h(), w = g.w();
        int y0 = oy * g.strideH() - g.padH(), x0 = ox * g.strideW() - g.padW();
        int y1 = Math.min(y0 + g.kh(), h), x1 = Math.min(x0 + g.kw(), w);
        y0 = Math.max(y0, 0);
        x0 = Math.max(x0, 0);
        int best = y0 * w + x0;
        double bv = Double.NEGATIVE_INFINITY;
        boolean found = false;
        for (int iy = y0; iy < y1; iy++) {
            for (int ix = x0; ix < x1; ix++) {
                double v = xa.get(xb + iy * w + ix);
                if (!found || v > bv || (Double.isNaN(v) && !Double.isNaN(bv))) {
                    best = iy * w + ix;
                    bv = v;
                    found = true;
                }
            }
        }
        return best;
    }

    @Override
    public void maxBackward(Pool2dGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate) {
        check(x, "input", g.inputShape());
        check(dx, "input gradient", g.inputShape());
        check(dy, "output gradient", g.outputShape());
        CpuArr xa = CpuArr.of(be, x), dya = CpuArr.of(be, dy), dxa = CpuArr.of(be, dx);
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        CpuArr.split(be, g.n() * g.c(), (long) h * w, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int xb = pl * h * w, yb = pl * oh * ow;
                if (!accumulate) for (int i = 0; i < h * w; i++) dxa.set(xb + i, 0.0);
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int at = argmax(g, xa, xb, oy, ox);
                        dxa.add(xb + at, dya.get(yb + oy * ow + ox));
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------ average

    /** The divisor of the window of output (oy, ox). */
    private static int divisor(Pool2dGeometry g, int oy, int ox) {
        if (g.countIncludePad()) return g.kh() * g.kw();
        int y0 = oy * g.strideH() - g.padH(), x0 = ox * g.strideW() - g.padW();
        int y1 = Math.min(y0 + g.kh(), g.h()), x1 = Math.min(x0 + g.kw(), g.w());
        return (y1 - Math.max(y0, 0)) * (x1 - Math.max(x0, 0));
    }

    @Override
    public void avgForward(Pool2dGeometry g, Tensor x, Tensor y) {
        check(x, "input", g.inputShape());
        check(y, "output", g.outputShape());
        CpuArr xa = CpuArr.of(be, x), ya = CpuArr.of(be, y);
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        CpuArr.split(be, g.n() * g.c(), (long) h * w, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int xb = pl * h * w, yb = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * g.strideH() - g.padH();
                    int y1 = Math.min(y0 + g.kh(), h);
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = ox * g.strideW() - g.padW();
                        int x1 = Math.min(x0 + g.kw(), w);
                        double s = 0;
                        for (int iy = Math.max(y0, 0); iy < y1; iy++) {
                            for (int ix = Math.max(x0, 0); ix < x1; ix++) s += xa.get(xb + iy * w + ix);
                        }
                        ya.set(yb + oy * ow + ox, s / divisor(g, oy, ox));
                    }
                }
            }
        });
    }

    @Override
    public void avgBackward(Pool2dGeometry g, Tensor dy, Tensor dx, boolean accumulate) {
        check(dx, "input gradient", g.inputShape());
        check(dy, "output gradient", g.outputShape());
        CpuArr dya = CpuArr.of(be, dy), dxa = CpuArr.of(be, dx);
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        CpuArr.split(be, g.n() * g.c(), (long) h * w, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int xb = pl * h * w, yb = pl * oh * ow;
                if (!accumulate) for (int i = 0; i < h * w; i++) dxa.set(xb + i, 0.0);
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = oy * g.strideH() - g.padH();
                    int y1 = Math.min(y0 + g.kh(), h);
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = ox * g.strideW() - g.padW();
                        int x1 = Math.min(x0 + g.kw(), w);
                        double d = dya.get(yb + oy * ow + ox) / divisor(g, oy, ox);
                        for (int iy = Math.max(y0, 0); iy < y1; iy++) {
                            for (int ix = Math.max(x0, 0); ix < x1; ix++) dxa.add(xb + iy * w + ix, d);
                        }
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------ up-sampling

    /** Source coordinate of PyTorch's bilinear up-sampling with align_corners=False, clamped at 0. */
    static double bilinearSource(int dst, int scale) {
        double s = (dst + 0.5) / scale - 0.5;
        return s < 0 ? 0 : s;
    }

    private static int[] upsampleDims(int scaleH, int scaleW, Tensor x, Tensor y, String op) {
        if (scaleH < 1 || scaleW < 1) throw new IllegalArgumentException(op + ": scale must be >= 1, got " + scaleH + "x" + scaleW);
        if (x.rank() != 4) throw new IllegalArgumentException(op + ": input must be [n, c, h, w], got " + Shapes.str(x.shape()));
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        if (y.size() != (long) n * c * h * scaleH * w * scaleW) {
            throw new IllegalArgumentException(op + ": output " + Shapes.str(y.shape()) + " is not " + Shapes.str(new int[] {n, c, h * scaleH, w * scaleW}));
        }
        return new int[] {n * c, h, w};
    }

    @Override
    public void upsampleForward(Upsample mode, int scaleH, int scaleW, Tensor x, Tensor y) {
        int[] d = upsampleDims(scaleH, scaleW, x, y, "upsample");
        int planes = d[0], h = d[1], w = d[2], oh = h * scaleH, ow = w * scaleW;
        CpuArr xa = CpuArr.of(be, x), ya = CpuArr.of(be, y);
        CpuArr.split(be, planes, (long) oh * ow, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int xb = pl * h * w, yb = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    if (mode == Upsample.NEAREST) {
                        int row = xb + (oy / scaleH) * w;
                        for (int ox = 0; ox < ow; ox++) ya.set(yb + oy * ow + ox, xa.get(row + ox / scaleW));
                    } else {
                        double sy = bilinearSource(oy, scaleH);
                        int y0 = (int) sy, y1 = y0 < h - 1 ? y0 + 1 : y0;
                        double ly = sy - y0;
                        for (int ox = 0; ox < ow; ox++) {
                            double sx = bilinearSource(ox, scaleW);
                            int x0 = (int) sx, x1 = x0 < w - 1 ? x0 + 1 : x0;
                            double lx = sx - x0;
                            double v = (1 - ly) * ((1 - lx) * xa.get(xb + y0 * w + x0) + lx * xa.get(xb + y0 * w + x1))
                                    + ly * ((1 - lx) * xa.get(xb + y1 * w + x0) + lx * xa.get(xb + y1 * w + x1));
                            ya.set(yb + oy * ow + ox, v);
                        }
                    }
                }
            }
        });
    }

    @Override
    public void upsampleBackward(Upsample mode, int scaleH, int scaleW, Tensor dy, Tensor dx, boolean accumulate) {
        int[] d = upsampleDims(scaleH, scaleW, dx, dy, "upsample backward");
        int planes = d[0], h = d[1], w = d[2], oh = h * scaleH, ow = w * scaleW;
        CpuArr dya = CpuArr.of(be, dy), dxa = CpuArr.of(be, dx);
        CpuArr.split(be, planes, (long) oh * ow, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int xb = pl * h * w, yb = pl * oh * ow;
                if (mode == Upsample.NEAREST) { // each input gathers its scaleH x scaleW block
                    for (int iy = 0; iy < h; iy++) {
                        for (int ix = 0; ix < w; ix++) {
                            double s = 0;
                            for (int a = 0; a < scaleH; a++) {
                                int row = yb + (iy * scaleH + a) * ow + ix * scaleW;
                                for (int b = 0; b < scaleW; b++) s += dya.get(row + b);
                            }
                            int at = xb + iy * w + ix;
                            dxa.set(at, accumulate ? dxa.get(at) + s : s);
                        }
                    }
                    continue;
                }
                if (!accumulate) for (int i = 0; i < h * w; i++) dxa.set(xb + i, 0.0);
                for (int oy = 0; oy < oh; oy++) {
                    double sy = bilinearSource(oy, scaleH);
                    int y0 = (int) sy, y1 = y0 < h - 1 ? y0 + 1 : y0;
                    double ly = sy - y0;
                    for (int ox = 0; ox < ow; ox++) {
                        double sx = bilinearSource(ox, scaleW);
                        int x0 = (int) sx, x1 = x0 < w - 1 ? x0 + 1 : x0;
                        double lx = sx - x0;
                        double g = dya.get(yb + oy * ow + ox);
                        dxa.add(xb + y0 * w + x0, (1 - ly) * (1 - lx) * g);
                        dxa.add(xb + y0 * w + x1, (1 - ly) * lx * g);
                        dxa.add(xb + y1 * w + x0, ly * (1 - lx) * g);
                        dxa.add(xb + y1 * w + x1, ly * lx * g);
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------ max with indices, un-pooling

    @Override
    public void maxPoolIndicesForward(Pool2dGeometry g, Tensor x, Tensor y, Tensor indices) {
        check(x, "input", g.inputShape());
        check(y, "output", g.outputShape());
        check(indices, "indices", g.outputShape());
        CpuArr xa = CpuArr.of(be, x), ya = CpuArr.of(be, y), ia = CpuArr.of(be, indices);
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        CpuArr.split(be, g.n() * g.c(), (long) h * w, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int xb = pl * h * w, yb = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int at = argmax(g, xa, xb, oy, ox);
                        ya.set(yb + oy * ow + ox, xa.get(xb + at));
                        ia.set(yb + oy * ow + ox, at);
                    }
                }
            }
        });
    }

    @Override
    public void maxPoolIndicesBackward(Pool2dGeometry g, Tensor indices, Tensor dy, Tensor dx, boolean accumulate) {
        check(indices, "indices", g.outputShape());
        check(dy, "output gradient", g.outputShape());
        check(dx, "input gradient", g.inputShape());
        scatter(g.n() * g.c(), g.h() * g.w(), g.outH() * g.outW(), indices, dy, dx, accumulate);
    }

    /** big (+)= small scattered to indices, per plane; big [planes, bigHw], small and indices [planes, smallHw]. */
    private void scatter(int planes, int bigHw, int smallHw, Tensor indices, Tensor small, Tensor big, boolean accumulate) {
        CpuArr ia = CpuArr.of(be, indices), sa = CpuArr.of(be, small), ba = CpuArr.of(be, big);
        CpuArr.split(be, planes, bigHw, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int bb = pl * bigHw, sb = pl * smallHw;
                if (!accumulate) for (int i = 0; i < bigHw; i++) ba.set(bb + i, 0.0);
                for (int i = 0; i < smallHw; i++) {
                    int at = index(ia.get(sb + i), bigHw);
                    ba.add(bb + at, sa.get(sb + i));
                }
            }
        });
    }

    private static int index(double v, int limit) {
        int at = (int) v;
        if (at < 0 || at >= limit || at != v) throw new IllegalArgumentException("pooling: pooling index " + v + " outside [0, " + limit + ")");
        return at;
    }

    private static int[] planes(Tensor small, Tensor big, String what) {
        if (small.rank() != 4 || big.rank() != 4 || small.dim(0) != big.dim(0) || small.dim(1) != big.dim(1)) {
            throw new IllegalArgumentException("pooling: " + what + ": " + Shapes.str(small.shape()) + " and " + Shapes.str(big.shape())
                    + " must both be [n, c, h, w] with the same n and c");
        }
        return new int[] {small.dim(0) * small.dim(1), small.dim(2) * small.dim(3), big.dim(2) * big.dim(3)};
    }

    @Override
    public void maxUnpoolForward(Tensor x, Tensor indices, Tensor y) {
        int[] p = planes(x, y, "unpool");
        check(indices, "unpool indices", x.shape());
        scatter(p[0], p[2], p[1], indices, x, y, false);
    }

    @Override
    public void maxUnpoolBackward(Tensor indices, Tensor dy, Tensor dx, boolean accumulate) {
        int[] p = planes(dx, dy, "unpool backward");
        check(indices, "unpool indices", dx.shape());
        int small = p[1], big = p[2];
        CpuArr ia = CpuArr.of(be, indices), dya = CpuArr.of(be, dy), dxa = CpuArr.of(be, dx);
        CpuArr.split(be, p[0], small, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int sb = pl * small, bb = pl * big;
                for (int i = 0; i < small; i++) {
                    double v = dya.get(bb + index(ia.get(sb + i), big));
                    dxa.set(sb + i, accumulate ? dxa.get(sb + i) + v : v);
                }
            }
        });
    }
}
