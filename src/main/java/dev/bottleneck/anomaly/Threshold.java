package dev.bottleneck.anomaly;

import dev.bottleneck.BottleneckException;

import java.util.Arrays;
import java.util.Locale;

/**
 * How the anomaly threshold is chosen from the scores of validation data assumed normal:
 * {@code p99} / {@code percentile:99} (that percentile, linear interpolation between order statistics) or
 * {@code mean+3sd} / {@code sigma:3} (mean + k standard deviations). A score above the threshold is flagged.
 */
public record Threshold(Method method, double parameter) {
    public enum Method { PERCENTILE, SIGMA }

    public Threshold {
        if (method == Method.PERCENTILE && !(parameter > 0 && parameter <= 100)) {
            throw new BottleneckException("threshold percentile must be in (0, 100], got " + parameter);
        }
        if (method == Method.SIGMA && !(parameter >= 0)) throw new BottleneckException("threshold k must be >= 0, got " + parameter);
    }

    public static Threshold parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        try {
            if (t.startsWith("percentile:")) return new Threshold(Method.PERCENTILE, Double.parseDouble(t.substring(11)));
            if (t.startsWith("p")) return new Threshold(Method.PERCENTILE, Double.parseDouble(t.substring(1)));
            if (t.startsWith("sigma:")) return new Threshold(Method.SIGMA, Double.parseDouble(t.substring(6)));
            if (t.startsWith("mean+") && (t.endsWith("sd") || t.endsWith("sigma"))) {
                return new Threshold(Method.SIGMA, Double.parseDouble(t.substring(5, t.length() - (t.endsWith("sd") ? 2 : 5))));
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new BottleneckException("threshold '" + s + "' not understood: use p99, percentile:99.5, mean+3sd or sigma:3");
    }

    /** The threshold for these validation scores (NaN entries are ignored). */
    public double choose(double[] validationScores) {
        double[] v = Arrays.stream(validationScores).filter(d -> !Double.isNaN(d)).toArray();
        if (v.length == 0) throw new BottleneckException("no validation scores to choose the threshold from");
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

    @Override
    public String toString() {
        return method == Method.PERCENTILE ? "p" + fmt(parameter) : "mean+" + fmt(parameter) + "sd";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
