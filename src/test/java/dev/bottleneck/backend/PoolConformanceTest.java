package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.bottleneck.backend.SegInputs.C;
import static dev.bottleneck.backend.SegInputs.H;
import static dev.bottleneck.backend.SegInputs.N;
import static dev.bottleneck.backend.SegInputs.W;
import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Asserts.assertExactly;
import static dev.bottleneck.testing.Conformance.CONV_SEED;
import static dev.bottleneck.testing.Conformance.KERNEL_NAMES;
import static dev.bottleneck.testing.Conformance.NEG_NAN;
import static dev.bottleneck.testing.Conformance.andReference;
import static dev.bottleneck.testing.Conformance.assertNear;
import static dev.bottleneck.testing.Conformance.assertSameBits;
import static dev.bottleneck.testing.Conformance.compareScaled;
import static dev.bottleneck.testing.Conformance.eval;
import static dev.bottleneck.testing.Conformance.onEveryBackend;
import static dev.bottleneck.testing.Conformance.onEveryKernelBackend;
import static dev.bottleneck.testing.Conformance.plus;
import static dev.bottleneck.testing.Conformance.randn;
import static dev.bottleneck.testing.Conformance.ref;
import static dev.bottleneck.testing.Conformance.rnd;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_ATOL;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_RTOL;
import static dev.bottleneck.testing.Tolerances.REDUCE_RTOL;

/**
 * {@link PoolOps} (max and average pooling, max pooling with indices and un-pooling, nearest and bilinear
 * up-sampling) on every backend under test against the float64 CPU reference, itself checked against direct loops and
 * PyTorch's values. Ops that move values match to element-wise tolerance or exactly; averages and bilinear weights are
 * short sums ({@code REDUCE_RTOL} relative to the largest |result|); the NaN and tie rule is exact.
 */
class PoolConformanceTest {
    static Stream<Pool2dGeometry> poolGeometries() {
        return Stream.of(
                new Pool2dGeometry(2, 3, 7, 6, 3, 3, 2, 2, 1, 1, true),
                new Pool2dGeometry(2, 3, 7, 6, 3, 3, 2, 2, 1, 1, false),
                new Pool2dGeometry(2, 2, 6, 6, 2, 2, 2, 2, 0, 0, true),
                new Pool2dGeometry(1, 2, 5, 7, 2, 3, 1, 2, 1, 1, false),
                new Pool2dGeometry(1, 8, 7, 7, 2, 2, 2, 2, 1, 1, true), // the keras-conv 7 -> 4 'same' pooling
                new Pool2dGeometry(16, 16, 28, 28, 2, 2, 2, 2, 0, 0, true), // threaded
                // disjoint 2x2; overlapping 3x3 with padding, with both divisors; a 3x2 window with asymmetric
                // stride and padding
                new Pool2dGeometry(2, 3, 8, 8, 2, 2, 2, 2, 0, 0, true),
                new Pool2dGeometry(1, 2, 9, 7, 3, 3, 2, 2, 1, 1, true),
                new Pool2dGeometry(1, 2, 9, 7, 3, 3, 2, 2, 1, 1, false),
                new Pool2dGeometry(3, 1, 6, 10, 3, 2, 1, 2, 1, 0, false));
    }

    static Stream<Object[]> poolCases() {
        return onEveryBackend(poolGeometries());
    }

    /** Direct loops: {max, avg} forward of x. */
    static double[][] naivePool(Pool2dGeometry g, double[] x) {
        int oh = g.outH(), ow = g.outW();
        double[] mx = new double[g.n() * g.c() * oh * ow], av = new double[mx.length];
        for (int pl = 0; pl < g.n() * g.c(); pl++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double m = Double.NEGATIVE_INFINITY, s = 0;
                    int count = 0;
                    for (int i = 0; i < g.kh(); i++) {
                        for (int j = 0; j < g.kw(); j++) {
                            int iy = oy * g.strideH() - g.padH() + i, ix = ox * g.strideW() - g.padW() + j;
                            if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) continue;
                            double v = x[(pl * g.h() + iy) * g.w() + ix];
                            m = Math.max(m, v);
                            s += v;
                            count++;
                        }
                    }
                    mx[(pl * oh + oy) * ow + ox] = m;
                    av[(pl * oh + oy) * ow + ox] = s / (g.countIncludePad() ? g.kh() * g.kw() : count);
                }
            }
        }
        return new double[][] {mx, av};
    }

    @ParameterizedTest(name = "reference pooling vs direct loops {0}")
    @MethodSource("poolGeometries")
    void referencePoolingMatchesDirectLoops(Pool2dGeometry g) {
        double[] x = HostData.signed(rnd(CONV_SEED, "pool" + g), HostData.size(g.inputShape()));
        double[][] got = eval(ref(), s -> {
            Tensor xt = s.tensor(x, g.inputShape()), mx = s.nan(g.outputShape()), av = s.nan(g.outputShape());
            ref().pool().maxForward(g, xt, mx);
            ref().pool().avgForward(g, xt, av);
            return new Tensor[] {mx, av};
        });
        double[][] want = naivePool(g, x);
        assertClose(want[0], got[0], 0, 0, "F64 max pooling of " + g);
        assertClose(want[1], got[1], 1e-14, 1e-15, "F64 average pooling of " + g);
    }

    static Stream<Object[]> maxPoolCases() {
        return onEveryKernelBackend(poolGeometries().map(g -> new Object[] {g}).toList());
    }

    /** One pooling pass on the backend's pool ops: forward into y, backward into dx and accumulated into dxAcc. */
    private interface PoolPass {
        void run(PoolOps p, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor dxAcc);
    }

    /** Runs {@code pass} on backend {@code name} and on the reference, from the same seeded x, dy and old dx. */
    private static void comparePooling(String name, Pool2dGeometry g, String what, double rtol, double atol, PoolPass pass) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd(CONV_SEED, "pool" + g);
        double[] x = HostData.signed(r, HostData.size(g.inputShape()));
        double[] dy = HostData.signed(r, HostData.size(g.outputShape())), old = HostData.signed(r, x.length);
        compareScaled(be, what + " " + g, rtol, atol, s -> {
            Tensor xt = s.tensor(x, g.inputShape()), y = s.nan(g.outputShape()), dyt = s.tensor(dy, g.outputShape());
            Tensor dx = s.nan(g.inputShape()), dxAcc = s.tensor(old, g.inputShape());
            pass.run(s.backend().pool(), xt, y, dyt, dx, dxAcc);
            return new Tensor[] {y, dx, dxAcc};
        });
    }

    @ParameterizedTest(name = "max pooling on {0} {1}")
    @MethodSource("maxPoolCases")
    void maxPooling(String name, Pool2dGeometry g) {
        comparePooling(name, g, "max pooling", ELEMENTWISE_RTOL, ELEMENTWISE_ATOL, (p, x, y, dy, dx, dxAcc) -> {
            p.maxForward(g, x, y);
            p.maxBackward(g, x, y, dy, dx, false);
            p.maxBackward(g, x, y, dy, dxAcc, true);
        });
    }

    @ParameterizedTest(name = "average pooling on {0} {1}")
    @MethodSource("poolCases")
    void averagePooling(String name, Pool2dGeometry g) {
        comparePooling(name, g, "average pooling", REDUCE_RTOL, REDUCE_RTOL, (p, x, y, dy, dx, dxAcc) -> {
            p.avgForward(g, x, y);
            p.avgBackward(g, dy, dx, false);
            p.avgBackward(g, dy, dxAcc, true);
        });
    }

    @ParameterizedTest(name = "max pooling ties go to the first maximum on {0}")
    @MethodSource(KERNEL_NAMES)
    void maxPoolingTiesGoToTheFirstMaximum(String name) {
        Backend be = BackendsUnderTest.get(name);
        // one 3x3 plane of equal values (and a larger one that wins its windows later), window 2x2 stride 1
        double[] x = {1, 1, 2, 1, 1, 2, 0, 0, 0};
        Pool2dGeometry g = new Pool2dGeometry(1, 1, 3, 3, 2, 2, 1, 1, 0, 0, true);
        double[] dy = {1, 10, 100, 1000};
        // windows: (0,0) all 1 -> the first, index 0; (0,1) max 2 at index 2; (1,0) ties of 1 -> the first, index 3;
        // (1,1) max 2 at index 5
        double[] want = {1, 0, 10, 100, 0, 1000, 0, 0, 0};
        double[][] got = eval(be, s -> {
            Tensor xt = s.tensor(x, 1, 1, 3, 3), y = s.nan(1, 1, 2, 2), dx = s.nan(1, 1, 3, 3);
            s.backend().pool().maxForward(g, xt, y);
            s.backend().pool().maxBackward(g, xt, y, s.tensor(dy, 1, 1, 2, 2), dx, false);
            return new Tensor[] {y, dx};
        });
        assertClose(new double[] {1, 2, 1, 2}, got[0], 0, 0, "max pooling values on " + name);
        assertClose(want, got[1], 0, 0, "max pooling gradient routing on " + name);
    }

    /**
     * Max pooling takes the first maximum in row-major window order, a NaN wins over any number (the first NaN), and
     * +0 and -0 tie (the first is kept); the gradient goes to the winner only. Checked bit for bit on every backend and
     * the float64 reference, with inputs and outputs exact in every precision.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void maxPoolingNaNWinsAndSignedZerosTie(String name) {
        // 4x4 plane, windows 2x2 stride 2 (disjoint) and 3x3 stride 1 (overlapping)
        double[] x = {
            0.0, -0.0, /**/ -0.0, 0.0,
            -1.0, -2.0, /**/ -3.0, -1.0,
            1.0, Double.NaN, /**/ 5.0, 5.0,
            NEG_NAN, 2.0, /**/ 5.0, Double.NEGATIVE_INFINITY};
        for (Pool2dGeometry g : new Pool2dGeometry[] {
            new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, true),
            new Pool2dGeometry(1, 1, 4, 4, 3, 3, 1, 1, 0, 0, true),
            new Pool2dGeometry(1, 1, 4, 4, 3, 3, 2, 2, 1, 1, true)}) {
            int oh = g.outH(), ow = g.outW();
            double[] dy = new double[oh * ow];
            for (int i = 0; i < dy.length; i++) dy[i] = 1 << i;   // powers of two: any routing error shows in the sums
            double[] wantY = new double[oh * ow], wantDx = new double[16];
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int best = -1;
                    double bv = 0;
                    for (int iy = oy * g.strideH() - g.padH(); iy < oy * g.strideH() - g.padH() + g.kh(); iy++) {
                        for (int ix = ox * g.strideW() - g.padW(); ix < ox * g.strideW() - g.padW() + g.kw(); ix++) {
                            if (iy < 0 || ix < 0 || iy >= 4 || ix >= 4) continue;   // padding never wins
                            double v = x[iy * 4 + ix];
                            if (best < 0 || (Double.isNaN(v) && !Double.isNaN(bv)) || v > bv) {
                                best = iy * 4 + ix;
                                bv = v;
                            }
                        }
                    }
                    wantY[oy * ow + ox] = bv;
                    wantDx[best] += dy[oy * ow + ox];
                }
            }
            for (Backend be : andReference(name)) {
                double[][] got = eval(be, s -> {
                    Tensor xt = s.tensor(x, 1, 1, 4, 4), y = s.nan(1, 1, oh, ow), dx = s.nan(1, 1, 4, 4);
                    s.backend().pool().maxForward(g, xt, y);
                    s.backend().pool().maxBackward(g, xt, y, s.tensor(dy, 1, 1, oh, ow), dx, false);
                    return new Tensor[] {y, dx};
                });
                String what = "max pool " + g + " on " + be.name() + " " + be.dtype();
                assertSameBits(wantY, got[0], null, what + " forward");
                assertSameBits(wantDx, got[1], x, what + " backward");
            }
        }
    }

    private record Indexed(double[] y, double[] idx, double[] dx, double[] up, double[] back) { }

    /** Max pooling with indices, its backward (overwriting, then accumulating) and un-pooling of {@link SegInputs}. */
    private static Indexed indexed(Backend be, SegInputs in) {
        Pool2dGeometry g = new Pool2dGeometry(N, C, H, W, 2, 2, 2, 2, 0, 0, true);
        try (TensorScope s = new TensorScope(be)) {
            Tensor xt = s.tensor(in.x(), N, C, H, W), y = s.alloc(g.outputShape()), idx = s.alloc(g.outputShape());
            be.pool().maxPoolIndicesForward(g, xt, y, idx);
            Tensor dy = s.tensor(in.small(), g.outputShape()), dx = s.alloc(N, C, H, W);
            be.pool().maxPoolIndicesBackward(g, idx, dy, dx, false);
            be.pool().maxPoolIndicesBackward(g, idx, dy, dx, true); // accumulate: twice the routed gradient
            Tensor up = s.alloc(N, C, H, W);
            be.pool().maxUnpoolForward(dy, idx, up);
            Tensor back = s.alloc(g.outputShape());
            be.pool().maxUnpoolBackward(idx, s.tensor(in.dyBig(), N, C, H, W), back, false);
            return new Indexed(s.get(y), s.get(idx), s.get(dx), s.get(up), s.get(back));
        }
    }

    /** Pooled values and indices, the routed gradients and both directions of un-pooling move values: exact. */
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void maxPoolIndicesAndUnpoolMatchFloat64Reference(String name) {
        Backend be = BackendsUnderTest.get(name);
        SegInputs in = SegInputs.draw();
        Indexed ref = indexed(BackendsUnderTest.reference(), in);
        Indexed got = indexed(be, in);
        assertExactly(ref.y(), got.y(), name + " pooled values");
        assertExactly(ref.idx(), got.idx(), name + " pooling indices");
        assertExactly(ref.dx(), got.dx(), name + " pool backward (accumulated)");
        assertExactly(ref.up(), got.up(), name + " unpool forward");
        assertExactly(ref.back(), got.back(), name + " unpool backward");
    }

    static Stream<Object[]> upsampleCases() {
        List<Object[]> out = new ArrayList<>();
        for (Upsample m : Upsample.values()) {
            out.add(new Object[] {m, 2, 2, new int[] {2, 3, 5, 4}});
            out.add(new Object[] {m, 3, 2, new int[] {1, 2, 4, 3}});
            out.add(new Object[] {m, 2, 2, new int[] {32, 8, 14, 14}}); // threaded
        }
        return onEveryKernelBackend(out);
    }

    @ParameterizedTest(name = "upsample on {0} {1} {2}x{3} {4}")
    @MethodSource("upsampleCases")
    void upsample(String name, Upsample mode, int sh, int sw, int[] shape) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd(CONV_SEED, "up" + mode + sh + sw + Arrays.toString(shape));
        int[] outShape = {shape[0], shape[1], shape[2] * sh, shape[3] * sw};
        double[] x = HostData.signed(r, HostData.size(shape)), dy = HostData.signed(r, HostData.size(outShape));
        double[] old = HostData.signed(r, x.length);
        double rtol = mode == Upsample.NEAREST ? ELEMENTWISE_RTOL : REDUCE_RTOL;
        compareScaled(be, "upsample " + mode, rtol, mode == Upsample.NEAREST ? ELEMENTWISE_ATOL : REDUCE_RTOL, s -> {
            Tensor xt = s.tensor(x, shape), y = s.nan(outShape), dyt = s.tensor(dy, outShape);
            Tensor dx = s.nan(shape), dxAcc = s.tensor(old, shape);
            s.backend().pool().upsampleForward(mode, sh, sw, xt, y);
            s.backend().pool().upsampleBackward(mode, sh, sw, dyt, dx, false);
            s.backend().pool().upsampleBackward(mode, sh, sw, dyt, dxAcc, true);
            return new Tensor[] {y, dx, dxAcc};
        });
    }

    @Test
    void referenceUpsampleMatchesPyTorch() {
        // torch.nn.functional.interpolate(torch.tensor([[[[1., 2.], [3., 4.]]]]), scale_factor=2, mode='bilinear',
        // align_corners=False) and mode='nearest'
        double[] bilinear = {1.00, 1.25, 1.75, 2.00, 1.50, 1.75, 2.25, 2.50, 2.50, 2.75, 3.25, 3.50, 3.00, 3.25, 3.75, 4.00};
        double[] nearest = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
        double[][] got = eval(ref(), s -> {
            Tensor x = s.tensor(new double[] {1, 2, 3, 4}, 1, 1, 2, 2), yb = s.nan(1, 1, 4, 4), yn = s.nan(1, 1, 4, 4);
            ref().pool().upsampleForward(Upsample.BILINEAR, 2, 2, x, yb);
            ref().pool().upsampleForward(Upsample.NEAREST, 2, 2, x, yn);
            return new Tensor[] {yb, yn};
        });
        assertClose(bilinear, got[0], 1e-15, 0, "bilinear x2 (align_corners=False)");
        assertClose(nearest, got[1], 0, 0, "nearest x2");
        // the backward pass is the adjoint: <up(x), dy> = <x, up^T(dy)> for random x and dy
        SplittableRandom r = rnd(CONV_SEED, "adjoint");
        for (Upsample m : Upsample.values()) {
            double[] x = HostData.signed(r, 2 * 3 * 5), dy = HostData.signed(r, 2 * 9 * 10);
            double[][] res = eval(ref(), s -> {
                Tensor y = s.nan(1, 2, 9, 10), dx = s.nan(1, 2, 3, 5);
                ref().pool().upsampleForward(m, 3, 2, s.tensor(x, 1, 2, 3, 5), y);
                ref().pool().upsampleBackward(m, 3, 2, s.tensor(dy, 1, 2, 9, 10), dx, false);
                return new Tensor[] {y, dx};
            });
            double a = 0, b = 0;
            for (int i = 0; i < dy.length; i++) a += res[0][i] * dy[i];
            for (int i = 0; i < x.length; i++) b += x[i] * res[1][i];
            assertClose(a, b, 1e-12, 1e-12, m + " backward is the adjoint of forward");
        }
    }

    /** PyTorch's align_corners=False source coordinate, in float as PyTorch computes it. */
    private static double[] lerp(int dst, int scale, int size) {
        float src = (1.0f / scale) * (dst + 0.5f) - 0.5f;
        if (src < 0) src = 0;
        int i0 = Math.min((int) src, size - 1);
        int i1 = i0 + (i0 < size - 1 ? 1 : 0);
        float l1 = src - i0;
        return new double[] {i0, i1, 1 - l1, l1};
    }

    /**
     * Nearest and bilinear up-sampling at scales 1 to 4 per axis (a 1x1 image among them) against PyTorch's
     * formulas written out here in float64 ({@code align_corners=False}), forward, backward and accumulating.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void upsamplingMatchesTheReference(String name) {
        Backend be = BackendsUnderTest.get(name);
        int[][] cases = {{2, 3, 5, 4, 2, 2}, {1, 2, 3, 7, 3, 1}, {1, 1, 1, 1, 4, 4}, {2, 1, 6, 3, 1, 3}};
        long seed = 80;
        for (int[] c : cases) {
            int n = c[0], ch = c[1], h = c[2], w = c[3], sh = c[4], sw = c[5], oh = h * sh, ow = w * sw, planes = n * ch;
            float[] x = randn(planes * h * w, seed++), dy = randn(planes * oh * ow, seed++);
            try (TensorScope s = new TensorScope(be)) {
                Tensor tx = s.tensor(x, n, ch, h, w), tdy = s.tensor(dy, n, ch, oh, ow);
                Tensor ty = s.alloc(n, ch, oh, ow), tdx = s.alloc(n, ch, h, w);
                for (Upsample mode : Upsample.values()) {
                    double[] y = new double[dy.length], dx = new double[x.length];
                    for (int p = 0; p < planes; p++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
                        int o = (p * oh + oy) * ow + ox;
                        if (mode == Upsample.NEAREST) {
                            int i = (p * h + oy / sh) * w + ox / sw;
                            y[o] = x[i];
                            dx[i] += dy[o];
                        } else {
                            double[] ly = lerp(oy, sh, h), lx = lerp(ox, sw, w);
                            for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) {
                                int i = (p * h + (int) ly[a]) * w + (int) lx[b];
                                double wgt = ly[2 + a] * lx[2 + b];
                                y[o] += wgt * x[i];
                                dx[i] += wgt * dy[o];
                            }
                        }
                    }
                    be.pool().upsampleForward(mode, sh, sw, tx, ty);
                    assertNear(y, s.floats(ty), 1e-6, "upsample forward " + mode + " " + java.util.Arrays.toString(c));
                    be.pool().upsampleBackward(mode, sh, sw, tdy, tdx, false);
                    assertNear(dx, s.floats(tdx), 1e-5, "upsample backward " + mode + " " + java.util.Arrays.toString(c));
                    float[] before = s.floats(tdx);
                    be.pool().upsampleBackward(mode, sh, sw, tdy, tdx, true);
                    assertNear(plus(dx, before), s.floats(tdx), 1e-5, "upsample backward accumulate " + mode);
                }
            }
        }
    }
}
