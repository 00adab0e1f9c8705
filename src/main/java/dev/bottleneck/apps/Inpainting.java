package dev.bottleneck.apps;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.model.Autoencoder;

import java.util.SplittableRandom;

/**
 * Inpainting / imputation with a trained autoencoder: the missing values start at an initial fill (the per-feature
 * training mean), then each iteration reconstructs the whole sample and copies the reconstruction into the missing
 * values only, re-imposing the known ones.
 */
public final class Inpainting {
    private Inpainting() {}

    /** A rectangle {@code x, y, w, h} of every image marked missing (all channels): {@code true} = missing. */
    public static boolean[] rectangle(int channels, int height, int width, int x, int y, int w, int h) {
        if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > width || y + h > height) {
            throw new BottleneckException("rectangle " + x + "," + y + "," + w + "," + h + " does not fit a " + width + "x" + height + " image");
        }
        boolean[] m = new boolean[channels * height * width];
        for (int c = 0; c < channels; c++) {
            for (int r = y; r < y + h; r++) for (int q = x; q < x + w; q++) m[c * height * width + r * width + q] = true;
        }
        return m;
    }

    /** Each pixel (all its channels) missing with probability {@code fraction}, seeded. */
    public static boolean[] random(int channels, int height, int width, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) throw new BottleneckException("--random must be in (0, 1), got " + fraction);
        SplittableRandom r = new SplittableRandom(seed);
        boolean[] m = new boolean[channels * height * width];
        int plane = height * width;
        for (int p = 0; p < plane; p++) {
            if (r.nextDouble() < fraction) for (int c = 0; c < channels; c++) m[c * plane + p] = true;
        }
        return m;
    }

    /** Fills the missing values of {@code n} samples: per-sample masks {@code missing[i]} (null: nothing missing). */
    public record Result(float[] initial, float[] filled) { }

    /**
     * @param x       the samples (row-major, n × d); the values at missing positions are ignored
     * @param missing n × d flags, true = missing
     * @param fill    the initial value of each feature (e.g. the training mean)
     */
    public static Result fill(Autoencoder model, float[] x, boolean[] missing, int n, int d, float[] fill, int iterations) {
        float[] cur = new float[n * d];
        for (int i = 0; i < n * d; i++) cur[i] = missing[i] ? fill[i % d] : x[i];
        float[] initial = cur.clone();
        for (int it = 0; it < iterations; it++) {
            float[] r = ModelOps.reconstruct(model, cur, n);
            for (int i = 0; i < n * d; i++) if (missing[i]) cur[i] = r[i];
        }
        return new Result(initial, cur);
    }

    /** Mean squared error over the missing positions only (NaN when none). */
    public static double maskedMse(float[] truth, float[] guess, boolean[] missing, int count) {
        double s = 0;
        long m = 0;
        for (int i = 0; i < count; i++) {
            if (!missing[i]) continue;
            double t = truth[i] - guess[i];
            s += t * t;
            m++;
        }
        return m == 0 ? Double.NaN : s / m;
    }

    /** The mean of each feature over n rows (NaN values skipped; 0 where a column has none). */
    public static float[] columnMeans(float[] x, int n, int d) {
        double[] s = new double[d];
        int[] c = new int[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                float v = x[i * d + j];
                if (!Float.isNaN(v)) { s[j] += v; c[j]++; }
            }
        }
        float[] m = new float[d];
        for (int j = 0; j < d; j++) m[j] = c[j] == 0 ? 0 : (float) (s[j] / c[j]);
        return m;
    }
}
