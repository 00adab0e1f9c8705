package dev.bottleneck.anomaly;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.data.SeriesWindows;
import dev.bottleneck.data.TimeSeries;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.model.SequenceSpec;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.Trainer;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * Anomaly detection on a time series with a sequence autoencoder, and the same protocol for a simple baseline:
 * <ol>
 *   <li>every segment is split chronologically into train / validation / test parts; per-feature standard scaling
 *       is fitted on the training rows only;</li>
 *   <li>the autoencoder trains on sliding windows of the training part (validation windows give the validation
 *       loss); each window's error is its mean squared reconstruction error (scaled units), and a row's error is the
 *       mean error of the windows covering it, or the error of the window centred on it, or the largest error
 *       ({@link SeriesWindows.RowScore});</li>
 *   <li>the z-score baseline scores each row by the largest |z| over its features (z from the training rows' mean
 *       and standard deviation);</li>
 *   <li>with a period P (given, or found by {@link Seasonality} on the training part), the seasonal-naive baseline
 *       scores row t by the largest standardised seasonal difference over its features,
 *       |x_t − x_{t−P} − m| / s with m and s the mean and standard deviation of x_t − x_{t−P} over the training
 *       part (a forecast "same as one season ago");</li>
 *   <li>for every method, the threshold is chosen on the validation rows' scores (assumed normal) and test rows above it
 *       are flagged; where labels exist, precision / recall / F1 of the flags and the ROC-AUC of the scores are
 *       computed on the test rows.</li>
 * </ol>
 */
public final class SeriesDetector {
    private SeriesDetector() {}

    /**
     * What to run. {@code trainStride} applies to the training windows; validation and test windows use stride 1.
     * {@code period} is the season length for the seasonal-naive baseline (0: no such baseline).
     */
    public record Config(int window, int trainStride, double trainFraction, double validationFraction, Threshold threshold,
                         SequenceSpec model, FitConfig fit, long seed, int period, SeriesWindows.RowScore rowScore) {
        public Config {
            if (window < 2) throw new BottleneckException("--window must be at least 2, got " + window);
            if (trainStride < 1) throw new BottleneckException("--stride must be at least 1, got " + trainStride);
            if (period < 0) throw new BottleneckException("--period must be at least 0, got " + period);
            if (rowScore == null) rowScore = SeriesWindows.RowScore.MEAN;
        }

        /** Mean row scores and no seasonal baseline. */
        public Config(int window, int trainStride, double trainFraction, double validationFraction, Threshold threshold,
                      SequenceSpec model, FitConfig fit, long seed) {
            this(window, trainStride, trainFraction, validationFraction, threshold, model, fit, seed, 0, SeriesWindows.RowScore.MEAN);
        }
    }

    /**
     * The window (and period) to use when the caller did not fix them: {@code period} is what {@link Seasonality}
     * found on the training part, or the given one; {@code periodSource} is "given", "detected" or "none";
     * {@code windowSource} is "given", "period" or "default" (no period: {@value #DEFAULT_WINDOW} steps).
     */
    public record Plan(Seasonality.Period detected, int period, String periodSource, int window, String windowSource, int stride,
                       int trainWindows) {
        /** One line for people, e.g. "period 48 steps (autocorrelation 0.91 ...); window 48 (one period), stride 6". */
        public String describe() {
            String p = switch (periodSource) {
                case "given" -> "period " + period + " steps (given)";
                case "detected" -> detected.describe() + ", detected on the training part";
                default -> detected == null ? "no period (--period 0)" : detected.describe();
            };
            String w = switch (windowSource) {
                case "given" -> "window " + window + " (given)";
                case "period" -> "window " + window + (window == period ? " (one period)"
                        : window % period == 0 ? " (" + window / period + " periods)" : " (from the period, capped)");
                default -> "window " + window + " (default: no period)";
            };
            return p + "; " + w + ", training stride " + stride;
        }
    }

    /** Window when no period is known or given. */
    public static final int DEFAULT_WINDOW = 16;

    /**
     * Chooses period, window and stride: a null window comes from the period ({@link Seasonality#window}, fitted
     * into the shortest train / validation / test part), a null period is detected on the training part (0 turns
     * the period off), a null stride is max(4, window / 8).
     */
    public static Plan plan(TimeSeries s, double trainFraction, double validationFraction, Integer window, Integer period, Integer stride) {
        SeriesWindows.Split split = SeriesWindows.chronological(s, trainFraction, validationFraction);
        Seasonality.Period found = null;
        int p;
        String ps;
        if (period != null && period > 0) {
            p = period;
            ps = "given";
        } else if (period != null) {
            p = 0;
            ps = "none";
        } else {
            found = Seasonality.detect(s, split.train());
            p = found.lag();
            ps = found.found() ? "detected" : "none";
        }
        int w;
        String ws;
        if (window != null) {
            w = window;
            ws = "given";
        } else if (p > 0) {
            int shortest = Integer.MAX_VALUE;
            for (SeriesWindows.Part part : java.util.List.of(split.train(), split.validation(), split.test())) {
                for (SeriesWindows.Range r : part.ranges()) shortest = Math.min(shortest, r.length());
            }
            w = Seasonality.window(p, shortest);
            ws = "period";
        } else {
            w = DEFAULT_WINDOW;
            ws = "default";
        }
        int st = stride != null ? stride : Math.max(4, w / 8);
        return new Plan(found, p, ps, w, ws, st, SeriesWindows.count(split.train(), w, st));
    }

    /** Optimizer steps the default number of epochs aims at (a sequence autoencoder needs a few hundred). */
    public static final int TARGET_STEPS = 300;
    /** Bounds of the default number of epochs. */
    public static final int MIN_EPOCHS = 6, MAX_EPOCHS = 100;

    /**
     * The default number of epochs: enough for about {@value #TARGET_STEPS} optimizer steps over {@code trainWindows}
     * windows in batches of {@code batch}, at least {@value #MIN_EPOCHS} and at most {@value #MAX_EPOCHS}. A short
     * series has few windows per epoch, and six epochs of three batches leave the autoencoder at the mean.
     */
    public static int defaultEpochs(int trainWindows, int batch) {
        int perEpoch = Math.max(1, (trainWindows + batch - 1) / batch);
        return Math.max(MIN_EPOCHS, Math.min(MAX_EPOCHS, (TARGET_STEPS + perEpoch - 1) / perEpoch));
    }

    /**
     * One method's result: row scores over the whole series (NaN outside the scored parts), its threshold, the
     * share of validation rows above it, and metrics on the test rows.
     */
    public record Scores(String method, double[] rowScores, double threshold, boolean[] flagged, Metrics.Confusion confusion,
                         double rocAuc, double validationFlaggedShare) {
        public String row(Locale l) {
            return confusion == null
                    ? String.format(l, "%-34s threshold %.4g  flagged %d  (validation flagged %.2f%%)", method, threshold, count(flagged),
                    100 * validationFlaggedShare)
                    : String.format(l, "%-34s ROC-AUC %.3f  F1 %.3f  precision %.3f  recall %.3f  (threshold %.4g, flagged %d)", method,
                    rocAuc, confusion.f1(), confusion.precision(), confusion.recall(), threshold, count(flagged));
        }

        private static int count(boolean[] f) {
            int n = 0;
            for (boolean b : f) if (b) n++;
            return n;
        }
    }

    /**
     * Everything {@link #run} produced. {@code testRows} lists the test rows in order (metrics are over these);
     * {@code seasonal} is null without a period; the windows and their errors are the validation and test windows
     * the autoencoder's row scores were made from.
     */
    public record Report(TimeSeries series, SeriesWindows.Split split, int[] testRows, Scores autoencoder, Scores baseline,
                         Scores seasonal, Trainer.Result training, Autoencoder model, Scaler scaler,
                         SeriesWindows.Windows validationWindows, double[] validationWindowErrors,
                         SeriesWindows.Windows testWindows, double[] testWindowErrors) {
        /** Every method that ran: the autoencoder, the z-score baseline and, with a period, the seasonal-naive one. */
        public java.util.List<Scores> methods() {
            return seasonal == null ? java.util.List.of(autoencoder, baseline) : java.util.List.of(autoencoder, baseline, seasonal);
        }
    }

    /** Trains the sequence autoencoder on the training part and scores validation and test rows (and the baseline). */
    public static Report run(TimeSeries s, Config c, Backend be, Consumer<String> log) {
        SeriesWindows.Split split = SeriesWindows.chronological(s, c.trainFraction(), c.validationFraction());
        if (split.validation().rows() == 0) throw new BottleneckException("the validation part is empty: raise --val-fraction");
        for (SeriesWindows.Range r : split.train().ranges()) {
            if (c.period() > r.length()) {
                throw new BottleneckException("--period " + c.period() + " is longer than the training part of "
                        + (r.group().isEmpty() ? "the series" : "group '" + r.group() + "'") + " (" + r.length()
                        + " rows): the seasonal-naive baseline needs a whole season of training rows; give a shorter --period or --period 0");
            }
        }
        Scaler scaler = SeriesWindows.fitScaler(s, split.train(), Scaler.Kind.STANDARD);
        SeriesWindows.Windows train = SeriesWindows.windows(s, split.train(), c.window(), c.trainStride(), scaler);
        SeriesWindows.Windows val = SeriesWindows.windows(s, split.validation(), c.window(), 1, scaler);
        SeriesWindows.Windows test = SeriesWindows.windows(s, split.test(), c.window(), 1, scaler);
        log.accept(String.format(Locale.ROOT, "%s: %d rows, %d features %s, %d segments; windows of %d: %d train (stride %d), %d validation, %d test",
                s.name(), s.rows(), s.features(), s.featureNames(), s.segments().size(), c.window(), train.n(), c.trainStride(), val.n(), test.n()));
        ModelSpec spec = new SequenceSpec(c.model().name(), c.window(), s.features(), c.model().cell(), c.model().hidden(),
                c.model().layers(), c.model().latent(), c.model().bidirectional(), c.model().teacherForcing()).toModelSpec();
        Autoencoder model = new Autoencoder(spec).bind(be, c.seed());
        Trainer.Result result;
        try (Trainer t = new Trainer(model, c.fit(), log)) {
            result = t.fit(train.data(), val.data(), null);
        }
        int rows = s.rows();
        double[] valWindowErr = windowErrors(model, val.data(), 512), testWindowErr = windowErrors(model, test.data(), 512);
        double[] valErr = SeriesWindows.rowErrors(rows, val, valWindowErr, c.rowScore());
        double[] testErr = SeriesWindows.rowErrors(rows, test, testWindowErr, c.rowScore());
        double[] aeScores = merge(valErr, testErr);
        int[] testRows = rowsOf(split.test());
        int[] valRows = rowsOf(split.validation());
        Scores ae = score(c.model().cell().name() + " autoencoder (" + c.rowScore() + " row error)", s, aeScores, valRows, testRows,
                c.threshold());
        double[] z = zScores(s, scaler);
        Scores base = score("z-score baseline", s, z, valRows, testRows, c.threshold());
        Scores seasonal = c.period() > 0 ? score("seasonal-naive baseline (lag " + c.period() + ")", s,
                seasonalNaiveScores(s, split.train(), c.period()), valRows, testRows, c.threshold()) : null;
        return new Report(s, split, testRows, ae, base, seasonal, result, model, scaler, val, valWindowErr, test, testWindowErr);
    }

    private static double[] merge(double[] a, double[] b) {
        double[] out = a.clone();
        for (int i = 0; i < out.length; i++) if (Double.isNaN(out[i])) out[i] = b[i];
        return out;
    }

    static int[] rowsOf(SeriesWindows.Part p) {
        int[] out = new int[p.rows()];
        int k = 0;
        for (SeriesWindows.Range r : p.ranges()) for (int i = r.from(); i < r.to(); i++) out[k++] = i;
        return out;
    }

    /** Threshold from the validation rows, flags and metrics on the test rows. */
    static Scores score(String method, TimeSeries s, double[] scores, int[] valRows, int[] testRows, Threshold th) {
        double[] v = new double[valRows.length];
        for (int i = 0; i < v.length; i++) v[i] = scores[valRows[i]];
        double thr = th.choose(v);
        boolean[] flagged = new boolean[s.rows()];
        double[] ts = new double[testRows.length];
        boolean[] tf = new boolean[testRows.length];
        int[] tl = s.hasLabels() ? new int[testRows.length] : null;
        for (int i = 0; i < testRows.length; i++) {
            int r = testRows[i];
            ts[i] = scores[r];
            tf[i] = flagged[r] = scores[r] > thr;
            if (tl != null) tl[i] = s.labels()[r];
        }
        Metrics.Confusion conf = tl == null ? null : Metrics.confusion(tf, tl);
        double auc = tl == null ? Double.NaN : Metrics.rocAuc(ts, tl);
        return new Scores(method, scores, thr, flagged, conf, auc, Threshold.flaggedShare(v, thr));
    }

    /**
     * The seasonal-naive score of every row: max over features of |x_t − x_{t−P} − m| / s, with m and s the mean and
     * standard deviation of the seasonal difference over the training rows (both ends in the training part); NaN
     * for the first P rows of each segment. A feature whose seasonal difference never varies uses s = 1 (raw units).
     */
    public static double[] seasonalNaiveScores(TimeSeries s, SeriesWindows.Part train, int period) {
        int f = s.features();
        double[] sum = new double[f], sq = new double[f];
        long n = 0;
        for (SeriesWindows.Range r : train.ranges()) {
            for (int t = r.from() + period; t < r.to(); t++, n++) {
                for (int j = 0; j < f; j++) {
                    double d = s.value(t, j) - s.value(t - period, j);
                    sum[j] += d;
                    sq[j] += d * d;
                }
            }
        }
        if (n == 0) throw new BottleneckException("the training part has no rows a whole period (" + period + " steps) apart");
        double[] mean = new double[f], sd = new double[f];
        for (int j = 0; j < f; j++) {
            mean[j] = sum[j] / n;
            double var = Math.max(0, sq[j] / n - mean[j] * mean[j]);
            sd[j] = var > 1e-12 * sq[j] / n ? Math.sqrt(var) : 1;
        }
        double[] out = new double[s.rows()];
        java.util.Arrays.fill(out, Double.NaN);
        for (TimeSeries.Segment g : s.segments()) {
            for (int t = g.from() + period; t < g.to(); t++) {
                double m = 0;
                for (int j = 0; j < f; j++) m = Math.max(m, Math.abs(s.value(t, j) - s.value(t - period, j) - mean[j]) / sd[j]);
                out[t] = m;
            }
        }
        return out;
    }

    /** The baseline score of every row: max over features of |x - mean| / std, with the training rows' statistics. */
    public static double[] zScores(TimeSeries s, Scaler standard) {
        int f = s.features();
        float[] z = standard.transform(s.values());
        double[] out = new double[s.rows()];
        for (int r = 0; r < out.length; r++) {
            double m = 0;
            for (int j = 0; j < f; j++) m = Math.max(m, Math.abs(z[r * f + j]));
            out[r] = m;
        }
        return out;
    }

    /** Mean squared reconstruction error of every window (inference, batch by batch). */
    public static double[] windowErrors(Autoencoder model, Dataset windows, int batch) {
        Backend be = model.params().backend();
        int n = windows.n(), d = windows.features();
        double[] out = new double[n];
        for (int from = 0; from < n; from += batch) {
            int b = Math.min(batch, n - from);
            try (Graph g = Graph.inference(be)) {
                Tensor xb = g.temp(b, d);
                be.memory().upload(windows.x(), from * d, xb);
                Autoencoder.Forward f = model.forward(g, g.constant(xb), g.constant(xb), true);
                float[] y = be.memory().toFloatArray(f.output().value());
                for (int i = 0; i < b; i++) {
                    double e = 0;
                    for (int k = 0; k < d; k++) {
                        double diff = y[i * d + k] - windows.x()[(from + i) * d + k];
                        e += diff * diff;
                    }
                    out[from + i] = e / d;
                }
            }
        }
        return out;
    }
}
