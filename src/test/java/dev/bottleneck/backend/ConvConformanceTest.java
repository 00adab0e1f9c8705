package dev.bottleneck.backend;

import dev.bottleneck.backend.cuda.CudaBackend;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.Conformance.Op;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Asserts.maxAbs;
import static dev.bottleneck.testing.Conformance.CONV_SEED;
import static dev.bottleneck.testing.Conformance.compareScaled;
import static dev.bottleneck.testing.Conformance.eval;
import static dev.bottleneck.testing.Conformance.onEveryBackend;
import static dev.bottleneck.testing.Conformance.randn;
import static dev.bottleneck.testing.Conformance.ref;
import static dev.bottleneck.testing.Conformance.rnd;
import static dev.bottleneck.testing.Tolerances.REDUCE_RTOL;
import static dev.bottleneck.testing.Tolerances.gemmRtol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * {@link ConvOps} (forward with and without bias, backward data, filter and bias, overwriting and accumulating) on
 * every backend under test against the float64 CPU reference, which is itself checked against direct 7-deep loops.
 * A convolution is a GEMM, so the tolerance is {@link dev.bottleneck.testing.Tolerances#gemmRtol} of its reduction
 * length, relative to the largest |result|.
 */
class ConvConformanceTest {
    /** Odd sizes, strides, paddings, dilations, the 1x1 direct path and sizes large enough for the threaded path. */
    static Stream<Conv2dGeometry> convGeometries() {
        return Stream.of(
                new Conv2dGeometry(2, 3, 7, 6, 4, 3, 2, 2, 2, 1, 1, 1, 1),
                new Conv2dGeometry(3, 2, 9, 8, 5, 3, 3, 1, 1, 2, 2, 2, 2),
                new Conv2dGeometry(2, 4, 5, 7, 3, 1, 1, 1, 1, 0, 0, 1, 1),
                new Conv2dGeometry(2, 3, 8, 5, 2, 3, 3, 3, 2, 0, 1, 1, 2),
                new Conv2dGeometry(8, 16, 12, 11, 16, 3, 3, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(5, 32, 14, 14, 64, 3, 3, 2, 2, 1, 1, 1, 1), // W3's second layer, threaded
                // 3x3 'same'; 3x3 strided; a 3x2 kernel with asymmetric stride, padding and dilation; a 1x1 from a
                // single channel; a 5x5 with padding 2
                new Conv2dGeometry(2, 3, 9, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(3, 2, 10, 11, 5, 3, 3, 2, 2, 1, 1, 1, 1),
                new Conv2dGeometry(1, 4, 12, 9, 3, 3, 2, 2, 1, 2, 0, 2, 1),
                new Conv2dGeometry(4, 1, 8, 8, 2, 1, 1, 1, 1, 0, 0, 1, 1),
                new Conv2dGeometry(2, 8, 16, 16, 16, 5, 5, 1, 1, 2, 2, 1, 1));
    }

    static Stream<Object[]> convCases() {
        return onEveryBackend(convGeometries());
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
        SplittableRandom r = rnd(CONV_SEED, "conv" + g);
        int xs = HostData.size(g.inputShape()), ws = HostData.size(g.weightShape()), ys = HostData.size(g.outputShape());
        return new ConvData(HostData.signed(r, xs), HostData.signed(r, ws), HostData.signed(r, g.cOut()), HostData.signed(r, ys),
                HostData.signed(r, xs), HostData.signed(r, ws), HostData.signed(r, g.cOut()));
    }

    @ParameterizedTest(name = "reference conv2d vs direct loops {0}")
    @MethodSource("convGeometries")
    void referenceConvMatchesDirectLoops(Conv2dGeometry g) {
        ConvData d = convData(g);
        double[][] got = eval(ref(), s -> {
            Tensor x = s.tensor(d.x(), g.inputShape()), w = s.tensor(d.w(), g.weightShape()), dy = s.tensor(d.dy(), g.outputShape());
            Tensor y = s.nan(g.outputShape()), yb = s.nan(g.outputShape()), dx = s.nan(g.inputShape()), dw = s.nan(g.weightShape());
            Tensor dxAcc = s.tensor(d.dxOld(), g.inputShape()), dwAcc = s.tensor(d.dwOld(), g.weightShape());
            Tensor db = s.nan(g.cOut());
            ref().conv().forward(g, x, w, null, y);
            ref().conv().forward(g, x, w, s.tensor(d.b(), g.cOut()), yb);
            ref().conv().backwardData(g, dy, w, dx, false);
            ref().conv().backwardData(g, dy, w, dxAcc, true);
            ref().conv().backwardFilter(g, x, dy, dw, false);
            ref().conv().backwardFilter(g, x, dy, dwAcc, true);
            ref().conv().backwardBias(dy, db, false);
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
        compareGemm(be, "conv2d forward " + g, g.cIn() * g.kh() * g.kw(), s -> {
            Tensor x = s.tensor(d.x(), g.inputShape()), w = s.tensor(d.w(), g.weightShape());
            Tensor y = s.nan(g.outputShape()), yb = s.nan(g.outputShape());
            s.backend().conv().forward(g, x, w, null, y);
            s.backend().conv().forward(g, x, w, s.tensor(d.b(), g.cOut()), yb);
            return new Tensor[] {y, yb};
        });
        compareGemm(be, "conv2d backward data " + g, g.cOut() * g.kh() * g.kw(), s -> {
            Tensor dy = s.tensor(d.dy(), g.outputShape()), w = s.tensor(d.w(), g.weightShape());
            Tensor dx = s.nan(g.inputShape()), dxAcc = s.tensor(d.dxOld(), g.inputShape());
            s.backend().conv().backwardData(g, dy, w, dx, false);
            s.backend().conv().backwardData(g, dy, w, dxAcc, true);
            return new Tensor[] {dx, dxAcc};
        });
        compareGemm(be, "conv2d backward filter " + g, g.n() * g.outH() * g.outW(), s -> {
            Tensor x = s.tensor(d.x(), g.inputShape()), dy = s.tensor(d.dy(), g.outputShape());
            Tensor dw = s.nan(g.weightShape()), dwAcc = s.tensor(d.dwOld(), g.weightShape());
            s.backend().conv().backwardFilter(g, x, dy, dw, false);
            s.backend().conv().backwardFilter(g, x, dy, dwAcc, true);
            return new Tensor[] {dw, dwAcc};
        });
        compareScaled(be, "conv2d backward bias " + g, REDUCE_RTOL, REDUCE_RTOL, s -> {
            Tensor dy = s.tensor(d.dy(), g.outputShape());
            Tensor db = s.nan(g.cOut()), dbAcc = s.tensor(d.dbOld(), g.cOut());
            s.backend().conv().backwardBias(dy, db, false);
            s.backend().conv().backwardBias(dy, dbAcc, true);
            return new Tensor[] {db, dbAcc};
        });
    }

    /** {@code compareScaled} with the GEMM tolerance of a k-term dot product (the same for rtol and the atol scale). */
    private static void compareGemm(Backend be, String what, int k, Op op) {
        double tol = gemmRtol(k, BackendsUnderTest.TF32);
        compareScaled(be, what, tol, tol, op);
    }

    /**
     * cuDNN plans and their workspace are made once per convolution shape: repeating a step of the same shape adds no
     * plan and calls no cudaMalloc. CUDA only: the other backends keep no plans.
     */
    @Test
    void plansAndWorkspaceAreCachedPerShape() {
        CudaBackend gpu = (CudaBackend) BackendsUnderTest.get("cuda");
        Conv2dGeometry g = new Conv2dGeometry(2, 3, 12, 12, 6, 3, 3, 1, 1, 1, 1, 1, 1);
        try (TensorScope s = new TensorScope(gpu)) {
            Tensor x = s.tensor(randn(2 * 3 * 144, 1), g.inputShape()), w = s.tensor(randn(6 * 27, 2), g.weightShape());
            Tensor y = s.alloc(g.outputShape()), dx = s.alloc(g.inputShape());
            Tensor dw = s.alloc(g.weightShape());
            Runnable step = () -> {
                gpu.conv().forward(g, x, w, null, y);
                gpu.conv().backwardData(g, y, w, dx, false);
                gpu.conv().backwardFilter(g, x, y, dw, false);
            };
            step.run();
            gpu.synchronize();
            int plans = gpu.convPlanCount();
            long mallocs = gpu.mallocCalls();
            for (int i = 0; i < 5; i++) step.run();
            gpu.synchronize();
            assertEquals(plans, gpu.convPlanCount(), "a repeated shape must reuse its plan");
            assertEquals(mallocs, gpu.mallocCalls(), "a repeated step must not call cudaMalloc (workspace from the pool)");
            assertNotNull(gpu.convAlgorithms(g));
            System.out.println("[cudnn] " + g + ": " + gpu.convAlgorithms(g));
        }
    }
}
