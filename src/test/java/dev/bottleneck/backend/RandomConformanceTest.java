package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.Conformance.Op;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Conformance.KERNEL_NAMES;
import static dev.bottleneck.testing.Conformance.eval;
import static dev.bottleneck.testing.Conformance.ref;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_RTOL;
import static dev.bottleneck.testing.Tolerances.NORMAL_ATOL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RandomOps} on every backend under test: uniform and Bernoulli values must be the host {@link CounterRng}
 * formula itself, normal values match the float64 CPU reference to {@code NORMAL_ATOL} (float32 Box-Muller), and
 * sample means and variances stay within a few standard errors.
 */
class RandomConformanceTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
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
    @MethodSource(KERNEL_NAMES)
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
            double[] exp = eval(ref(), op)[0], act = eval(be, op)[0];
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
    @MethodSource(KERNEL_NAMES)
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

    /**
     * A seed and a counter beyond 32 bits: uniform and Bernoulli reproduce {@link CounterRng} exactly, normal to
     * float32 rounding.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void randomNumbersReproduceCounterRng(String name) {
        Backend be = BackendsUnderTest.get(name);
        int n = 10_000;
        long seed = 0x1234_5678_9abcL, counter = (1L << 33) + 7;
        try (TensorScope s = new TensorScope(be)) {
            Tensor u = s.alloc(n), z = s.alloc(n), b = s.alloc(n);
            be.random().uniform(u, seed, counter, -2, 3);
            be.random().normal(z, seed, counter, 1, 0.5);
            be.random().bernoulli(b, seed, counter, 0.3);
            float[] uf = s.floats(u), zf = s.floats(z), bf = s.floats(b);
            for (int i = 0; i < n; i++) {
                assertEquals((float) (-2 + 5.0 * CounterRng.uniform(seed, counter + i)), uf[i], 0f, "uniform bit-exact at " + i);
                assertEquals((float) (1 + 0.5 * CounterRng.normal(seed, counter + i)), zf[i], 1e-6f, "normal at " + i);
                assertEquals(CounterRng.uniform(seed, counter + i) < 0.3 ? 1f : 0f, bf[i], 0f, "bernoulli at " + i);
            }
        }
    }
}
