package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.Conformance.Op;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Asserts.assertWithin;
import static dev.bottleneck.testing.Conformance.KERNEL_NAMES;
import static dev.bottleneck.testing.Conformance.assertNear;
import static dev.bottleneck.testing.Conformance.eval;
import static dev.bottleneck.testing.Conformance.randn;
import static dev.bottleneck.testing.Conformance.ref;
import static dev.bottleneck.testing.Conformance.rnd;
import static dev.bottleneck.testing.Tolerances.REDUCE_RTOL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ReduceOps} (sumTo, sum, sumSquares, nonFinite) on every backend under test against the float64 CPU
 * reference, which is itself checked against host loops. A sum's error bound is {@code REDUCE_RTOL} of the sum of
 * |terms| that made it, since float32 accumulation order differs between backends.
 */
class ReduceConformanceTest {
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
    @MethodSource(KERNEL_NAMES)
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
                double[] exp = eval(ref(), op)[0];
                double[] tight = bound.clone();
                for (int i = 0; i < tight.length; i++) tight[i] *= 1e-6;
                assertWithin(host, exp, tight, what + ": F64 reference vs host loop");
                assertWithin(exp, eval(be, op)[0], bound, what + " on " + be.name());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
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
            double[] exp = eval(ref(), op)[0], act = eval(be, op)[0];
            assertWithin(exp, act, new double[] {0, REDUCE_RTOL * absSum + 1e-7, REDUCE_RTOL * sqSum + 1e-7, 0},
                    "sum, sumSquares of " + n + " into a view at offset 1..2 on " + be.name());
            assertTrue(Double.isNaN(act[0]) && Double.isNaN(act[3]), "reductions wrote outside their one-element output view");
            double hostSum = 0;
            for (double v : inner) hostSum += v;
            assertClose(hostSum, exp[1], 0, 1e-9 * absSum, "reference sum of " + n);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
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
            for (Backend b : new Backend[] {ref(), be}) {
                double got = eval(b, s -> {
                    Tensor t = s.tensor(x, n + 2), out = s.nan(3);
                    s.backend().reduce().nonFinite(t.view(1, n), out.view(1, 1));
                    return new Tensor[] {out};
                })[0][1];
                assertEquals(want, got, 0.0, "nonFinite with " + c[1] + " at " + at + " on " + b.name() + " " + b.dtype());
            }
        }
    }

    /**
     * sum, sumSquares and nonFinite of 300,001 Gaussian values: the same bits when run twice, and close to the host
     * sums; sumTo of a [257, 33] matrix with beta 0.5 against the reference.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void reductionsAreDeterministicAndMatch(String name) {
        Backend be = BackendsUnderTest.get(name);
        Backend cpu = ref();   // the float64 CPU reference
        float[] x = randn(300_001, 10);
        try (TensorScope c = new TensorScope(cpu); TensorScope s = new TensorScope(be)) {
            Tensor gx = s.tensor(x, 300_001), out = s.alloc(1);
            double ref = 0, sq = 0;
            for (float v : x) { ref += v; sq += (double) v * v; }
            be.reduce().sum(gx, out);
            double s1 = be.memory().readScalar(out);
            be.reduce().sum(gx, out);
            assertEquals(s1, be.memory().readScalar(out), 0.0, "same bits every run");
            assertEquals((float) ref, s1, 1e-6 * x.length);
            be.reduce().sumSquares(gx, out);
            assertEquals((float) sq, be.memory().readScalar(out), 1e-6 * sq);
            be.reduce().nonFinite(gx, out);
            assertEquals(0.0, be.memory().readScalar(out));
            be.memory().fill(gx.view(12345, 1), Double.NaN);
            be.reduce().nonFinite(gx, out);
            assertEquals(1.0, be.memory().readScalar(out));

            float[] m = randn(257 * 33, 11);
            int[][] targets = {{33}, {257, 1}, {1, 33}, {1}, {257, 33}};
            for (int[] ts : targets) {
                Tensor co = c.tensor(randn((int) Tensor.sizeOf(ts), 12), ts), go = s.tensor(randn((int) Tensor.sizeOf(ts), 12), ts);
                cpu.reduce().sumTo(c.tensor(m, 257, 33), 0.5, co);
                be.reduce().sumTo(s.tensor(m, 257, 33), 0.5, go);
                assertNear(c.floats(co), s.floats(go), 1e-5, "sumTo " + java.util.Arrays.toString(ts));
            }
        }
    }
}
