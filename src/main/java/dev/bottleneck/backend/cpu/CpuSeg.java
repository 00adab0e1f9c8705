package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.backend.SegOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;

/**
 * Segmentation ops of the CPU backend (the reference for {@code kernels/pool.cu} and {@code loss_softmax_ce} in {@code kernels/loss.cu}): plain loops over (sample, channel)
 * planes, one plane per thread, so scatters need no synchronisation. Sums are in double.
 */
final class CpuSeg implements SegOps {
    private final CpuBackend be;

    CpuSeg(CpuBackend be) {
        this.be = be;
    }

    private static void check(Tensor t, String what, int[] shape) {
        if (t.size() != Shapes.size(shape)) {
            throw new IllegalArgumentException("segmentation: " + what + " " + Shapes.str(t.shape()) + " does not match " + Shapes.str(shape));
        }
    }

    @Override
    public void maxPoolIndicesForward(Pool2dGeometry g, Tensor x, Tensor y, Tensor indices) {
        check(x, "pool input", g.inputShape());
        check(y, "pool output", g.outputShape());
        check(indices, "pool indices", g.outputShape());
        CpuArr xa = CpuArr.of(be, x), ya = CpuArr.of(be, y), ia = CpuArr.of(be, indices);
        int h = g.h(), w = g.w(), oh = g.outH(), ow = g.outW();
        CpuArr.split(be, g.n() * g.c(), (long) h * w, (lo, hi) -> {
            for (int pl = lo; pl < hi; pl++) {
                int xb = pl * h * w, yb = pl * oh * ow;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int y0 = oy * g.strideH() - g.padH(), x0 = ox * g.strideW() - g.padW();
                        int y1 = Math.min(y0 + g.kh(), h), x1 = Math.min(x0 + g.kw(), w);
                        y0 = Math.max(y0, 0);
                        x0 = Math.max(x0, 0);
                        int best = y0 * w + x0;
                        double bv = xa.get(xb + best);
                        for (int iy = y0; iy < y1; iy++) {
                            for (int ix = x0; ix < x1; ix++) {
                                double v = xa.get(xb + iy * w + ix);
                                if (v > bv || (Double.isNaN(v) && !Double.isNaN(bv))) {
                                    best = iy * w + ix;
                                    bv = v;
                                }
                            }
                        }
                        ya.set(yb + oy * ow + ox, bv);
                        ia.set(yb + oy * ow + ox, best);
                    }
                }
            }
        });
    }

    @Override
    public void maxPoolIndicesBackward(Pool2dGeometry g, Tensor indices, Tensor dy, Tensor dx, boolean accumulate) {
        check(indices, "pool indices", g.outputShape());
        check(dy, "pool output gradient", g.outputShape());
        check(dx, "pool input gradient", g.inputShape());
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
        if (at < 0 || at >= limit || at != v) throw new IllegalArgumentException("segmentation: pooling index " + v + " outside [0, " + limit + ")");
        return at;
    }

    private static int[] planes(Tensor small, Tensor big, String what) {
        if (small.rank() != 4 || big.rank() != 4 || small.dim(0) != big.dim(0) || small.dim(1) != big.dim(1)) {
            throw new IllegalArgumentException("segmentation: " + what + ": " + Shapes.str(small.shape()) + " and " + Shapes.str(big.shape())
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

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor target, Tensor out, Tensor grad, double gradScale) {
        if (logits.rank() != 4) throw new IllegalArgumentException("softmax cross-entropy: logits must be [n, c, h, w], got " + Shapes.str(logits.shape()));
        int n = logits.dim(0), c = logits.dim(1), hw = logits.dim(2) * logits.dim(3);
        check(target, "targets", new int[] {n, logits.dim(2), logits.dim(3)});
        if (out.size() != 1) throw new IllegalArgumentException("softmax cross-entropy: out must have one element");
        if (grad != null) check(grad, "logit gradient", logits.shape());
        CpuArr la = CpuArr.of(be, logits), ta = CpuArr.of(be, target), ga = grad == null ? null : CpuArr.of(be, grad);
        double pixels = (double) n * hw, scale = gradScale / pixels;
        double[] part = new double[n];
        CpuArr.split(be, n, (long) c * hw, (lo, hi) -> {
            for (int s = lo; s < hi; s++) {
                double sum = 0;
                int base = s * c * hw;
                for (int i = 0; i < hw; i++) {
                    double t = ta.get(s * hw + i);
                    int k = (int) t;
                    if (!(t >= 0 && t < c && k == t)) {
                        // not a class (an "ignore" value such as 255, negative, fractional, NaN): as the CUDA kernel,
                        // that pixel's loss and gradients are NaN, never an index, so the divergence guard stops the run
                        sum += Double.NaN;
                        if (ga != null) for (int j = 0; j < c; j++) ga.set(base + j * hw + i, Double.NaN);
                        continue;
                    }
                    double m = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < c; j++) m = Math.max(m, la.get(base + j * hw + i));
                    double z = 0;
                    for (int j = 0; j < c; j++) z += Math.exp(la.get(base + j * hw + i) - m);
                    double logZ = m + Math.log(z);
                    sum += logZ - la.get(base + k * hw + i);
                    if (ga != null) {
                        for (int j = 0; j < c; j++) {
                            double p = Math.exp(la.get(base + j * hw + i) - logZ);
                            ga.set(base + j * hw + i, scale * (p - (j == k ? 1.0 : 0.0)));
                        }
                    }
                }
                part[s] = sum;
            }
        });
        double total = 0;
        for (double v : part) total += v;
        CpuArr.of(be, out).set(0, total / pixels);
    }
}
