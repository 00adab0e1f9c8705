package dev.bottleneck.testing;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Asserts.maxAbs;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_ATOL;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_RTOL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The harness of the conformance suite ({@code dev.bottleneck.backend.*ConformanceTest}, one class per op group):
 * a test is written once against the {@link Backend} interface as an {@link Op} that uploads its inputs to a
 * {@link TensorScope}, runs there and returns the tensors to compare; {@link #compare} runs it on a backend of
 * {@link BackendsUnderTest} and on the float64 CPU reference ({@link #ref()}) and compares every output.
 * Inputs are seeded ({@link #rnd}) and float32-exact, so the only difference left is the backend's own rounding;
 * the tolerances are those of {@link Tolerances}.
 */
public final class Conformance {
    private Conformance() {}

    /** The {@code @MethodSource} of every test that runs once per backend under test (it takes the backend's name). */
    public static final String NAMES = "dev.bottleneck.testing.BackendsUnderTest#names";

    /**
     * {@link #NAMES} and the kernel emulator's CUDA backend, for tests of op groups that launch only our own
     * kernels ({@link BackendsUnderTest#kernelNames()}).
     */
    public static final String KERNEL_NAMES = "dev.bottleneck.testing.BackendsUnderTest#kernelNames";

    /** Seed family of the element-wise, BLAS, reduction, activation, loss, random and optimizer inputs. */
    public static final long SEED = 0xC0FFEE;

    /** Seed family of the convolution, pooling, up-sampling, batch-norm and whole-W3 inputs. */
    public static final long CONV_SEED = 0xC0C0A;

    /** NaN with the sign bit set, as x86 produces for 0/0. */
    public static final double NEG_NAN = Double.longBitsToDouble(0xfff8000000000000L);

    /**
     * Inputs of the NaN and signed-zero rule tests: both NaNs, both zeros, values either side of every branch and the
     * infinities, all exact in float32 (treat as read-only).
     */
    public static final double[] NAN_RULE_X = {Double.NaN, NEG_NAN, 0.0, -0.0, 2.0, -2.0, 0.5, -0.5,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};

    /** Output gradients for {@link #NAN_RULE_X}, exact in float32 (treat as read-only). */
    public static final double[] NAN_RULE_DY = {1.0, -1.0, 0.5, -2.0, 4.0, -0.25, 1.5, -3.0, 2.0, -1.0};

    /** Uploads its inputs to {@code s.backend()}, runs the op there and returns the tensors to compare. */
    @FunctionalInterface
    public interface Op {
        Tensor[] run(TensorScope s);
    }

    /** The float64 CPU backend every result is compared with. */
    public static Backend ref() {
        return BackendsUnderTest.reference();
    }

    /** Runs {@code op} on {@code be} and returns the host copy of every tensor it returned. */
    public static double[][] eval(Backend be, Op op) {
        try (TensorScope s = new TensorScope(be)) {
            Tensor[] outs = op.run(s);
            double[][] r = new double[outs.length][];
            for (int i = 0; i < outs.length; i++) r[i] = s.get(outs[i]);
            return r;
        }
    }

    /**
     * Runs op on the backend and on the F64 reference and compares every output element-wise with
     * {@code |e - a| <= atol + rtol |e|}; returns the reference's outputs.
     */
    public static double[][] compare(Backend be, String what, double rtol, double atol, Op op) {
        double[][] exp = eval(ref(), op), act = eval(be, op);
        for (int i = 0; i < exp.length; i++) {
            assertClose(exp[i], act[i], rtol, atol, what + " [output " + i + "] on " + be.name() + " vs F64 reference");
        }
        return exp;
    }

    /**
     * As {@link #compare}, with the absolute tolerance scaled per output by its largest magnitude:
     * {@code |e - a| <= rtol |e| + atolScale * max|e|}.
     */
    public static double[][] compareScaled(Backend be, String what, double rtol, double atolScale, Op op) {
        double[][] exp = eval(ref(), op), act = eval(be, op);
        for (int i = 0; i < exp.length; i++) {
            assertClose(exp[i], act[i], rtol, Math.max(atolScale * maxAbs(exp[i]), 1e-30),
                    what + " [output " + i + "] on " + be.name() + " vs F64 reference");
        }
        return exp;
    }

    /** {@link #compare} with the element-wise tolerances of {@link Tolerances}. */
    public static double[][] compareElementwise(Backend be, String what, Op op) {
        return compare(be, what, ELEMENTWISE_RTOL, ELEMENTWISE_ATOL, op);
    }

    /** The inputs of the case {@code what}, from the {@link #SEED} family. */
    public static SplittableRandom rnd(String what) {
        return rnd(SEED, what);
    }

    /** The inputs of the case {@code what} from the seed family {@code family} ({@link #SEED}, {@link #CONV_SEED}). */
    public static SplittableRandom rnd(long family, String what) {
        return new SplittableRandom(family ^ what.hashCode());
    }

    /** The largest finite magnitude in {@code x} (0 when there is none). */
    public static double maxAbsFinite(double[] x) {
        double m = 0;
        for (double v : x) if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** Same bits, except that any NaN equals any NaN (payloads are not part of the rule). */
    public static void assertSameBits(double[] want, double[] got, double[] input, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            boolean ok = Double.isNaN(want[i]) ? Double.isNaN(got[i])
                    : Double.doubleToRawLongBits(want[i]) == Double.doubleToRawLongBits(got[i]);
            if (!ok) {
                fail(what + " at element " + i + (input == null ? "" : " (x = " + input[i] + ")") + ": expected " + want[i]
                        + " but was " + got[i]);
            }
        }
    }

    /** The backend under test of that name (or a skip, see {@link BackendsUnderTest#get}), then the F64 reference. */
    public static List<Backend> andReference(String name) {
        List<Backend> out = new ArrayList<>();
        out.add(BackendsUnderTest.get(name));
        out.add(BackendsUnderTest.reference());
        return out;
    }

    /** {@code f} applied to every element of {@code x}. */
    public static double[] map(double[] x, DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = f.applyAsDouble(x[i]);
        return y;
    }

    /**
     * Arguments for a parameterized test that takes the backend name first: {@code {name, case...}} for every case
     * and every backend name of {@link BackendsUnderTest#names()}.
     */
    public static Stream<Object[]> onEveryBackend(List<Object[]> cases) {
        return crossed(BackendsUnderTest.names().toList(), cases);
    }

    /** {@link #onEveryBackend(List)} with the kernel emulator's backend too ({@link #KERNEL_NAMES}). */
    public static Stream<Object[]> onEveryKernelBackend(List<Object[]> cases) {
        return crossed(BackendsUnderTest.kernelNames().toList(), cases);
    }

    private static Stream<Object[]> crossed(List<String> names, List<Object[]> cases) {
        List<Object[]> out = new ArrayList<>();
        for (Object[] c : cases) {
            for (String n : names) {
                Object[] row = new Object[c.length + 1];
                row[0] = n;
                System.arraycopy(c, 0, row, 1, c.length);
                out.add(row);
            }
        }
        return out.stream();
    }

    /** {@link #onEveryBackend(List)} for cases of one argument. */
    public static Stream<Object[]> onEveryBackend(Stream<?> cases) {
        return onEveryBackend(cases.map(c -> new Object[] {c}).toList());
    }

    /** {@code n} standard normal floats from {@link Random} with that seed (not float32-rounded doubles: floats). */
    public static float[] randn(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** {@code |e - a| <= tol (1 + |e|)} for every element; a NaN matches a NaN. */
    public static void assertNear(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) && Double.isNaN(a)) continue;
            assertTrue(Math.abs(e - a) <= tol * (1 + Math.abs(e)), what + " [" + i + "]: expected " + e + ", got " + a);
        }
    }

    /** {@code |e - a| <= tol (1 + |e|)} for every element of a float64 expectation (a NaN never matches). */
    public static void assertNear(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            assertTrue(Math.abs(e - a) <= tol * (1 + Math.abs(e)), what + " [" + i + "]: expected " + e + ", got " + a);
        }
    }

    /** {@code a + b}, element by element, in double. */
    public static double[] plus(double[] a, float[] b) {
        double[] r = a.clone();
        for (int i = 0; i < r.length; i++) r[i] += b[i];
        return r;
    }
}
