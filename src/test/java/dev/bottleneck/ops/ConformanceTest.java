package dev.bottleneck.ops;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BinaryOp;
import dev.bottleneck.backend.CounterRng;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.DType;
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

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Asserts.assertExactly;
import static dev.bottleneck.testing.Asserts.assertWithin;
import static dev.bottleneck.testing.Tolerances.AUTOGRAD_ATOL_SCALE;
import static dev.bottleneck.testing.Tolerances.AUTOGRAD_RTOL;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_ATOL;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_RTOL;
import static dev.bottleneck.testing.Tolerances.NORMAL_ATOL;
import static dev.bottleneck.testing.Tolerances.REDUCE_RTOL;
import static dev.bottleneck.testing.Tolerances.gemmRtol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One conformance suite for every backend (DESIGN principle 9). Each test is written once against the
 * {@link Backend} interface, runs on every backend of {@link BackendsUnderTest} (CPU F32 always; CUDA where it
 * loads, otherwise skipped with the reason), feeds it fresh seeded random inputs, and compares with the float64
 * CPU reference computed in the same test on the same inputs. Tolerances live in
 * {@link dev.bottleneck.testing.Tolerances}. Where an op has a closed form (GEMM, sumTo, random numbers, memory
 * ops) the reference itself is also checked against plain host loops.
 */
class ConformanceTest {
    static final String NAMES = "dev.bottleneck.testing.BackendsUnderTest#names";

    private final Backend ref = BackendsUnderTest.reference();

    // --------------------------------------------------------------------------------------------- harness

    /** Uploads its inputs to {@code s.backend()}, runs the op there and returns the tensors to compare. */
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

    /** Runs op on the backend and on the F64 reference and compares every output element-wise. */
    private double[][] compare(Backend be, String what, double rtol, double atol, Op op) {
        double[][] exp = eval(ref, op), act = eval(be, op);
        for (int i = 0; i < exp.length; i++) {
            assertClose(exp[i], act[i], rtol, atol, what + " [output " + i + "] on " + be.name() + " vs F64 reference");
        }
        return exp;
    }

    private double[][] compareElementwise(Backend be, String what, Op op) {
        return compare(be, what, ELEMENTWISE_RTOL, ELEMENTWISE_ATOL, op);
    }

    private static SplittableRandom rnd(String what) {
        return new SplittableRandom(0xC0FFEE ^ what.hashCode());
    }

    private static double maxAbsFinite(double[] x) {
        double m = 0;
        for (double v : x) if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
        return m;
    }

    @Test
    void backendListAlwaysNamesCpuAndCuda() {
        List<String> names = BackendsUnderTest.names().toList();
        assertEquals("cpu", names.get(0));
        assertTrue(names.contains("cuda"), "cuda must be listed so its skip (and why) shows: " + names);
        for (BackendsUnderTest.Candidate c : BackendsUnderTest.candidates()) {
            System.out.println("backend under test: " + c.name() + (c.available() ? " (available)" : " (skipped: " + c.reason() + ")"));
            if (!c.available()) assertTrue(c.reason() != null && !c.reason().isBlank(), c.name() + " unavailable without a reason");
        }
        assertEquals(DType.F64, ref.dtype());
    }

    // --------------------------------------------------------------------------------------------- GEMM

    /** Row-major naive GEMM in double over strided storage (checks the reference itself). */
    private static double[] naiveGemm(boolean ta, boolean tb, int m, int n, int k, double alpha, double[] a, int lda,
                                      double[] b, int ldb, double beta, double[] c, int ldc) {
        double[] out = c.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    double av = ta ? a[l * lda + i] : a[i * lda + l];
                    double bv = tb ? b[j * ldb + l] : b[l * ldb + j];
                    s += av * bv;
                }
                double old = beta == 0 ? 0 : beta * c[i * ldc + j];
                out[i * ldc + j] = alpha * s + old;
            }
        }
        return out;
    }

    /** A row-major matrix stored with row stride {@code ld >= cols}; the padding is NaN (must never be read). */
    private static double[] padded(SplittableRandom r, int rows, int cols, int ld) {
        double[] x = HostData.constant(rows * ld, Double.NaN);
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) x[i * ld + j] = (float) (2 * r.nextDouble() - 1);
        return x;
    }

    /** {@code x} uploaded as a view at {@code offset} into a buffer with NaN before and after it. */
    private static Tensor inBuffer(TensorScope s, double[] x, int offset) {
        double[] all = HostData.constant(x.length + offset + 4, Double.NaN);
        System.arraycopy(x, 0, all, offset, x.length);
        return s.tensor(all, all.length).view(offset, x.length);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void gemm(String name) {
        Backend be = BackendsUnderTest.get(name);
        int[][] sizes = {{7, 5, 13}, {33, 17, 67}, {1, 1, 1}, {64, 48, 300}, {3, 129, 2}};
        double[][] alphaBeta = {{1, 0}, {0.5, 0}, {1.5, -0.5}, {-1, 1}};
        for (int[] sz : sizes) {
            int m = sz[0], n = sz[1], k = sz[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (double[] ab : alphaBeta) {
                        double alpha = ab[0], beta = ab[1];
                        String what = String.format("gemm m=%d n=%d k=%d transA=%b transB=%b alpha=%s beta=%s", m, n, k, ta, tb, alpha, beta);
                        SplittableRandom r = rnd(what);
                        int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
                        int lda = ac + 3, ldb = bc + 2, ldc = n + 1;
                        double[] a = padded(r, ar, ac, lda), b = padded(r, br, bc, ldb);
                        // beta == 0: C is NaN garbage that must be ignored; otherwise random with NaN padding
                        double[] c = beta == 0 ? HostData.constant(m * ldc, Double.NaN) : padded(r, m, n, ldc);
                        Op op = s -> { // operands are views at offsets 5, 2 and 3 into larger buffers
                            Tensor ta0 = inBuffer(s, a, 5), tb0 = inBuffer(s, b, 2), tc = inBuffer(s, c, 3);
                            s.backend().blas().gemm(ta, tb, m, n, k, alpha, ta0, lda, tb0, ldb, beta, tc, ldc);
                            return new Tensor[] {tc};
                        };
                        double[] exp = eval(ref, op)[0];
                        double[] naive = naiveGemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                        assertClose(naive, exp, 1e-12, 1e-12, what + ": F64 reference vs naive loop");
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                assertTrue(Double.isFinite(exp[i * ldc + j]), what + ": reference C[" + i + "," + j + "] not finite");
                            }
                        }
                        double[] act = eval(be, op)[0];
                        double rtol = gemmRtol(k, BackendsUnderTest.TF32);
                        assertClose(exp, act, rtol, rtol * Math.max(1, maxAbsFinite(exp)), what + " on " + be.name()
                                + " (padding columns of C must stay NaN)");
                    }
                }
            }
        }
    }

    /**
     * k = 0: op(A) op(B) is the zero matrix, so C = beta C on the m x n block, and with beta = 0 the NaN garbage
     * must become 0. C has row stride n + 1: the padding column (9.0) must stay untouched.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void gemmWithEmptyInnerDimension(String name) {
        Backend be = BackendsUnderTest.get(name);
        int m = 3, n = 4, ldc = n + 1;
        for (double beta : new double[] {0, 0.5}) {
            double[] c = new double[m * ldc], expected = new double[m * ldc];
            SplittableRandom r = rnd("k0");
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < ldc; j++) {
                    double v = j == n ? 9.0 : beta == 0 ? Double.NaN : (float) r.nextDouble();
                    c[i * ldc + j] = v;
                    expected[i * ldc + j] = j == n ? 9.0 : beta == 0 ? 0 : beta * v;
                }
            }
            double[] act = eval(be, s -> {
                Tensor a = s.tensor(HostData.constant(m, 1), m), b = s.tensor(HostData.constant(n, 1), n), tc = s.tensor(c, m * ldc);
                s.backend().blas().gemm(false, false, m, n, 0, 1.0, a, 1, b, n, beta, tc, ldc);
                return new Tensor[] {tc};
            })[0];
            assertClose(expected, act, 1e-7, 0, "gemm k=0 beta=" + beta + " ldc=n+1 on " + be.name()
                    + " (C = beta C; beta 0 ignores NaN; padding untouched)");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void matmulConvenience(String name) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd("matmul");
        double[] a = HostData.signed(r, 9 * 5), b = HostData.signed(r, 7 * 5), c = HostData.signed(r, 9 * 7);
        compare(be, "matmul A[9,5] B[7,5]^T beta=1", gemmRtol(5, false), gemmRtol(5, false), s -> {
            Tensor tc = s.tensor(c, 9, 7);
            s.backend().blas().matmul(false, true, s.tensor(a, 9, 5), s.tensor(b, 7, 5), 1.0, tc);
            return new Tensor[] {tc};
        });
    }

    // --------------------------------------------------------------------------------------------- element-wise

    static final int[][][] BROADCASTS = {
            {{37, 29}, {37, 29}}, {{37, 29}, {29}}, {{37, 29}, {1, 29}}, {{37, 29}, {37, 1}}, {{37, 29}, {1}},
            {{29}, {37, 29}}, {{37, 1}, {1, 29}}, {{2, 3, 5}, {3, 1}}, {{4, 3, 5}, {5}}, {{300, 257}, {257}},
            {{300, 257}, {300, 257}}, {{29, 29}, {29, 1}}};

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void binaryWithBroadcasting(String name) {
        Backend be = BackendsUnderTest.get(name);
        for (BinaryOp op : BinaryOp.values()) {
            for (int[][] sh : BROADCASTS) {
                int[] as = sh[0], bs = sh[1], os = Shapes.broadcast(as, bs);
                String what = "binary " + op + " " + Arrays.toString(as) + " with " + Arrays.toString(bs);
                SplittableRandom r = rnd(what);
                double[] a = HostData.uniform(r, HostData.size(as), -3, 3);
                double[] b = op == BinaryOp.DIV ? HostData.awayFromZero(r, HostData.size(bs), 0.25, 2)
                        : HostData.uniform(r, HostData.size(bs), -3, 3);
                compareElementwise(be, what, s -> {
                    Tensor out = s.nan(os);
                    s.backend().elementwise().binary(op, s.tensor(a, as), s.tensor(b, bs), out);
                    return new Tensor[] {out};
                });
                if (Arrays.equals(as, os)) { // in place: out aliases a
                    compareElementwise(be, what + " in place (out = a)", s -> {
                        Tensor ta = s.tensor(a, as);
                        s.backend().elementwise().binary(op, ta, s.tensor(b, bs), ta);
                        return new Tensor[] {ta};
                    });
                }
                if (Arrays.equals(bs, os)) { // in place: out aliases b
                    compareElementwise(be, what + " in place (out = b)", s -> {
                        Tensor tb = s.tensor(b, bs);
                        s.backend().elementwise().binary(op, s.tensor(a, as), tb, tb);
                        return new Tensor[] {tb};
                    });
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void binaryOnViews(String name) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd("binary views");
        double[] a = HostData.signed(r, 100), b = HostData.signed(r, 100);
        compareElementwise(be, "binary MUL on views at offsets 3, 17 into view at 5", s -> {
            Tensor ta = s.tensor(a, 100), tb = s.tensor(b, 100), out = s.nan(100);
            s.backend().elementwise().binary(BinaryOp.MUL, ta.view(3, 6, 7), tb.view(17, 7), out.view(5, 6, 7));
            return new Tensor[] {out};
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void unary(String name) {
        Backend be = BackendsUnderTest.get(name);
        for (UnaryOp op : UnaryOp.values()) {
            SplittableRandom r = rnd("unary " + op);
            int n = 37 * 29;
            double[] x;
            switch (op) {
                case LOG: case SQRT: x = HostData.uniform(r, n, 0.01, 5); break;
                case RECIPROCAL: x = HostData.awayFromZero(r, n, 0.1, 3); break;
                case EXP: x = HostData.uniform(r, n, -10, 10); break;
                default: x = HostData.uniform(r, n, -3, 3);
            }
            if (op == UnaryOp.SIGN || op == UnaryOp.ABS) x[0] = x[7] = 0.0;
            double[] xs = x;
            compareElementwise(be, "unary " + op, s -> {
                Tensor out = s.nan(37, 29);
                s.backend().elementwise().unary(op, s.tensor(xs, 37, 29), out);
                return new Tensor[] {out};
            });
            compareElementwise(be, "unary " + op + " in place", s -> {
                Tensor t = s.tensor(xs, 37, 29);
                s.backend().elementwise().unary(op, t, t);
                return new Tensor[] {t};
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void affineAxpbyClamp(String name) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd("affine");
        int n = 1001;
        double[] x = HostData.uniform(r, n, -2, 2), y = HostData.uniform(r, n, -2, 2);
        compareElementwise(be, "affine 1.7x - 0.3", s -> {
            Tensor out = s.nan(n);
            s.backend().elementwise().affine(s.tensor(x, n), 1.7, -0.3, out);
            return new Tensor[] {out};
        });
        compareElementwise(be, "affine in place on a view", s -> {
            Tensor t = s.tensor(x, n);
            s.backend().elementwise().affine(t.view(10, 500), -0.5, 2.0, t.view(10, 500));
            return new Tensor[] {t};
        });
        compareElementwise(be, "axpby beta 0 ignores NaN y", s -> {
            Tensor ty = s.nan(n);
            s.backend().elementwise().axpby(1.3, s.tensor(x, n), 0.0, ty);
            return new Tensor[] {ty};
        });
        compareElementwise(be, "axpby 1.3x + 0.6y", s -> {
            Tensor ty = s.tensor(y, n);
            s.backend().elementwise().axpby(1.3, s.tensor(x, n), 0.6, ty);
            return new Tensor[] {ty};
        });
        compareElementwise(be, "axpby x aliases y", s -> {
            Tensor ty = s.tensor(y, n);
            s.backend().elementwise().axpby(2.0, ty, -1.0, ty);
            return new Tensor[] {ty};
        });
        double[][] clamped = compareElementwise(be, "clamp [-0.3, 0.5]", s -> {
            Tensor out = s.nan(n);
            s.backend().elementwise().clamp(s.tensor(x, n), -0.3, 0.5, out);
            return new Tensor[] {out};
        });
        for (int i = 0; i < n; i++) assertEquals(Math.min(Math.max(x[i], -0.3), 0.5), clamped[0][i], 0.0, "reference clamp at " + i);
    }

    // --------------------------------------------------------------------------------------------- reductions

    /** Host sumTo in double: the reverse of broadcasting outShape to xShape. */
    private static double[] hostSumTo(double[] x, int[] xShape, int[] outShape) {
        long[] so = Shapes.broadcastStrides(outShape, xShape);
        double[] out = new double[HostData.size(outShape)];
        int r = xShape.length;
        int[] idx = new int[r];
        for (int i = 0; i < x.length; i++) {
            long o = 0;
            for (int d = 0; d < r; d++) o += idx[d] * so[d];
            out[(int) o] += x[i];
            for (int d = r - 1; d >= 0; d--) {
                if (++idx[d] < xShape[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    private static double[] abs(double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.abs(x[i]);
        return y;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void sumTo(String name) {
        Backend be = BackendsUnderTest.get(name);
        int[][][] cases = {{{37, 29}, {29}}, {{37, 29}, {1, 29}}, {{37, 29}, {37, 1}}, {{37, 29}, {1}}, {{37, 29}, {37, 29}},
                {{2, 3, 5}, {3, 1}}, {{2, 3, 5}, {5}}, {{2, 3, 5}, {2, 1, 5}}, {{29, 29}, {29, 1}}, {{300, 257}, {257}},
                {{300, 257}, {300, 1}}};
        for (int[][] c : cases) {
            for (double beta : new double[] {0, 0.5}) {
                int[] xs = c[0], os = c[1];
                String what = "sumTo " + Arrays.toString(xs) + " -> " + Arrays.toString(os) + " beta " + beta;
                SplittableRandom r = rnd(what);
                double[] x = HostData.signed(r, HostData.size(xs));
                double[] o = beta == 0 ? HostData.constant(HostData.size(os), Double.NaN) : HostData.signed(r, HostData.size(os));
                Op op = s -> {
                    Tensor out = s.tensor(o, os);
                    s.backend().reduce().sumTo(s.tensor(x, xs), beta, out);
                    return new Tensor[] {out};
                };
                double[] host = hostSumTo(x, xs, os), bound = hostSumTo(abs(x), xs, os);
                for (int i = 0; i < host.length; i++) {
                    host[i] += beta == 0 ? 0 : beta * o[i];
                    bound[i] = REDUCE_RTOL * (bound[i] + Math.abs(beta == 0 ? 0 : beta * o[i])) + 1e-7;
                }
                double[] exp = eval(ref, op)[0];
                double[] tight = bound.clone();
                for (int i = 0; i < tight.length; i++) tight[i] *= 1e-6;
                assertWithin(host, exp, tight, what + ": F64 reference vs host loop");
                assertWithin(exp, eval(be, op)[0], bound, what + " on " + be.name());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void sumAndSumSquares(String name) {
        Backend be = BackendsUnderTest.get(name);
        for (int n : new int[] {1, 37 * 29, 100_003}) {
            SplittableRandom r = rnd("sum" + n);
            double[] x = HostData.constant(n + 9, Double.NaN); // NaN padding around a view at offset 5
            double[] inner = HostData.signed(r, n);
            System.arraycopy(inner, 0, x, 5, n);
            double absSum = 0, sqSum = 0;
            for (double v : inner) {
                absSum += Math.abs(v);
                sqSum += v * v;
            }
            Op op = s -> {
                Tensor t = s.tensor(x, n + 9), out = s.nan(4);
                s.backend().reduce().sum(t.view(5, n), out.view(1, 1));
                s.backend().reduce().sumSquares(t.view(5, n), out.view(2, 1));
                return new Tensor[] {out};
            };
            double[] exp = eval(ref, op)[0], act = eval(be, op)[0];
            assertWithin(exp, act, new double[] {0, REDUCE_RTOL * absSum + 1e-7, REDUCE_RTOL * sqSum + 1e-7, 0},
                    "sum, sumSquares of " + n + " into a view at offset 1..2 on " + be.name());
            assertTrue(Double.isNaN(act[0]) && Double.isNaN(act[3]), "reductions wrote outside their one-element output view");
            double hostSum = 0;
            for (double v : inner) hostSum += v;
            assertClose(hostSum, exp[1], 0, 1e-9 * absSum, "reference sum of " + n);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void nonFinite(String name) {
        Backend be = BackendsUnderTest.get(name);
        int n = 100_003;
        double[] clean = HostData.signed(rnd("nonFinite"), n + 2);
        clean[0] = Double.NaN; // outside the view [1, n+1): must not count
        clean[n + 1] = Double.POSITIVE_INFINITY;
        Object[][] cases = {{-1, 0.0, 0.0}, {5, Double.NaN, 1.0}, {n - 1, Double.NaN, 1.0}, {n / 2, Double.POSITIVE_INFINITY, 1.0},
                {77_777, Double.NEGATIVE_INFINITY, 1.0}, {0, Double.NaN, 1.0}};
        for (Object[] c : cases) {
            int at = (Integer) c[0];
            double[] x = clean.clone();
            if (at >= 0) x[1 + at] = (Double) c[1];
            double want = (Double) c[2];
            for (Backend b : new Backend[] {ref, be}) {
                double got = eval(b, s -> {
                    Tensor t = s.tensor(x, n + 2), out = s.nan(3);
                    s.backend().reduce().nonFinite(t.view(1, n), out.view(1, 1));
                    return new Tensor[] {out};
                })[0][1];
                assertEquals(want, got, 0.0, "nonFinite with " + c[1] + " at " + at + " on " + b.name() + " " + b.dtype());
            }
        }
    }

    // --------------------------------------------------------------------------------------------- activations

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void activations(String name) {
        Backend be = BackendsUnderTest.get(name);
        List<Object[]> kinds = new ArrayList<>();
        for (Activation a : Activation.values()) kinds.add(new Object[] {a, a.defaultAlpha});
        kinds.add(new Object[] {Activation.LEAKY_RELU, 0.2});
        kinds.add(new Object[] {Activation.ELU, 0.5});
        for (Object[] k : kinds) {
            Activation kind = (Activation) k[0];
            double alpha = (Double) k[1];
            String what = "activation " + kind + " alpha " + alpha;
            SplittableRandom r = rnd(what);
            int n = 37 * 29;
            double[] x = HostData.awayFromZero(r, n, 0.01, 4);
            x[3] = 25; x[4] = -25; x[5] = 19.5; x[6] = 21; x[7] = -30; // the far tails (softplus switch at 20, sigmoid)
            // [-6, -3]: GELU's 0.5 x (1 + tanh u) cancels there (about -4 loses most float digits if evaluated in float)
            for (int i = 0; i < 25; i++) x[8 + i] = -6 + 3.0 * i / 24;
            double[] dy = HostData.signed(r, n), dx0 = HostData.signed(r, n);
            compareElementwise(be, what + " forward", s -> {
                Tensor y = s.nan(37, 29);
                s.backend().activations().forward(kind, alpha, s.tensor(x, 37, 29), y);
                return new Tensor[] {y};
            });
            compareElementwise(be, what + " forward in place", s -> {
                Tensor t = s.tensor(x, 37, 29);
                s.backend().activations().forward(kind, alpha, t, t);
                return new Tensor[] {t};
            });
            for (boolean acc : new boolean[] {false, true}) {
                compareElementwise(be, what + " backward accumulate=" + acc, s -> {
                    Tensor tx = s.tensor(x, 37, 29), y = s.alloc(37, 29);
                    s.backend().activations().forward(kind, alpha, tx, y);
                    Tensor dx = acc ? s.tensor(dx0, 37, 29) : s.nan(37, 29);
                    s.backend().activations().backward(kind, alpha, tx, y, s.tensor(dy, 37, 29), dx, acc);
                    return new Tensor[] {dx};
                });
            }
        }
    }

    @Test
    void referenceActivationsMatchTheirDefinitions() {
        double[] x = {-2.5, -0.3, 0.4, 3.0};
        double[] y = eval(ref, s -> {
            Tensor t = s.tensor(x, 4), out = s.alloc(4);
            s.backend().activations().forward(Activation.GELU, 0, t, out);
            return new Tensor[] {out};
        })[0];
        // GELU, tanh approximation (PyTorch approximate='tanh'), produced by:
        //   python3 -c "import math; c=math.sqrt(2/math.pi); [print('%.9f' % (0.5*x*(1+math.tanh(c*(x+0.044715*x**3)))))
        //               for x in (-2.5, -0.3, 0.4, 3.0)]"
        // (the exact erf GELU would give -0.0155, -0.1146, 0.2621, 2.9960: the first value tells them apart)
        assertClose(new double[] {-0.015084266, -0.114629076, 0.262161169, 2.996362608}, y, 1e-8, 1e-9, "GELU reference values");
    }

    // --------------------------------------------------------------------------------------------- losses

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void losses(String name) {
        Backend be = BackendsUnderTest.get(name);
        int rows = 37, cols = 11, n = rows * cols;
        for (Loss kind : Loss.values()) {
            for (Loss.Reduction red : Loss.Reduction.values()) {
                String what = "loss " + kind + " " + red;
                SplittableRandom r = rnd(what);
                double[] t = HostData.uniform(r, n, 0, 1);
                for (int i = 0; i < n; i += 2) t[i] = t[i] < 0.5 ? 0 : 1; // half the targets binary
                double[] p;
                switch (kind) {
                    case BCE: p = HostData.uniform(r, n, 0.02, 0.98); break;
                    case BCE_WITH_LOGITS: p = HostData.uniform(r, n, -6, 6); break;
                    case L1: {
                        double[] d = HostData.awayFromZero(r, n, 0.01, 1);
                        p = new double[n];
                        for (int i = 0; i < n; i++) p[i] = (float) (t[i] + d[i]);
                        break;
                    }
                    default: p = HostData.uniform(r, n, -1.5, 2.5);
                }
                double[] pf = p;
                Op withGrad = s -> {
                    Tensor out = s.nan(3), g = s.nan(rows, cols);
                    s.backend().losses().lossAndGrad(kind, red, s.tensor(pf, rows, cols), s.tensor(t, rows, cols), out.view(1, 1), g, 0.7);
                    return new Tensor[] {out, g};
                };
                double[][] exp = eval(ref, withGrad), act = eval(be, withGrad);
                assertClose(exp[0], act[0], ELEMENTWISE_RTOL, 0, what + " value (one-element view at offset 1) on " + be.name());
                assertClose(exp[1], act[1], ELEMENTWISE_RTOL, ELEMENTWISE_ATOL * maxAbsFinite(exp[1]), what + " gradient x0.7 on " + be.name());
                // the reference against the element formulas of Loss
                double sum = 0;
                double denom = red == Loss.Reduction.MEAN ? n : rows;
                double[] g = new double[n];
                for (int i = 0; i < n; i++) {
                    sum += kind.value(p[i], t[i]);
                    g[i] = 0.7 * kind.derivative(p[i], t[i]) / denom;
                }
                assertClose(sum / denom, exp[0][1], 1e-12, 0, what + ": reference value vs Loss.value");
                assertClose(g, exp[1], 1e-12, 1e-15, what + ": reference gradient vs Loss.derivative");
                // value only (grad == null)
                compare(be, what + " without gradient", ELEMENTWISE_RTOL, 0, s -> {
                    Tensor out = s.nan(1);
                    s.backend().losses().lossAndGrad(kind, red, s.tensor(pf, rows, cols), s.tensor(t, rows, cols), out, null, 1.0);
                    return new Tensor[] {out};
                });
            }
        }
    }

    // --------------------------------------------------------------------------------------------- random

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void randomUniformIsTheCounterRngFormula(String name) {
        Backend be = BackendsUnderTest.get(name);
        int n = 100_000;
        long seed = 0x5EEDL, counter = 12_345;
        for (double[] range : new double[][] {{0, 1}, {-2, 3}}) {
            double lo = range[0], hi = range[1];
            double[] act = eval(be, s -> {
                Tensor t = s.tensor(HostData.constant(n + 10, -7), n + 10);
                s.backend().random().uniform(t.view(7, n), seed, counter, lo, hi);
                return new Tensor[] {t};
            })[0];
            double[] want = HostData.constant(n + 10, -7);
            for (int i = 0; i < n; i++) want[7 + i] = (float) (lo + (hi - lo) * CounterRng.uniform(seed, counter + i));
            // U[0,1) is a multiple of 2^-24: exact in float32. For [-2, 3) allow the rounding of lo + w u in float32.
            double atol = lo == 0 && hi == 1 ? 0 : 2 * Math.ulp(4f);
            assertClose(want, act, 0, atol, "uniform[" + lo + "," + hi + ") seed/counter formula on " + be.name()
                    + " (view at offset 7; the padding stays -7)");
            double mean = 0;
            for (int i = 0; i < n; i++) mean += act[7 + i] / n;
            assertClose((lo + hi) / 2, mean, 0, 0.01 * (hi - lo), "uniform mean");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void randomNormal(String name) {
        Backend be = BackendsUnderTest.get(name);
        int n = 100_000;
        long seed = 77, counter = 1_000_000_007L;
        for (double[] ms : new double[][] {{0, 1}, {2, 0.5}}) {
            double mu = ms[0], sd = ms[1];
            Op op = s -> {
                Tensor t = s.alloc(n + 3);
                s.backend().random().normal(t.view(3, n), seed, counter, mu, sd);
                return new Tensor[] {t.view(3, n)};
            };
            double[] exp = eval(ref, op)[0], act = eval(be, op)[0];
            double[] host = new double[n];
            for (int i = 0; i < n; i++) host[i] = mu + sd * CounterRng.normal(seed, counter + i);
            assertClose(host, exp, 1e-15, 1e-15, "reference normal vs CounterRng.normal");
            assertClose(exp, act, ELEMENTWISE_RTOL, NORMAL_ATOL * sd, "normal(" + mu + ", " + sd + ") on " + be.name());
            double m = 0, v = 0;
            for (double x : act) m += x / n;
            for (double x : act) v += (x - m) * (x - m) / (n - 1);
            // standard errors: mean sd/sqrt(n) = 0.0032 sd, variance sd^2 sqrt(2/n) = 0.0045 sd^2; bounds ~4.5 sigma
            assertClose(mu, m, 0, 0.015 * sd, "normal(" + mu + ", " + sd + ") sample mean over " + n);
            assertClose(sd * sd, v, 0.02, 0, "normal(" + mu + ", " + sd + ") sample variance over " + n);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void randomBernoulli(String name) {
        Backend be = BackendsUnderTest.get(name);
        int n = 100_000;
        long seed = 4242, counter = 99;
        for (double p : new double[] {0.3, 0.75, 0.0, 1.0}) {
            double[] act = eval(be, s -> {
                Tensor t = s.alloc(n);
                s.backend().random().bernoulli(t, seed, counter, p);
                return new Tensor[] {t};
            })[0];
            int ones = 0;
            for (int i = 0; i < n; i++) {
                double u = CounterRng.uniform(seed, counter + i);
                boolean inDouble = u < p, inFloat = u < (float) p; // p may be rounded to float32 first
                double x = act[i];
                assertTrue(x == 0 || x == 1, "bernoulli value " + x + " at " + i);
                if (inDouble == inFloat) assertEquals(inDouble ? 1.0 : 0.0, x, 0.0, "bernoulli(" + p + ") element " + i + " on " + be.name());
                if (x == 1) ones++;
            }
            assertClose(p, ones / (double) n, 0, 0.01, "bernoulli(" + p + ") mean on " + be.name());
        }
    }

    // --------------------------------------------------------------------------------------------- optimizers

    interface Step {
        void run(Backend b, Tensor p, Tensor g, Tensor s1, Tensor s2, long t);
    }

    private void optimizerCase(Backend be, String what, int steps, Step step) {
        int n = 1001, off = 3;
        SplittableRandom r = rnd(what);
        double[] p0 = HostData.uniform(r, n, -2, 2);
        double[][] grads = new double[steps][];
        for (int t = 0; t < steps; t++) grads[t] = HostData.uniform(r, n, -1, 1);
        Op op = s -> {
            // parameters, gradients and state live at an offset in larger arenas, as views
            Tensor pa = s.nan(n + off + 2), ga = s.nan(n + off + 2), s1a = s.nan(n + off), s2a = s.nan(n + off);
            Tensor p = pa.view(off, n), g = ga.view(off, n), s1 = s1a.view(off, n), s2 = s2a.view(off, n);
            s.upload(p0, p);
            s.backend().memory().fill(s1, 0);
            s.backend().memory().fill(s2, 0);
            for (int t = 0; t < steps; t++) {
                s.upload(grads[t], g);
                step.run(s.backend(), p, g, s1, s2, t + 1);
            }
            return new Tensor[] {p, s1, s2};
        };
        double[][] exp = eval(ref, op), act = eval(be, op);
        String[] outs = {"parameters", "state 1", "state 2"};
        for (int i = 0; i < 3; i++) {
            assertClose(exp[i], act[i], ELEMENTWISE_RTOL, ELEMENTWISE_ATOL * Math.max(1, maxAbsFinite(exp[i])),
                    what + " " + steps + " steps: " + outs[i] + " on " + be.name());
        }
        double moved = 0;
        for (int i = 0; i < n; i++) moved = Math.max(moved, Math.abs(exp[0][i] - p0[i]));
        assertTrue(moved > 1e-4, what + ": the parameters did not move");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void optimizers(String name) {
        Backend be = BackendsUnderTest.get(name);
        optimizerCase(be, "sgd lr 0.1", 5, (b, p, g, s1, s2, t) -> b.optimizer().sgd(p, g, null, 0.1, 0, false, 0));
        optimizerCase(be, "sgd momentum 0.9", 5, (b, p, g, s1, s2, t) -> b.optimizer().sgd(p, g, s1, 0.1, 0.9, false, 0));
        optimizerCase(be, "sgd nesterov 0.9 wd 0.01", 5, (b, p, g, s1, s2, t) -> b.optimizer().sgd(p, g, s1, 0.1, 0.9, true, 0.01));
        optimizerCase(be, "sgd weight decay 0.05", 5, (b, p, g, s1, s2, t) -> b.optimizer().sgd(p, g, null, 0.05, 0, false, 0.05));
        optimizerCase(be, "adam", 6, (b, p, g, s1, s2, t) -> b.optimizer().adam(p, g, s1, s2, 0.01, 0.9, 0.999, 1e-8, 0, false, t));
        optimizerCase(be, "adam L2 0.01", 6, (b, p, g, s1, s2, t) -> b.optimizer().adam(p, g, s1, s2, 0.01, 0.9, 0.999, 1e-8, 0.01, false, t));
        optimizerCase(be, "adamw 0.1", 6, (b, p, g, s1, s2, t) -> b.optimizer().adam(p, g, s1, s2, 0.01, 0.8, 0.99, 1e-8, 0.1, true, t));
        optimizerCase(be, "rmsprop", 5, (b, p, g, s1, s2, t) -> b.optimizer().rmsprop(p, g, s1, null, 0.01, 0.99, 1e-8, 0, 0));
        optimizerCase(be, "rmsprop momentum 0.9", 5, (b, p, g, s1, s2, t) -> b.optimizer().rmsprop(p, g, s1, s2, 0.01, 0.99, 1e-8, 0, 0.9));
        optimizerCase(be, "rmsprop wd 0.01 momentum 0.5", 5, (b, p, g, s1, s2, t) -> b.optimizer().rmsprop(p, g, s1, s2, 0.01, 0.9, 1e-6, 0.01, 0.5));
    }

    // --------------------------------------------------------------------------------------------- memory

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void memoryOps(String name) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd("memory");
        try (TensorScope s = new TensorScope(be)) {
            int n = 60;
            double[] base = HostData.signed(r, n);
            Tensor t = s.tensor(base, n);
            assertExactly(base, s.get(t), "upload/download whole tensor");

            // upload(double[]) with a source offset into a view at offset 7
            double[] src = HostData.signed(r, 20);
            be.memory().upload(src, 4, t.view(7, 3, 4));
            double[] want = base.clone();
            System.arraycopy(src, 4, want, 7, 12);
            assertExactly(want, s.get(t), "upload(double[], srcOffset 4) into a view at offset 7");

            // upload(float[]) into a view; download(float[]) with a destination offset
            float[] fsrc = {1.5f, -2.25f, 3.125f, 0.0625f, 7f};
            be.memory().upload(fsrc, 1, t.view(30, 4));
            for (int i = 0; i < 4; i++) want[30 + i] = fsrc[1 + i];
            assertExactly(want, s.get(t), "upload(float[], srcOffset 1) into a view at offset 30");
            float[] fdst = new float[9];
            Arrays.fill(fdst, -1f);
            be.memory().download(t.view(29, 6), fdst, 2);
            for (int i = 0; i < 9; i++) {
                double w = i < 2 || i >= 8 ? -1 : (float) want[29 + i - 2];
                assertEquals(w, fdst[i], 0.0, "download(float[], dstOffset 2) of a view at offset 29, element " + i);
            }
            double[] ddst = new double[8];
            be.memory().download(t.view(5, 6), ddst, 1);
            for (int i = 0; i < 6; i++) assertEquals(want[5 + i], ddst[1 + i], 0.0, "download(double[], dstOffset 1) element " + i);
            assertEquals(want[13], be.memory().readScalar(t.view(13, 1)), 0.0, "readScalar of a view at offset 13");

            // copy between views of different shapes (same size)
            be.memory().copy(t.view(40, 2, 5), t.view(2, 10));
            System.arraycopy(want, 40, want, 2, 10);
            assertExactly(want, s.get(t), "copy view [40,50) -> view [2,12)");
            Tensor other = s.nan(3, 4);
            be.memory().copy(t.view(20, 12), other);
            assertExactly(Arrays.copyOfRange(want, 20, 32), s.get(other), "copy view -> [3,4] tensor");

            // fill a view only
            be.memory().fill(t.view(50, 6), -0.5);
            Arrays.fill(want, 50, 56, -0.5);
            assertExactly(want, s.get(t), "fill view [50,56)");

            // zeros
            Tensor z17 = be.memory().zeros(17);
            assertExactly(new double[17], s.get(z17), "zeros");
            be.memory().release(z17);
            Tensor z = be.memory().zeros(5, 3);
            assertExactly(new double[15], s.get(z), "zeros [5,3]");
            be.memory().release(z);

            // gatherRows from a matrix view (rows 2..22 of a [25, 7] buffer) into a view of a larger tensor
            int rows = 20, cols = 7;
            double[] m = HostData.signed(r, 25 * cols);
            Tensor mt = s.tensor(m, 25, cols);
            Tensor srcView = mt.view(2L * cols, rows, cols);
            int[] idx = {99, 19, 0, 7, 7, 13, 2, -5};
            Tensor dst = s.nan(8, cols);
            be.memory().gatherRows(srcView, idx, 1, dst.view(cols, 5, cols));
            double[] g = s.get(dst);
            for (int i = 0; i < 8; i++) {
                for (int j = 0; j < cols; j++) {
                    double w = i == 0 || i > 5 ? Double.NaN : m[(2 + idx[i]) * cols + j];
                    double got = g[i * cols + j];
                    assertTrue(Double.isNaN(w) ? Double.isNaN(got) : w == got,
                            "gatherRows dst row " + i + " col " + j + ": expected " + w + ", got " + got);
                }
            }

            // allocation accounting
            long before = be.memory().bytesInUse();
            Tensor big = s.alloc(1000);
            assertTrue(be.memory().bytesInUse() >= before, "bytesInUse after allocate");
            assertTrue(be.memory().bytesInUse() >= 1000L * be.dtype().bytes || before >= 1000L * be.dtype().bytes,
                    "bytesInUse counts a 1000-element tensor");
            assertTrue(be.memory().peakBytes() >= be.memory().bytesInUse(), "peakBytes >= bytesInUse");
            assertEquals(1000, big.size());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void gatherRowsRejectsBadIndex(String name) {
        Backend be = BackendsUnderTest.get(name);
        try (TensorScope s = new TensorScope(be)) {
            Tensor src = s.tensor(HostData.signed(rnd("g"), 12), 4, 3), dst = s.alloc(2, 3);
            org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                    () -> be.memory().gatherRows(src, new int[] {1, 4}, 0, dst), "row 4 of a 4-row matrix must be rejected");
        }
    }

    // --------------------------------------------------------------------------------------------- a whole step

    /**
     * One training step of a small autoencoder (BCE + sigmoid logits path, dropout, L1 activity, SGD momentum) on
     * the backend and on the F64 reference from the same float32-exact parameters and data: loss, reconstruction,
     * the gradient arena and the updated parameters must agree. This is the op groups working together through
     * autograd, as the trainer uses them.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void autoencoderTrainingStepMatchesReference(String name) {
        Backend be = BackendsUnderTest.get(name);
        double[][] exp = modelStep(ref), act = modelStep(be);
        String[] what = {"loss", "reconstruction", "gradient arena", "parameters after SGD step"};
        for (int i = 0; i < exp.length; i++) {
            assertClose(exp[i], act[i], AUTOGRAD_RTOL, AUTOGRAD_ATOL_SCALE * maxAbsFinite(exp[i]),
                    "autoencoder step: " + what[i] + " on " + be.name() + " vs F64 reference");
        }
        assertTrue(maxAbsFinite(exp[2]) > 1e-4, "the reference gradient is not trivial");
    }

    private static double[][] modelStep(Backend b) {
        Autoencoder model = Autoencoder.builder(20).dense(13, "relu").dropout(0.1).dense(5, "tanh")
                .decoder().dense(13, "elu").dense(20, "sigmoid").l1Activity(0.01).build();
        model.bind(b, 5);
        SplittableRandom r = rnd("model step");
        int size = (int) model.params().size();
        double[] p = HostData.uniform(r, size, -0.6, 0.6);
        b.memory().upload(p, 0, model.params().values());
        double[] x = HostData.uniform(r, 17 * 20, 0, 1), t = HostData.uniform(r, 17 * 20, 0, 1);
        try (TensorScope s = new TensorScope(b); Graph g = new Graph(b, true, true, 7);
             Optimizer opt = new Optimizer(OptimizerConfig.sgd(0.1, 0.9, false), model.params())) {
            Autoencoder.Forward fw = model.forward(g, g.constant(s.tensor(x, 17, 20)), g.constant(s.tensor(t, 17, 20)), true);
            g.backward(fw.loss());
            double loss = b.memory().readScalar(fw.loss().value());
            double[] out = s.get(fw.output().value());
            double[] grads = s.get(model.params().grads());
            opt.step(0.1);
            double[] after = s.get(model.params().values());
            return new double[][] {{loss}, out, grads, after};
        } finally {
            model.close();
        }
    }
}
