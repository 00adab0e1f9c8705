package dev.bottleneck.apps;

import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;

import java.util.Arrays;
import java.util.Set;

/**
 * Anomaly detection with a trained autoencoder on images or table rows: the score of a sample is its reconstruction
 * error (mean squared error over its values); the threshold is chosen on validation samples assumed normal; a test
 * sample scoring strictly above it is flagged. With labels and a set of normal labels, every other label is an
 * anomaly (the positive class) and ROC-AUC and average precision are computed.
 */
public final class AnomalyScoring {
    private AnomalyScoring() {}

    /** Scores of a data set: per-sample errors, and the reconstructions they came from. */
    public record Scored(double[] scores, float[] reconstructions) { }

    public static Scored score(Autoencoder model, Dataset data) {
        float[] r = ModelOps.reconstruct(model, data.x(), data.n());
        return new Scored(ModelOps.perSampleMse(data.x(), r, data.n(), data.features()), r);
    }

    /** 1 where the label is not normal (an anomaly), else 0. */
    public static int[] anomalyLabels(int[] labels, Set<Integer> normal) {
        int[] y = new int[labels.length];
        for (int i = 0; i < labels.length; i++) y[i] = normal.contains(labels[i]) ? 0 : 1;
        return y;
    }

    /** Indices of the samples whose label is normal (all of them when {@code normal} is null or there are no labels). */
    public static int[] normalIndices(Dataset d, Set<Integer> normal) {
        if (normal == null || !d.hasLabels()) {
            int[] all = new int[d.n()];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }
        return java.util.stream.IntStream.range(0, d.n()).filter(i -> normal.contains(d.label(i))).toArray();
    }

    /** Indices sorted by decreasing score (ties by index). */
    public static int[] byScoreDescending(double[] scores) {
        Integer[] idx = new Integer[scores.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> {
            int c = Double.compare(scores[b], scores[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }
}
