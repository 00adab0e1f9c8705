package dev.bottleneck.apps;

import dev.bottleneck.anomaly.Metrics;

import java.util.Arrays;

/**
 * Ranking metrics of anomaly scores against 0/1 labels (1 = anomalous, the positive class; a higher score means
 * more anomalous).
 */
public final class Ranking {
    private Ranking() {}

    /** ROC-AUC with ties counting one half (see {@link Metrics#rocAuc}); NaN when a class is absent. */
    public static double rocAuc(double[] scores, int[] labels) {
        return Metrics.rocAuc(scores, labels);
    }

    /**
     * Average precision, the area under the precision-recall curve as a step function:
     * {@code AP = Σ_k (R_k − R_{k−1}) · P_k} over the distinct score thresholds in decreasing order, where a group of
     * tied scores enters as one step (all or none of it is flagged), as scikit-learn's {@code average_precision_score}.
     * NaN when there is no positive.
     */
    public static double averagePrecision(double[] scores, int[] labels) {
        int n = scores.length;
        if (labels.length != n) throw new IllegalArgumentException(n + " scores for " + labels.length + " labels");
        Integer[] idx = new Integer[n];
        long pos = 0;
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(scores[i])) throw new IllegalArgumentException("score " + i + " is NaN");
            idx[i] = i;
            if (labels[i] != 0) pos++;
        }
        if (pos == 0) return Double.NaN;
        Arrays.sort(idx, (a, b) -> Double.compare(scores[b], scores[a]));
        double ap = 0, prevRecall = 0;
        long tp = 0, seen = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && scores[idx[j + 1]] == scores[idx[i]]) j++;
            for (int k = i; k <= j; k++) if (labels[idx[k]] != 0) tp++;
            seen += j - i + 1;
            double recall = (double) tp / pos, precision = (double) tp / seen;
            ap += (recall - prevRecall) * precision;
            prevRecall = recall;
            i = j + 1;
        }
        return ap;
    }

    /**
     * The threshold that flags about a fraction {@code fpr} of normal validation scores: their
     * {@code 100·(1 − fpr)}-th percentile (linear interpolation between order statistics); a score strictly above it
     * is flagged.
     */
    public static double thresholdForFpr(double[] normalScores, double fpr) {
        if (!(fpr >= 0 && fpr < 1)) throw new IllegalArgumentException("false-positive rate must be in [0, 1), got " + fpr);
        return percentile(normalScores, 100 * (1 - fpr));
    }

    /** The p-th percentile (p in [0, 100]) with linear interpolation between order statistics (NumPy's default). */
    public static double percentile(double[] values, double p) {
        if (values.length == 0) throw new IllegalArgumentException("no values");
        double[] v = values.clone();
        Arrays.sort(v);
        double at = p / 100.0 * (v.length - 1);
        int lo = (int) Math.floor(at), hi = (int) Math.ceil(at);
        return v[lo] + (at - lo) * (v[hi] - v[lo]);
    }
}
