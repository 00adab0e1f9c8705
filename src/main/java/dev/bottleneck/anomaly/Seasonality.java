package dev.bottleneck.anomaly;

import dev.bottleneck.data.SeriesWindows;
import dev.bottleneck.data.TimeSeries;

import java.util.Locale;

/**
 * The dominant period (season length, in steps) of a series, from its sample autocorrelation, and the detection
 * window it suggests.
 *
 * <p>Every range of the part (one per segment) and every feature is taken on its own: the least-squares line is
 * removed, the autocorrelation {@code r(k) = Σ x_t x_{t+k} / Σ x_t²} (the biased estimator, which favours the
 * fundamental over its multiples) is computed for lags 0..maxLag, and the curves are averaged, weighted by the
 * range's length (constant features are left out). Averaging the curves rather than the features keeps
 * anti-correlated features (humidity falls as temperature rises) from cancelling out.
 *
 * <p>A lag k is a candidate period when it is a local maximum of the averaged curve with {@code r ≥} {@value #MIN_PEAK}
 * that rises at least {@value #MIN_PROMINENCE} above the lowest value at a smaller lag (so the initial decay from
 * r(0) = 1 and noise ripples are not periods), and when the cycle repeats: the curve dips again by as much after k
 * and peaks again near 2k (within k/10) at no less than half of {@value #MIN_PEAK}. The repeat test is what keeps
 * the slow swings of a random walk from passing for a season; it also means a period must fit four times into the
 * shortest range. The period is the smallest candidate whose r is at least {@value #NEAR_BEST} of the best
 * candidate's: a daily cycle wins over the weekly one that contains it unless the weekly pattern is clearly
 * stronger. Periods up to {@value #MAX_PERIOD} steps are searched.
 */
public final class Seasonality {
    /** Smallest autocorrelation a peak needs to count as a period. */
    public static final double MIN_PEAK = 0.2;
    /** How far a peak must rise above the lowest autocorrelation at a smaller lag. */
    public static final double MIN_PROMINENCE = 0.25;
    /** A smaller-lag peak within this share of the best peak wins. */
    public static final double NEAR_BEST = 0.9;
    /** Longest period searched. */
    public static final int MAX_PERIOD = 1000;
    /** Shortest window chosen from a period (short periods give a whole number of cycles). */
    public static final int MIN_WINDOW = 8;
    /** Longest window chosen from a period. */
    public static final int MAX_WINDOW = 512;
    /** Multiply-adds the autocorrelation may spend; long ranges use their first rows only beyond it. */
    static final long BUDGET = 300_000_000L;

    private Seasonality() {}

    /**
     * What {@link #detect} found: {@code lag} is the period (0 when none), {@code autocorrelation} its r (or the
     * highest local peak's r when none qualified), {@code maxLag} the longest period searched.
     */
    public record Period(int lag, double autocorrelation, int maxLag) {
        public boolean found() {
            return lag > 0;
        }

        /** One line for people, e.g. "period 48 steps (autocorrelation 0.91 at that lag; lags 2..500 searched)". */
        public String describe() {
            if (maxLag < 2) return "no period searched (the training part is too short)";
            return found() ? String.format(Locale.ROOT, "period %d steps (autocorrelation %.2f at that lag; lags 2..%d searched)", lag,
                    autocorrelation, maxLag)
                    : String.format(Locale.ROOT, "no dominant period (no autocorrelation peak of at least %.2f among lags 2..%d; highest %.2f)",
                    MIN_PEAK, maxLag, autocorrelation);
        }
    }

    /** The dominant period of the rows of {@code part} (use the training part: it is what the detector may look at). */
    public static Period detect(TimeSeries s, SeriesWindows.Part part) {
        int shortest = Integer.MAX_VALUE;
        for (SeriesWindows.Range r : part.ranges()) shortest = Math.min(shortest, r.length());
        int lags = part.ranges().isEmpty() ? 0 : Math.min(2 * MAX_PERIOD + MAX_PERIOD / 10, shortest / 2);
        if (searchable(lags) < 2) return new Period(0, Double.NaN, searchable(lags));
        return dominant(autocorrelation(s, part, lags));
    }

    /** The longest period whose repeat (near twice the lag) a curve of lags 0..lags can show. */
    static int searchable(int lags) {
        return Math.min(MAX_PERIOD, lags / 2);
    }

    /** The averaged autocorrelation curve r(0..maxLag) described in the class comment. */
    public static double[] autocorrelation(TimeSeries s, SeriesWindows.Part part, int maxLag) {
        int f = s.features();
        double[] acf = new double[maxLag + 1];
        double weight = 0;
        long perCurve = BUDGET / Math.max(1L, (long) f * part.ranges().size() * (maxLag + 1));
        for (SeriesWindows.Range r : part.ranges()) {
            int n = (int) Math.min(r.length(), Math.max(2L * maxLag + 2, perCurve));
            double[] x = new double[n];
            for (int j = 0; j < f; j++) {
                double raw = 0;
                for (int t = 0; t < n; t++) {
                    x[t] = s.value(r.from() + t, j);
                    raw += x[t] * x[t];
                }
                detrend(x);
                double denom = 0;
                for (double v : x) denom += v * v;
                if (!(denom > 1e-10 * raw)) continue; // a constant (or linear) feature carries no period
                for (int k = 0; k <= maxLag; k++) {
                    double num = 0;
                    for (int t = 0; t + k < n; t++) num += x[t] * x[t + k];
                    acf[k] += n * num / denom;
                }
                weight += n;
            }
        }
        if (weight > 0) for (int k = 0; k <= maxLag; k++) acf[k] /= weight;
        return acf;
    }

    /** The period picked from an autocorrelation curve r(0..lags) by the rule in the class comment. */
    public static Period dominant(double[] acf) {
        int lags = acf.length - 1, maxPeriod = searchable(lags);
        double lowest = acf[0], highestPeak = Double.NEGATIVE_INFINITY, best = Double.NEGATIVE_INFINITY;
        boolean[] candidate = new boolean[acf.length];
        for (int k = 1; k <= maxPeriod; k++) {
            boolean peak = acf[k] >= acf[k - 1] && acf[k] > acf[k + 1];
            if (peak && k >= 2) {
                highestPeak = Math.max(highestPeak, acf[k]);
                if (acf[k] >= MIN_PEAK && acf[k] - lowest >= MIN_PROMINENCE && repeats(acf, k)) {
                    candidate[k] = true;
                    best = Math.max(best, acf[k]);
                }
            }
            lowest = Math.min(lowest, acf[k]);
        }
        for (int k = 2; k <= maxPeriod; k++) if (candidate[k] && acf[k] >= NEAR_BEST * best) return new Period(k, acf[k], maxPeriod);
        return new Period(0, highestPeak == Double.NEGATIVE_INFINITY ? Double.NaN : highestPeak, maxPeriod);
    }

    /** Whether the curve dips after lag k by {@value #MIN_PROMINENCE} and peaks again near 2k (see the class comment). */
    static boolean repeats(double[] acf, int k) {
        int tol = Math.max(1, k / 10), from = 2 * k - tol, to = Math.min(2 * k + tol, acf.length - 1);
        if (to < 2 * k) return false;
        double dip = Double.POSITIVE_INFINITY, again = Double.NEGATIVE_INFINITY;
        for (int j = k + 1; j < from; j++) dip = Math.min(dip, acf[j]);
        for (int j = from; j <= to; j++) again = Math.max(again, acf[j]);
        return acf[k] - dip >= MIN_PROMINENCE && again >= MIN_PEAK / 2 && again - dip >= MIN_PROMINENCE;
    }

    /**
     * The window for a period: the smallest whole number of periods that is at least {@value #MIN_WINDOW} steps,
     * at most {@value #MAX_WINDOW} and at most {@code longestAllowed} (the shortest part a window must fit in).
     */
    public static int window(int period, int longestAllowed) {
        if (period < 1) throw new IllegalArgumentException("period must be positive, got " + period);
        int w = period * (int) Math.ceil((double) MIN_WINDOW / period);
        return Math.max(2, Math.min(w, Math.min(MAX_WINDOW, longestAllowed)));
    }

    /** Removes the least-squares line a + b·t from x in place. */
    static void detrend(double[] x) {
        int n = x.length;
        double mt = (n - 1) / 2.0, mx = 0;
        for (double v : x) mx += v;
        mx /= n;
        double sxy = 0, sxx = 0;
        for (int t = 0; t < n; t++) {
            sxy += (t - mt) * (x[t] - mx);
            sxx += (t - mt) * (t - mt);
        }
        double b = sxx == 0 ? 0 : sxy / sxx;
        for (int t = 0; t < n; t++) x[t] -= mx + b * (t - mt);
    }
}
