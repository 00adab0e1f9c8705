package dev.bottleneck.anomaly;

import dev.bottleneck.BottleneckException;

import java.util.Locale;

/**
 * How a sample's reconstruction error becomes its anomaly score, in the model's (scaled) units:
 * <ul>
 *   <li>{@link #MSE}: the mean squared error over all of the sample's values (the score of {@code detect});</li>
 *   <li>{@link #SUM}: the sum of the squared errors (the mean times the number of values);</li>
 *   <li>{@link #PER_NONZERO}: the mean squared error over the values that are non-zero in the input as read (before
 *       scaling), for vectors whose number of non-zero entries varies from sample to sample, such as bag-of-words
 *       counts: a short document is not "normal" merely because most of its entries are zeros reconstructed as zeros.
 *       A sample without a non-zero value scores 0.</li>
 * </ul>
 */
public enum ReconstructionScore {
    MSE("mse"), SUM("sum"), PER_NONZERO("per-nonzero");

    private final String key;

    ReconstructionScore(String key) {
        this.key = key;
    }

    /** The name on the command line and in files: mse, sum or per-nonzero. */
    public String key() {
        return key;
    }

    public static ReconstructionScore parse(String s) {
        String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (ReconstructionScore k : values()) if (k.key.equals(t)) return k;
        if (t.equals("pernonzero") || t.equals("nonzero")) return PER_NONZERO;
        throw new BottleneckException("unknown --score '" + s + "': use mse (mean squared error per value), sum (summed squared error)"
                + " or per-nonzero (mean squared error over the non-zero input values)");
    }

    /** A description for reports. */
    public String describe() {
        return switch (this) {
            case MSE -> "reconstruction MSE per sample";
            case SUM -> "summed squared reconstruction error per sample";
            case PER_NONZERO -> "reconstruction MSE over the non-zero input values of each sample";
        };
    }

    /**
     * The score of the sample at {@code x[off .. off + d)} reconstructed as {@code r[off .. off + d)}. For
     * {@link #PER_NONZERO}, {@code zero[j]} is the value an input of 0 has in the model's units (0 without scaling;
     * null means 0 for every value): entries equal to it count as zero.
     */
    public double of(float[] x, float[] r, int off, int d, float[] zero) {
        double s = 0;
        int counted = 0;
        for (int j = 0; j < d; j++) {
            float v = x[off + j];
            if (this == PER_NONZERO && v == (zero == null ? 0f : zero[j])) continue;
            double t = v - r[off + j];
            s += t * t;
            counted++;
        }
        return switch (this) {
            case MSE -> s / d;
            case SUM -> s;
            case PER_NONZERO -> counted == 0 ? 0 : s / counted;
        };
    }
}
