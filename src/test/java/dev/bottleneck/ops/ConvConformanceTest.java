package dev.bottleneck.ops;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Conv2dGeometry;
import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.backend.Upsample;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.Presets;
import dev.bottleneck.nn.Module;
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

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Asserts.maxAbs;
import static dev.bottleneck.testing.Tolerances.AUTOGRAD_ATOL_SCALE;
import static dev.bottleneck.testing.Tolerances.AUTOGRAD_RTOL;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_ATOL;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_RTOL;
import static dev.bottleneck.testing.Tolerances.REDUCE_RTOL;
import static dev.bottleneck.testing.Tolerances.gemmRtol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conformance of the convolution, pooling, up-sampling and batch-norm ops (DESIGN principle 9): every op on every
 * backend of {@link BackendsUnderTest} (CPU F32; CUDA where it loads, else skipped with the reason) against the F64
 * CPU reference on the same float32-exact random inputs. The reference itself is checked against direct loops
 * written here (a naive 7-deep convolution loop, so im2col/col2im and the GEMM layout are verified independently;
 * naive pooling; PyTorch's published bilinear values; the batch-norm formulas). Outputs that an op must overwrite
 * start as NaN. Also checks the W3 and keras-conv presets' shapes and parameter counts, and a whole W3 forward and
 * backward pass against the reference.
 *
 * <p>Tolerances: convolutions as GEMM ({@link dev.bottleneck.testing.Tolerances#gemmRtol} of the reduction length,
 * applied relative to the largest |result|); max pooling and nearest up-sampling move values, so they must match to
 * element-wise tolerance; average pooling and bilinear up-sampling are short sums (element-wise tolerance relative to
 * the largest |result|, {@code REDUCE_RTOL}); batch norm reduces over n*h*w and divides by a standard deviation, so it
 * gets the whole-pass tolerance {@code AUTOGRAD_RTOL} / {@code AUTOGRAD_ATOL_SCALE}.
 */
class ConvConformanceTest {
    static final String NAMES = "dev.bottleneck.testing.BackendsUnderTest#names";

    private final Backend ref = BackendsUnderTest.reference();

    @FunctionalInterface
    interface Op {
        Tensor[] run(TensorScope s);
    }

    private static double[][] eval(Backend be, Op op) {
        try (TensorScope s = new TensorScope(be)) {
            Tensor[] outs = op.run(s);
            double[][] r = new double[outs.length][];
            for (int i = 0; i < outs.length; i++) r[i] = s.get(outs[i]);
            return r;
        }
    }

    /** Compares with {@code |e - a| <= rtol |e| + atolScale * max|e|} per output. */
    private double[][] compare(Backend be, String what, double rtol, double atolScale, Op op) {
        double[][] exp = eval(ref, op), act = eval(be, op);
        for (int i = 0; i < exp.length; i++) {
            assertClose(exp[i], act[i], rtol, Math.max(atolScale * maxAbs(exp[i]), 1e-30),
                    what + " [output " + i + "] on " + be.name() + " vs F64 reference");
        }
        return exp;
    }

    private static SplittableRandom rnd(String what) {
        return new SplittableRandom(0xC0C0A ^ what.hashCode());
    }

    // --------------------------------------------------------------------------------------------- convolution

    /** Odd sizes, strides, paddings, dilations, the 1x1 direct path and sizes large enough for the threaded path. */
    static Stream<Conv2dGeometry> convGeometries() {
        return Stream.of(
                new Conv2dGeometry(2, 3, 7, 6, 4, 3, 2, 2, 2, 1, 1, 1, 1),
                new Conv2dGeometry(3, 2, 9, 8, 5, 3, 3, 1, 1, 2, 2, 2, 2),
                new Conv2dGeometry(2, 4, 5, 7, 3, 1, 1, 1, 1, 0, 0, 1, 1),
                new Conv2dGeometry(2, 3, 8, 5, 2, 3, 3, 3, 2, 0, 1, 1, 2),
                new Conv2dGeometry(8, 16, 12, 11, 16, 3, 3, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(5, 32, 14, 14, 64, 3, 3, 2, 2, 1, 1, 1, 1)); // W3's second layer, threaded
    }

    static Stream<Object[]> convCases() {
        List<Object[]> out = new ArrayList<>();
        List<String> names = BackendsUnderTest.names().toList();
        for (Conv2dGeometry g : convGeometries().toList()) for (String n : names) out.add(new Object[] {n, g});
        return out.stream();
    }

    /** Direct-loop convolution: y[n,o,oy,ox] = b[o] + sum x[n,c,oy*s-p+ki*d, ox*s-p+kj*d] w[o,c,ki,kj]. */
    static double[] naiveConv(Conv2dGeometry g, double[] x, double[] w, double[] b) {
        int oh = g.outH(), ow = g.outW();
        double[] y = new double[g.n() * g.cOut() * oh * ow];
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.cOut(); o++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double s = b == null ? 0 : b[o];
                        for (int c = 0; c < g.cIn(); c++) {
                            for (int ki = 0; ki < g.kh(); ki++) {
                                for (int kj = 0; kj < g.kw(); kj++) {
                                    int iy = oy * g.strideH() - g.padH() + ki * g.dilH(), ix = ox * g.strideW() - g.padW() + kj * g.dilW();
                                    if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) continue;
                                    s += x[((n * g.cIn() + c) * g.h() + iy) * g.w() + ix] * w[((o * g.cIn() + c) * g.kh() + ki) * g.kw() + kj];
                                }
                            }
                        }
                        y[((n * g.cOut() + o) * oh + oy) * ow + ox] = s;
                    }
                }
            }
        }
        return y;
    }

    /** The adjoints of {@link #naiveConv}: {dx, dw} for output gradient dy. */
    static double[][] naiveConvBackward(Conv2dGeometry g, double[] x, double[] w, double[] dy) {
        int oh = g.outH(), ow = g.outW();
        double[] dx = new double[x.length], dw = new double[w.length];
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.cOut(); o++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double d = dy[((n * g.cOut() + o) * oh + oy) * ow + ox];
                        for (int c = 0; c < g.cIn(); c++) {
                            for (int ki = 0; ki < g.kh(); ki++) {
                                for (int kj = 0; kj < g.kw(); kj++) {
                                    int iy = oy * g.strideH() - g.padH() + ki * g.dilH(), ix = ox * g.strideW() - g.padW() + kj * g.dilW();
                                    if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) continue;
                                    int xi = ((n * g.cIn() + c) * g.h() + iy) * g.w() + ix, wi = ((o * g.cIn() + c) * g.kh() + ki) * g.kw() + kj;
                                    dx[xi] += d * w[wi];
                                    dw[wi] += d * x[xi];
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {dx, dw};
    }

    private record ConvData(double[] x, double[] w, double[] b, double[] dy, double[] dxOld, double[] dwOld, double[] dbOld) { }

    private static ConvData convData(Conv2dGeometry g) {
        SplittableRandom r = rnd("conv" + g);
        int xs = HostData.size(g.inputShape()), ws = HostData.size(g.weightShape()), ys = HostData.size(g.outputShape());
        return new ConvData(HostData.signed(r, xs), HostData.signed(r, ws), HostData.signed(r, g.cOut()), HostData.signed(r, ys),
                HostData.signed(r, xs), HostData.signed(r, ws), HostData.signed(r, g.cOut()));
    }

    @ParameterizedTest(name = "reference conv2d vs direct loops {0}")
    @MethodSource("convGeometries")
    void referenceConvMatchesDirectLoops(Conv2dGeometry g) {
        ConvData d = convData(g);
        double[][] got = eval(ref, s -> {
            Tensor x = s.tensor(d.x(), g.inputShape()), w = s.tensor(d.w(), g.weightShape()), dy = s.tensor(d.dy(), g.outputShape());
            Tensor y = s.nan(g.outputShape()), yb = s.nan(g.outputShape()), dx = s.nan(g.inputShape()), dw = s.nan(g.weightShape());
            Tensor dxAcc = s.tensor(d.dxOld(), g.inputShape()), dwAcc = s.tensor(d.dwOld(), g.weightShape());
            Tensor db = s.nan(g.cOut());
            ref.conv().forward(g, x, w, null, y);
            ref.conv().forward(g, x, w, s.tensor(d.b(), g.cOut()), yb);
            ref.conv().backwardData(g, dy, w, dx, false);
            ref.conv().backwardData(g, dy, w, dxAcc, true);
            ref.conv().backwardFilter(g, x, dy, dw, false);
            ref.conv().backwardFilter(g, x, dy, dwAcc, true);
            ref.conv().backwardBias(dy, db, false);
            return new Tensor[] {y, yb, dx, dxAcc, dw, dwAcc, db};
        });
        double[][] back = naiveConvBackward(g, d.x(), d.w(), d.dy());
        double[] dxAcc = back[0].clone(), dwAcc = back[1].clone(), db = new double[g.cOut()];
        for (int i = 0; i < dxAcc.length; i++) dxAcc[i] += d.dxOld()[i];
        for (int i = 0; i < dwAcc.length; i++) dwAcc[i] += d.dwOld()[i];
        int p = g.outH() * g.outW();
        for (int n = 0; n < g.n(); n++) for (int o = 0; o < g.cOut(); o++) for (int j = 0; j < p; j++) db[o] += d.dy()[(n * g.cOut() + o) * p + j];
        double[][] want = {naiveConv(g, d.x(), d.w(), null), naiveConv(g, d.x(), d.w(), d.b()), back[0], dxAcc, back[1], dwAcc, db};
        String[] names = {"forward", "forward with bias", "backward data", "backward data (accumulate)", "backward filter",
                "backward filter (accumulate)", "backward bias"};
        for (int i = 0; i < want.length; i++) {
            assertClose(want[i], got[i], 1e-12, 1e-12 * Math.max(1, maxAbs(want[i])), "F64 reference " + names[i] + " of " + g + " vs direct loops");
        }
    }

    @ParameterizedTest(name = "conv2d on {0} {1}")
    @MethodSource("convCases")
    void conv(String name, Conv2dGeometry g) {
        Backend be = BackendsUnderTest.get(name);
        ConvData d = convData(g);
        int k = g.cIn() * g.kh() * g.kw();
        compare(be, "conv2d forward " + g, gemmRtol(k, BackendsUnderTest.TF32), gemmRtol(k, BackendsUnderTest.TF32), s -> {
            Tensor x = s.tensor(d.x(), g.inputShape()), w = s.tensor(d.w(), g.weightShape());
            Tensor y = s.nan(g.outputShape()), yb = s.nan(g.outputShape());
            s.backend().conv().forward(g, x, w, null, y);
            s.backend().conv().forward(g, x, w, s.tensor(d.b(), g.cOut()), yb);
            return new Tensor[] {y, yb};
        });
        int kData = g.cOut() * g.kh() * g.kw();
        compare(be, "conv2d backward data " + g, gemmRtol(kData, BackendsUnderTest.TF32), gemmRtol(kData, BackendsUnderTest.TF32), s -> {
            Tensor dy = s.tensor(d.dy(), g.outputShape()), w = s.tensor(d.w(), g.weightShape());
            Tensor dx = s.nan(g.inputShape()), dxAcc = s.tensor(d.dxOld(), g.inputShape());
            s.backend().conv().backwardData(g, dy, w, dx, false);
            s.backend().conv().backwardData(g, dy, w, dxAcc, true);
            return new Tensor[] {dx, dxAcc};
        });
        int kFilter = g.n() * g.outH() * g.outW();
        compare(be, "conv2d backward filter " + g, gemmRtol(kFilter, BackendsUnderTest.TF32), gemmRtol(kFilter, BackendsUnderTest.TF32), s -> {
            Tensor x = s.tensor(d.x(), g.inputShape()), dy = s.tensor(d.dy(), g.outputShape());
            Tensor dw = s.nan(g.weightShape()), dwAcc = s.tensor(d.dwOld(), g.weightShape());
            s.backend().conv().backwardFilter(g, x, dy, dw, false);
            s.backend().conv().backwardFilter(g, x, dy, dwAcc, true);
            return new Tensor[] {dw, dwAcc};
        });
        compare(be, "conv2d backward bias " + g, REDUCE_RTOL, REDUCE_RTOL, s -> {
            Tensor dy = s.tensor(d.dy(), g.outputShape());
            Tensor db = s.nan(g.cOut()), dbAcc = s.tensor(d.dbOld(), g.cOut());
            s.backend().conv().backwardBias(dy, db, false);
            s.backend().conv().backwardBias(dy, dbAcc, true);
            return new Tensor[] {db, dbAcc};
        });
    }

    // --------------------------------------------------------------------------------------------- pooling

    static Stream<Pool2dGeometry> poolGeometries() {
        return Stream.of(
                new Pool2dGeometry(2, 3, 7, 6, 3, 3, 2, 2, 1, 1, true),
                new Pool2dGeometry(2, 3, 7, 6, 3, 3, 2, 2, 1, 1, false),
                new Pool2dGeometry(2, 2, 6, 6, 2, 2, 2, 2, 0, 0, true),
                new Pool2dGeometry(1, 2, 5, 7, 2, 3, 1, 2, 1, 1, false),
                new Pool2dGeometry(1, 8, 7, 7, 2, 2, 2, 2, 1, 1, true), // the keras-conv 7 -> 4 'same' pooling
                new Pool2dGeometry(16, 16, 28, 28, 2, 2, 2, 2, 0, 0, true)); // threaded
    }

    static Stream<Object[]> poolCases() {
        List<Object[]> out = new ArrayList<>();
        List<String> names = BackendsUnderTest.names().toList();
        for (Pool2dGeometry g : poolGeometries().toList()) for (String n : names) out.add(new Object[] {n, g});
        return out.stream();
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
        double[] x = HostData.signed(rnd("pool" + g), HostData.size(g.inputShape()));
        double[][] got = eval(ref, s -> {
            Tensor xt = s.tensor(x, g.inputShape()), mx = s.nan(g.outputShape()), av = s.nan(g.outputShape());
            ref.pool().maxForward(g, xt, mx);
            ref.pool().avgForward(g, xt, av);
            return new Tensor[] {mx, av};
        });
        double[][] want = naivePool(g, x);
        assertClose(want[0], got[0], 0, 0, "F64 max pooling of " + g);
        assertClose(want[1], got[1], 1e-14, 1e-15, "F64 average pooling of " + g);
    }

    @ParameterizedTest(name = "pooling on {0} {1}")
    @MethodSource("poolCases")
    void pooling(String name, Pool2dGeometry g) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd("pool" + g);
        double[] x = HostData.signed(r, HostData.size(g.inputShape()));
        double[] dy = HostData.signed(r, HostData.size(g.outputShape())), old = HostData.signed(r, x.length);
        compare(be, "max pooling " + g, ELEMENTWISE_RTOL, ELEMENTWISE_ATOL, s -> {
            Tensor xt = s.tensor(x, g.inputShape()), y = s.nan(g.outputShape()), dyt = s.tensor(dy, g.outputShape());
            Tensor dx = s.nan(g.inputShape()), dxAcc = s.tensor(old, g.inputShape());
            s.backend().pool().maxForward(g, xt, y);
            s.backend().pool().maxBackward(g, xt, y, dyt, dx, false);
            s.backend().pool().maxBackward(g, xt, y, dyt, dxAcc, true);
            return new Tensor[] {y, dx, dxAcc};
        });
        compare(be, "average pooling " + g, REDUCE_RTOL, REDUCE_RTOL, s -> {
            Tensor xt = s.tensor(x, g.inputShape()), y = s.nan(g.outputShape()), dyt = s.tensor(dy, g.outputShape());
            Tensor dx = s.nan(g.inputShape()), dxAcc = s.tensor(old, g.inputShape());
            s.backend().pool().avgForward(g, xt, y);
            s.backend().pool().avgBackward(g, dyt, dx, false);
            s.backend().pool().avgBackward(g, dyt, dxAcc, true);
            return new Tensor[] {y, dx, dxAcc};
        });
    }

    @ParameterizedTest(name = "max pooling ties go to the first maximum on {0}")
    @MethodSource(NAMES)
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

    // --------------------------------------------------------------------------------------------- up-sampling

    static Stream<Object[]> upsampleCases() {
        List<Object[]> out = new ArrayList<>();
        for (String n : BackendsUnderTest.names().toList()) {
            for (Upsample m : Upsample.values()) {
                out.add(new Object[] {n, m, 2, 2, new int[] {2, 3, 5, 4}});
                out.add(new Object[] {n, m, 3, 2, new int[] {1, 2, 4, 3}});
                out.add(new Object[] {n, m, 2, 2, new int[] {32, 8, 14, 14}}); // threaded
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "upsample on {0} {1} {2}x{3} {4}")
    @MethodSource("upsampleCases")
    void upsample(String name, Upsample mode, int sh, int sw, int[] shape) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd("up" + mode + sh + sw + Arrays.toString(shape));
        int[] outShape = {shape[0], shape[1], shape[2] * sh, shape[3] * sw};
        double[] x = HostData.signed(r, HostData.size(shape)), dy = HostData.signed(r, HostData.size(outShape));
        double[] old = HostData.signed(r, x.length);
        double rtol = mode == Upsample.NEAREST ? ELEMENTWISE_RTOL : REDUCE_RTOL;
        compare(be, "upsample " + mode, rtol, mode == Upsample.NEAREST ? ELEMENTWISE_ATOL : REDUCE_RTOL, s -> {
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
        double[][] got = eval(ref, s -> {
            Tensor x = s.tensor(new double[] {1, 2, 3, 4}, 1, 1, 2, 2), yb = s.nan(1, 1, 4, 4), yn = s.nan(1, 1, 4, 4);
            ref.pool().upsampleForward(Upsample.BILINEAR, 2, 2, x, yb);
            ref.pool().upsampleForward(Upsample.NEAREST, 2, 2, x, yn);
            return new Tensor[] {yb, yn};
        });
        assertClose(bilinear, got[0], 1e-15, 0, "bilinear x2 (align_corners=False)");
        assertClose(nearest, got[1], 0, 0, "nearest x2");
        // the backward pass is the adjoint: <up(x), dy> = <x, up^T(dy)> for random x and dy
        SplittableRandom r = rnd("adjoint");
        for (Upsample m : Upsample.values()) {
            double[] x = HostData.signed(r, 2 * 3 * 5), dy = HostData.signed(r, 2 * 9 * 10);
            double[][] res = eval(ref, s -> {
                Tensor y = s.nan(1, 2, 9, 10), dx = s.nan(1, 2, 3, 5);
                ref.pool().upsampleForward(m, 3, 2, s.tensor(x, 1, 2, 3, 5), y);
                ref.pool().upsampleBackward(m, 3, 2, s.tensor(dy, 1, 2, 9, 10), dx, false);
                return new Tensor[] {y, dx};
            });
            double a = 0, b = 0;
            for (int i = 0; i < dy.length; i++) a += res[0][i] * dy[i];
            for (int i = 0; i < x.length; i++) b += x[i] * res[1][i];
            assertClose(a, b, 1e-12, 1e-12, m + " backward is the adjoint of forward");
        }
    }

    // --------------------------------------------------------------------------------------------- batch norm

    @Test
    void referenceBatchNormMatchesFormulas() {
        int n = 3, c = 2, sp = 5;
        SplittableRandom r = rnd("bn-ref");
        double[] x = HostData.uniform(r, n * c * sp, -1, 3), gamma = {0.5, -1.5}, beta = {0.25, 1};
        double[][] got = eval(ref, s -> {
            Tensor y = s.nan(n, c, sp), m = s.nan(c), inv = s.nan(c);
            Tensor rm = s.tensor(new double[] {0, 1}, c), rv = s.tensor(new double[] {1, 2}, c);
            ref.norm().batchNormTrainForward(s.tensor(x, n, c, sp), s.tensor(gamma, c), s.tensor(beta, c), rm, rv, 0.1, 1e-3, y, m, inv);
            return new Tensor[] {y, m, inv, rm, rv};
        });
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, var = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < sp; j++) mean += x[(i * c + ch) * sp + j] / (n * sp);
            for (int i = 0; i < n; i++) for (int j = 0; j < sp; j++) var += Math.pow(x[(i * c + ch) * sp + j] - mean, 2) / (n * sp);
            double inv = 1 / Math.sqrt(var + 1e-3);
            assertClose(mean, got[1][ch], 1e-12, 1e-14, "batch mean");
            assertClose(inv, got[2][ch], 1e-12, 0, "batch inverse std");
            assertClose(0.9 * ch + 0.1 * mean, got[3][ch], 1e-12, 1e-14, "running mean");
            assertClose(0.9 * (1 + ch) + 0.1 * var * n * sp / (n * sp - 1), got[4][ch], 1e-12, 0, "running variance (unbiased)");
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < sp; j++) {
                    int at = (i * c + ch) * sp + j;
                    assertClose(gamma[ch] * (x[at] - mean) * inv + beta[ch], got[0][at], 1e-12, 1e-12, "normalised value");
                }
            }
        }
    }

    static Stream<Object[]> bnCases() {
        List<Object[]> out = new ArrayList<>();
        for (String n : BackendsUnderTest.names().toList()) {
            out.add(new Object[] {n, new int[] {4, 3, 5, 3}});
            out.add(new Object[] {n, new int[] {7, 5}});
            out.add(new Object[] {n, new int[] {32, 16, 14, 14}}); // threaded
        }
        return out.stream();
    }

    @ParameterizedTest(name = "batch norm on {0} {1}")
    @MethodSource("bnCases")
    void batchNorm(String name, int[] shape) {
        Backend be = BackendsUnderTest.get(name);
        int c = shape[1], size = HostData.size(shape);
        SplittableRandom r = rnd("bn" + Arrays.toString(shape));
        double[] x = HostData.uniform(r, size, -1, 3), dy = HostData.signed(r, size);
        double[] gamma = HostData.awayFromZero(r, c, 0.5, 1.5), beta = HostData.signed(r, c);
        double[] rm0 = HostData.signed(r, c), rv0 = HostData.uniform(r, c, 0.5, 2), dgOld = HostData.signed(r, c), dbOld = HostData.signed(r, c);
        compare(be, "batch norm " + Arrays.toString(shape), AUTOGRAD_RTOL, AUTOGRAD_ATOL_SCALE, s -> {
            Backend b = s.backend();
            Tensor xt = s.tensor(x, shape), g = s.tensor(gamma, c), bt = s.tensor(beta, c);
            Tensor rm = s.tensor(rm0, c), rv = s.tensor(rv0, c), y = s.nan(shape), m = s.nan(c), inv = s.nan(c);
            b.norm().batchNormTrainForward(xt, g, bt, rm, rv, 0.1, 1e-5, y, m, inv);
            Tensor yi = s.nan(shape);
            b.norm().batchNormInference(xt, g, bt, rm, rv, 1e-5, yi);
            Tensor dx = s.nan(shape), dg = s.nan(c), db = s.nan(c), dx2 = s.nan(shape);
            Tensor dgAcc = s.tensor(dgOld, c), dbAcc = s.tensor(dbOld, c);
            b.norm().batchNormBackward(xt, s.tensor(dy, shape), g, m, inv, 1e-5, dx, dg, db, false);
            b.norm().batchNormBackward(xt, s.tensor(dy, shape), g, m, inv, 1e-5, dx2, dgAcc, dbAcc, true);
            return new Tensor[] {y, m, inv, rm, rv, yi, dx, dg, db, dx2, dgAcc, dbAcc};
        });
    }

    // --------------------------------------------------------------------------------------------- presets

    /** Per-sample output shape of every layer. */
    private static List<int[]> shapes(Autoencoder a) {
        List<int[]> out = new ArrayList<>();
        int[] s = a.inputShape();
        for (Module m : a.encoder().layers()) out.add(s = m.outputShape(s));
        for (Module m : a.decoder().layers()) out.add(s = m.outputShape(s));
        return out;
    }

    @Test
    void w3PresetShapesAndParameterCount() {
        Autoencoder a = new Autoencoder(Presets.get("w3"));
        assertArrayEquals(new int[] {1, 28, 28}, a.inputShape());
        assertArrayEquals(new int[] {16}, a.codeShape());
        List<int[]> s = shapes(a);
        // conv relu conv relu flatten linear | linear relu reshape convT relu convT sigmoid
        int[][] want = {{32, 14, 14}, {32, 14, 14}, {64, 7, 7}, {64, 7, 7}, {3136}, {16},
                {3136}, {3136}, {64, 7, 7}, {32, 14, 14}, {32, 14, 14}, {1, 28, 28}, {1, 28, 28}};
        assertEquals(want.length, s.size(), "W3 layer count");
        for (int i = 0; i < want.length; i++) assertArrayEquals(want[i], s.get(i), "W3 layer " + i + " output shape");
        // conv1 32*1*9+32 = 320; conv2 64*32*9+64 = 18,496; dense 3136*16+16 = 50,192; dense 16*3136+3136 = 53,312;
        // convT1 64*32*9+32 = 18,464; convT2 32*1*9+1 = 289; total 141,073
        a.bind(ref, 1);
        try {
            assertEquals(141_073, a.params().size());
            assertEquals(List.of(32, 1, 3, 3), Arrays.stream(a.params().parameters().get("encoder.0.weight").shape()).boxed().toList());
            assertEquals(List.of(64, 32, 3, 3), Arrays.stream(a.params().parameters().get("decoder.3.weight").shape()).boxed().toList(),
                    "ConvTranspose2d weight layout [cIn, cOut, kh, kw]");
            String summary = a.summary();
            assertTrue(summary.contains("141,073") && summary.contains("[1, 28, 28]") && summary.contains("computed from logits"), summary);
        } finally {
            a.close();
        }
        assertEquals(128, Presets.defaults("w3").batch());
        assertEquals(1e-3, Presets.defaults("w3").lr());
    }

    @Test
    void kerasConvPresetShapesAndParameterCount() {
        Autoencoder a = new Autoencoder(Presets.get("keras-conv"));
        assertArrayEquals(new int[] {8, 4, 4}, a.codeShape(), "the Keras blog's 128-d code");
        List<int[]> s = shapes(a);
        int[][] want = {{16, 28, 28}, {16, 28, 28}, {16, 14, 14}, {8, 14, 14}, {8, 14, 14}, {8, 7, 7}, {8, 7, 7}, {8, 7, 7}, {8, 4, 4},
                {8, 4, 4}, {8, 4, 4}, {8, 8, 8}, {8, 8, 8}, {8, 8, 8}, {8, 16, 16}, {16, 14, 14}, {16, 14, 14}, {16, 28, 28},
                {1, 28, 28}, {1, 28, 28}};
        assertEquals(want.length, s.size(), "keras-conv layer count");
        for (int i = 0; i < want.length; i++) assertArrayEquals(want[i], s.get(i), "keras-conv layer " + i + " output shape");
        a.bind(ref, 1);
        try {
            // 160 + 1,160 + 584 | 584 + 584 + 1,168 + 145 = 4,385, as in the Keras blog's summary
            assertEquals(4_385, a.params().size());
        } finally {
            a.close();
        }
        assertEquals(128, Presets.defaults("keras-conv").batch());
    }

    /** A whole W3 forward and backward pass (batch 3) on each backend against the reference, same parameters. */
    @ParameterizedTest(name = "W3 forward and backward on {0}")
    @MethodSource(NAMES)
    void w3ForwardBackwardMatchesReference(String name) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd("w3");
        double[] x = HostData.uniform(r, 3 * 784, 0, 1);
        double[][] exp = w3Pass(ref, x), act = w3Pass(be, x);
        String[] what = {"loss", "reconstruction", "parameter gradients"};
        for (int i = 0; i < exp.length; i++) {
            // the parameter gradients pass through GEMMs with k up to 3136 and two 128-channel reductions: 1e-3
            double rtol = i == 2 ? 1e-3 : AUTOGRAD_RTOL;
            assertClose(exp[i], act[i], rtol, rtol * Math.max(maxAbs(exp[i]), 1e-30), "W3 " + what[i] + " on " + name + " vs F64 reference");
        }
    }

    private static double[][] w3Pass(Backend be, double[] x) {
        Autoencoder a = new Autoencoder(Presets.get("w3")).bind(be, 42);
        try (TensorScope s = new TensorScope(be); Graph g = new Graph(be, true, true, 1)) {
            a.params().zeroGrads();
            Tensor xt = s.tensor(x, 3, 784);
            Autoencoder.Forward fw = a.forward(g, g.constant(xt), g.constant(xt), true);
            g.backward(fw.loss());
            Var out = fw.output();
            return new double[][] {{be.memory().readScalar(fw.loss().value())}, s.get(out.value()), s.get(a.params().grads())};
        } finally {
            a.close();
        }
    }
}
