package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.Conformance.Op;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Conformance.KERNEL_NAMES;
import static dev.bottleneck.testing.Conformance.compare;
import static dev.bottleneck.testing.Conformance.eval;
import static dev.bottleneck.testing.Conformance.maxAbsFinite;
import static dev.bottleneck.testing.Conformance.ref;
import static dev.bottleneck.testing.Conformance.rnd;
import static dev.bottleneck.testing.Tolerances.gemmRtol;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BlasOps} (GEMM and matmul) on every backend under test against the float64 CPU reference, which is itself
 * checked against a naive host loop. The tolerance grows with the square root of the inner dimension
 * ({@link dev.bottleneck.testing.Tolerances#gemmRtol}), the way float32 rounding of a dot product does.
 */
class BlasConformanceTest {
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
    @MethodSource(KERNEL_NAMES)
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
                        double[] exp = eval(ref(), op)[0];
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
    @MethodSource(KERNEL_NAMES)
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
    @MethodSource(KERNEL_NAMES)
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
}
