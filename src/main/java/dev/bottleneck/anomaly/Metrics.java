package dev.bottleneck.anomaly;

import java.util.Arrays;

/** Detection metrics over scored, labelled rows (label 1 = anomalous, the positive class). */
public final class Metrics {
    private Metrics() {}

    /** Precision, recall, F1 and the confusion counts of a set of flags against labels. */
    public record Confusion(int tp, int fp, int fn, int tn) {
        /** tp / (tp + fp); 0 when nothing is flagged. */
        public double precision() { return tp + fp == 0 ? 0 : (double) tp / (tp + fp); }

        /** tp / (tp + fn); 0 when there are no positives. */
        public double recall() { return tp + fn == 0 ? 0 : (double) tp / (tp + fn); }

        public double f1() {
            double p = precision(), r = recall();
            return p + r == 0 ? 0 : 2 * p * r / (p + r);
        }
    }

    public static Confusion confusion(boolean[] flagged, int[] labels) {
        int tp = 0, fp = 0, fn = 0, tn = 0;
        for (int i = 0; i < labels.length; i++) {
            boolean pos = labels[i] != 0;
            if (flagged[i]) { if (pos) tp++; else fp++; } else { if (pos) fn++; else tn++; }
        }
        return new Confusion(tp, fp, fn, tn);
    }

    /**
     * Area under the ROC curve: the probability that a random anomalous row scores higher than a random normal one,
     * ties counting one half (the Mann-Whitney U statistic with average ranks, which equals the trapezoidal area
     * under the ROC curve whose tied scores form one diagonal step). NaN when either class is absent.
     */
    public static double rocAuc(double[] scores, int[] labels) {
        int n = scores.length;
        if (labels.length != n) throw new IllegalArgumentException(n + " scores for " + labels.length + " labels");
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            if (Double.isNaN(scores[i])) throw new IllegalArgumentException("score " + i + " is NaN");
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Double.compare(scores[a], scores[b]));
        double rankSumPos = 0;
        long pos = 0;
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && scores[idx[j + 1]] == scores[idx[i]]) j++;
            double avgRank = (i + j) / 2.0 + 1; // ranks are 1-based
            for (int k = i; k <= j; k++) {
                if (labels[idx[k]] != 0) {
                    rankSumPos += avgRank;
                    pos++;
                }
            }
            i = j + 1;
        }
        long neg = n - pos;
        if (pos == 0 || neg == 0) return Double.NaN;
        return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }
}
