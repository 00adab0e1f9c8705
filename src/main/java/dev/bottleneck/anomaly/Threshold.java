package dev.bottleneck.anomaly;

import dev.bottleneck.BottleneckException;

import java.util.Arrays;
import java.util.Locale;

/**
 * How the anomaly threshold is chosen from the scores of validation data assumed normal:
 * {@code p99} / {@code percentile:99} (that percentile, linear interpolation between order statistics),
 * {@code mean+3sd} / {@code sigma:3} (mean + k standard deviations) or {@code fpr:0.01} (calibrated: the threshold
 * whose flagged share of the validation scores is closest to the rate; see {@link #choose}). A score above the
 * threshold is flagged.
 */
public record Threshold(Method method, double parameter) {
    public enum Method { PERCENTILE, SIGMA, FPR }

    /** The calibrated rule: flag about this share of the validation scores. */
    public static Threshold fpr(double rate) {
        return new Threshold(Method.FPR, rate);
    }

    public Threshold {
        if (method == Method.PERCENTILE && !(parameter > 0 && parameter <= 100)) {
            throw new BottleneckException("threshold percentile must be in (0, 100], got " + parameter);
        }
        if (method == Method.SIGMA && !(parameter >= 0)) throw new BottleneckException("threshold k must be >= 0, got " + parameter);
        if (method == Method.FPR && !(parameter > 0 && parameter < 1)) {
            throw new BottleneckException("the false-positive rate must be in (0, 1), got " + parameter + " (e.g. 0.01 for 1%)");
        }
    }

    public static Threshold parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        try {
            if (t.startsWith("fpr:")) return fpr(Double.parseDouble(t.substring(4)));
            if (t.startsWith("percentile:")) return new Threshold(Method.PERCENTILE, Double.parseDouble(t.substring(11)));
            if (t.startsWith("p")) return new Threshold(Method.PERCENTILE, Double.parseDouble(t.substring(1)));
            if (t.startsWith("sigma:")) return new Threshold(Method.SIGMA, Double.parseDouble(t.substring(6)));
            if (t.startsWith("mean+") && (t.endsWith("sd") || t.endsWith("sigma"))) {
                return new Threshold(Method.SIGMA, Double.parseDouble(t.substring(5, t.length() - (t.endsWith("sd") ? 2 : 5))));
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new BottleneckException("threshold '" + s + "' not understood: use p99, percentile:99.5, mean+3sd, sigma:3 or fpr:0.01");
    }

    /**
     * The threshold for these validation scores (NaN entries are ignored). For {@code fpr:r} it is the midpoint
     * between two neighbouring distinct scores (or just below the smallest, or the largest) chosen so that the share
     * of validation scores above it is as close to r as the scores allow (ties at the top can make r unreachable;
     * between two equally close shares the smaller wins): with n distinct scores the share is within 0.5 / n of r.
     */
    public double choose(double[] validationScores) {
        double[] v = Arrays.stream(validationScores).filter(d -> !Double.isNaN(d)).toArray();
        if (v.length == 0) throw new BottleneckException("no validation scores to choose the threshold from");
        if (method == Method.FPR) return calibrated(v, parameter);
        if (method == Method.PERCENTILE) {
            Arrays.sort(v);
            double pos = parameter / 100.0 * (v.length - 1);
            int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
            return v[lo] + (pos - lo) * (v[hi] - v[lo]);
        }
        double mean = 0;
        for (double d : v) mean += d;
        mean /= v.length;
        double var = 0;
        for (double d : v) var += (d - mean) * (d - mean);
        return mean + parameter * Math.sqrt(var / v.length);
    }

    /** The share of these scores (NaN ignored) above the threshold: what {@code fpr:r} aims at. */
    public static double flaggedShare(double[] scores, double threshold) {
        int n = 0, above = 0;
        for (double d : scores) {
            if (Double.isNaN(d)) continue;
            n++;
            if (d > threshold) above++;
        }
        return n == 0 ? Double.NaN : (double) above / n;
    }

    private static double calibrated(double[] v, double rate) {
        Arrays.sort(v);
        int n = v.length;
        double target = rate * n;
        double best = v[n - 1], bestMiss = target; // flag nothing
        if (n - target < bestMiss) {                // flag everything
            best = Math.nextDown(v[0]);
            bestMiss = n - target;
        }
        for (int i = 1; i < n; i++) {
            if (!(v[i] > v[i - 1])) continue;
            double miss = Math.abs(n - i - target);
            if (miss < bestMiss || (miss == bestMiss && n - i < target)) {
                double mid = v[i - 1] + (v[i] - v[i - 1]) / 2;
                best = mid < v[i] ? mid : v[i - 1];
                bestMiss = miss;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return switch (method) {
            case PERCENTILE -> "p" + fmt(parameter);
            case SIGMA -> "mean+" + fmt(parameter) + "sd";
            case FPR -> "fpr:" + parameter;
        };
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
