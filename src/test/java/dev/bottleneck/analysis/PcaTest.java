package dev.bottleneck.analysis;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.testing.BackendsUnderTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** PCA: the randomized method against the exact one, reconstructions against the error formula, progress lines. */
class PcaTest {
    /** n samples of d features with a decaying spectrum: a few strong directions, then noise. */
    static Dataset data(int n, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] dirs = new double[12][d];
        for (double[] v : dirs) for (int j = 0; j < d; j++) v[j] = r.nextDouble() - 0.5;
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < dirs.length; c++) {
                double z = (r.nextDouble() - 0.5) * Math.pow(0.7, c);
                for (int j = 0; j < d; j++) x[i * d + j] += (float) (z * dirs[c][j]);
            }
            for (int j = 0; j < d; j++) x[i * d + j] += (float) (0.5 + 0.01 * (r.nextDouble() - 0.5));
        }
        return new Dataset(x, n, new int[] {d}, null, "synthetic");
    }

    @Test
    void randomizedMatchesExactOnTheLeadingComponents() {
        Backend be = BackendsUnderTest.reference();
        Dataset train = data(400, 300, 1), test = data(100, 300, 2);
        Pca exact = Pca.fit(be, train);
        Pca rand = Pca.fitRandomized(be, train, 8, 7);
        assertEquals("exact", exact.method());
        assertTrue(rand.method().startsWith("randomized"), rand.method());
        assertEquals(18, rand.components(), "k + oversampling directions");
        int[] ks = {1, 4, 8};
        double[] e = exact.reconstructionMse(test, ks), q = rand.reconstructionMse(test, ks);
        for (int i = 0; i < ks.length; i++) {
            assertTrue(q[i] >= e[i] * (1 - 1e-3), "k=" + ks[i] + ": a rank-k projection cannot beat PCA by much: " + q[i] + " vs " + e[i]);
            assertEquals(e[i], q[i], 1e-3 * e[i], "k=" + ks[i]);
            assertEquals(exact.variance(ks[i] - 1), rand.variance(ks[i] - 1), 1e-3 * exact.variance(ks[i] - 1));
        }
        // components are orthonormal
        for (int a = 0; a < 8; a++) {
            for (int b = 0; b < 8; b++) {
                double dot = 0;
                double[] u = rand.component(a), v = rand.component(b);
                for (int j = 0; j < u.length; j++) dot += u[j] * v[j];
                assertEquals(a == b ? 1 : 0, dot, 1e-9);
            }
        }
    }

    @Test
    void reconstructionsHaveTheErrorOfTheFormula() {
        Backend be = BackendsUnderTest.reference();
        Dataset train = data(200, 40, 3), test = data(50, 40, 4);
        Pca pca = Pca.fit(be, train, 5, 1, null);
        for (int k : new int[] {0, 3, 5}) {
            float[] rec = pca.reconstruct(test, test.n(), k);
            double sse = 0;
            for (int j = 0; j < rec.length; j++) sse += (rec[j] - test.x()[j]) * (double) (rec[j] - test.x()[j]);
            assertEquals(pca.reconstructionMse(test, k)[0], sse / rec.length, 1e-6, "k=" + k);
        }
    }

    @Test
    void progressLinesOnlyWhenSlow() {
        List<String> lines = new ArrayList<>();
        Pca.fit(BackendsUnderTest.reference(), data(100, 30, 5), 3, 1, lines::add);
        assertTrue(lines.isEmpty(), "a fraction of a second prints nothing: " + lines);
        Progress p = new Progress(lines::add, "work", 10);
        p.update(5, "items");
        assertTrue(lines.isEmpty(), "not before the interval");
        Progress every = new Progress(lines::add, "work", 10, 0);
        every.update(4, "items");
        every.update(10, "items");
        assertEquals(1, lines.size(), "a line while under way, none at the end: " + lines);
        assertTrue(lines.get(0).startsWith("work: 4 of 10 items (40%)"), lines.get(0));
    }
}
