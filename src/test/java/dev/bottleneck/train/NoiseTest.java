package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The denoising corruption: its statistics, its determinism, and the same numbers on every backend. */
class NoiseTest {
    static final int N = 200_000;

    private static double[] corrupt(Backend be, Noise nz, double[] clean, long seed, long counter, double lo, double hi) {
        try (TensorScope s = new TensorScope(be)) {
            Tensor x = s.tensor(clean, clean.length), y = s.alloc(clean.length);
            nz.apply(be, x, y, seed, counter, lo, hi);
            return s.get(y);
        }
    }

    private static double[] cleanData() {
        return HostData.uniform(new SplittableRandom(1), N, 0.1, 0.9);
    }

    @Test
    void gaussianHasTheRequestedSpreadAndIsClipped() {
        Backend be = BackendsUnderTest.reference();
        double[] x = cleanData();
        double[] wide = corrupt(be, new Noise(Noise.Kind.GAUSSIAN, 0.3), x, 5, 0, -100, 100);
        double m = 0, v = 0;
        for (int i = 0; i < N; i++) m += wide[i] - x[i];
        m /= N;
        for (int i = 0; i < N; i++) v += (wide[i] - x[i] - m) * (wide[i] - x[i] - m);
        assertEquals(0, m, 0.003);
        assertEquals(0.3, Math.sqrt(v / N), 0.003);
        double[] clipped = corrupt(be, new Noise(Noise.Kind.GAUSSIAN, 0.5), x, 5, 0, 0, 1);
        int atBounds = 0;
        for (double c : clipped) {
            assertTrue(c >= 0 && c <= 1);
            if (c == 0 || c == 1) atBounds++;
        }
        assertTrue(atBounds > N / 10, "σ = 0.5 on [0.1, 0.9] data must clip a good share: " + atBounds);
    }

    @Test
    void maskZeroesTheRequestedFraction() {
        Backend be = BackendsUnderTest.reference();
        double[] x = cleanData();
        double[] y = corrupt(be, new Noise(Noise.Kind.MASK, 0.3), x, 9, 0, 0, 1);
        int zero = 0;
        for (int i = 0; i < N; i++) {
            if (y[i] == 0) zero++;
            else assertEquals(x[i], y[i], 0.0, "kept elements are unchanged");
        }
        assertEquals(0.3, zero / (double) N, 0.005);
    }

    @Test
    void saltAndPepperSetsHalfToEachBound() {
        Backend be = BackendsUnderTest.reference();
        double[] x = cleanData();
        double[] y = corrupt(be, new Noise(Noise.Kind.SALT_PEPPER, 0.2), x, 13, 0, 0, 1);
        int salt = 0, pepper = 0;
        for (int i = 0; i < N; i++) {
            if (y[i] == 0) pepper++;
            else if (y[i] == 1) salt++;
            else assertEquals(x[i], y[i], 1e-15, "untouched elements are unchanged");
        }
        assertEquals(0.1, pepper / (double) N, 0.004);
        assertEquals(0.1, salt / (double) N, 0.004);
        // a data range other than [0, 1]
        double[] z = corrupt(be, new Noise(Noise.Kind.SALT_PEPPER, 1.0), x, 13, 0, -2, 3);
        for (double v : z) assertTrue(v == -2 || v == 3);
    }

    @Test
    void counterBasedStreams() {
        Backend be = BackendsUnderTest.reference();
        double[] x = cleanData();
        Noise nz = new Noise(Noise.Kind.GAUSSIAN, 0.2);
        assertArrayEquals(corrupt(be, nz, x, 3, 0, 0, 1), corrupt(be, nz, x, 3, 0, 0, 1), 0.0);
        assertFalse(java.util.Arrays.equals(corrupt(be, nz, x, 3, 0, 0, 1), corrupt(be, nz, x, 4, 0, 0, 1)));
        // element i uses counter + i: a batch starting at counter 1000 matches the tail of one starting at 0
        double[] all = corrupt(be, nz, x, 3, 0, 0, 1);
        double[] tail = corrupt(be, nz, java.util.Arrays.copyOfRange(x, 1000, N), 3, 1000, 0, 1);
        assertArrayEquals(java.util.Arrays.copyOfRange(all, 1000, N), tail, 0.0);
    }

    /** Every backend draws the same corruption as the float64 reference (up to float32 rounding). */
    @ParameterizedTest
    @MethodSource("dev.bottleneck.testing.BackendsUnderTest#names")
    void sameOnEveryBackend(String name) {
        Backend be = BackendsUnderTest.get(name);
        Backend ref = BackendsUnderTest.reference();
        double[] x = HostData.uniform(new SplittableRandom(2), 50_000, 0, 1);
        for (String spec : new String[] {"gaussian:0.5", "mask:0.3", "saltpepper:0.1"}) {
            Noise nz = Noise.parse(spec);
            double[] got = corrupt(be, nz, x, 77, 12345, 0, 1), want = corrupt(ref, nz, x, 77, 12345, 0, 1);
            int differ = 0;
            for (int i = 0; i < x.length; i++) if (Math.abs(got[i] - want[i]) > 1e-5) differ++;
            // a Bernoulli draw exactly at the threshold could flip between float32 and float64 comparisons: allow a few
            assertTrue(differ <= 2, name + " " + spec + ": " + differ + " elements differ from the reference");
        }
    }

    @Test
    void parsing() {
        assertEquals(new Noise(Noise.Kind.GAUSSIAN, 0.5), Noise.parse("gaussian:0.5"));
        assertEquals(new Noise(Noise.Kind.MASK, 0.3), Noise.parse("mask:0.3"));
        assertEquals(new Noise(Noise.Kind.SALT_PEPPER, 0.1), Noise.parse("saltpepper:0.1"));
        assertEquals(Noise.parse("mask:0.3"), Noise.fromMap(Noise.parse("mask:0.3").toMap()));
        assertThrows(BottleneckException.class, () -> Noise.parse("gaussian"));
        assertThrows(BottleneckException.class, () -> Noise.parse("blur:0.3"));
        assertThrows(BottleneckException.class, () -> Noise.parse("mask:1.5"));
        assertThrows(BottleneckException.class, () -> Noise.parse("gaussian:-1"));
    }

    private static Dataset tiny(int n, int d, long seed) {
        float[] x = new float[n * d];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        return new Dataset(x, n, new int[] {d}, null, "tiny");
    }

    private static double[] trainWeights(FitConfig cfg) {
        Backend be = BackendsUnderTest.reference();
        try (Autoencoder m = new Autoencoder(ModelSpec.dense("12-5", "relu", "sigmoid", Loss.BCE)).bind(be, 1);
             Trainer t = new Trainer(m, cfg, s -> { })) {
            t.fit(tiny(64, 12, 3), null, null);
            return TensorScope.download(be, m.params().values());
        }
    }

    @Test
    void trainerCorruptsInputsDeterministically() {
        FitConfig base = new FitConfig().epochs(2).batch(16).validation(0).progress(false);
        double[] plain = trainWeights(base);
        double[] noisyA = trainWeights(new FitConfig().epochs(2).batch(16).validation(0).progress(false).noise(Noise.parse("mask:0.4")));
        double[] noisyB = trainWeights(new FitConfig().epochs(2).batch(16).validation(0).progress(false).noise(Noise.parse("mask:0.4")));
        assertArrayEquals(noisyA, noisyB, 0.0, "same seed, same corruption");
        assertFalse(java.util.Arrays.equals(plain, noisyA), "noise must change training");
        FitConfig c = FitConfig.fromMap(new FitConfig().noise(Noise.parse("saltpepper:0.1")).toMap());
        assertEquals(Noise.parse("saltpepper:0.1"), c.noise());
        assertEquals(null, FitConfig.fromMap(new FitConfig().toMap()).noise());
    }
}
