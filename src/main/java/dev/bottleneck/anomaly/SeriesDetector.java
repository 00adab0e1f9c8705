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
 *       mean error of the windows covering it;</li>
 *   <li>the baseline scores each row by the largest |z| over its features (z from the training rows' mean and
 *       standard deviation);</li>
 *   <li>for both, the threshold is chosen on the validation rows' scores (assumed normal) and test rows above it
 *       are flagged; where labels exist, precision / recall / F1 of the flags and the ROC-AUC of the scores are
 *       computed on the test rows.</li>
 * </ol>
 */
public final class SeriesDetector {
    private SeriesDetector() {}

    /** What to run. {@code trainStride} applies to the training windows; validation and test windows use stride 1. */
    public record Config(int window, int trainStride, double trainFraction, double validationFraction, Threshold threshold,
                         SequenceSpec model, FitConfig fit, long seed) {
        public Config {
            if (window < 2) throw new BottleneckException("--window must be at least 2, got " + window);
            if (trainStride < 1) throw new BottleneckException("--stride must be at least 1, got " + trainStride);
        }
    }

    /** One method's result: row scores over the whole series (NaN outside the scored parts), its threshold and metrics. */
    public record Scores(String method, double[] rowScores, double threshold, boolean[] flagged, Metrics.Confusion confusion,
                         double rocAuc) {
        public String row(Locale l) {
            return confusion == null ? String.format(l, "%-22s threshold %.4g  flagged %d", method, threshold, count(flagged))
                    : String.format(l, "%-22s ROC-AUC %.3f  F1 %.3f  precision %.3f  recall %.3f  (threshold %.4g, flagged %d)", method,
                    rocAuc, confusion.f1(), confusion.precision(), confusion.recall(), threshold, count(flagged));
        }

        private static int count(boolean[] f) {
            int n = 0;
            for (boolean b : f) if (b) n++;
            return n;
        }
    }

    /** Everything {@link #run} produced. {@code testRows} lists the test rows in order (metrics are over these). */
    public record Report(TimeSeries series, SeriesWindows.Split split, int[] testRows, Scores autoencoder, Scores baseline,
                         Trainer.Result training, Autoencoder model, Scaler scaler) { }

    /** Trains the sequence autoencoder on the training part and scores validation and test rows (and the baseline). */
    public static Report run(TimeSeries s, Config c, Backend be, Consumer<String> log) {
        SeriesWindows.Split split = SeriesWindows.chronological(s, c.trainFraction(), c.validationFraction());
        if (split.validation().rows() == 0) throw new BottleneckException("the validation part is empty: raise --val-fraction");
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
        double[] valErr = SeriesWindows.rowErrors(rows, val, windowErrors(model, val.data(), 512));
        double[] testErr = SeriesWindows.rowErrors(rows, test, windowErrors(model, test.data(), 512));
        double[] aeScores = merge(valErr, testErr);
        int[] testRows = rowsOf(split.test());
        int[] valRows = rowsOf(split.validation());
        Scores ae = score(c.model().cell().name() + " autoencoder", s, aeScores, valRows, testRows, c.threshold());
        double[] z = zScores(s, scaler);
        Scores base = score("z-score baseline", s, z, valRows, testRows, c.threshold());
        return new Report(s, split, testRows, ae, base, result, model, scaler);
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
        return new Scores(method, scores, thr, flagged, conf, auc);
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
