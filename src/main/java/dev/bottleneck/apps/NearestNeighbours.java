package dev.bottleneck.apps;

import java.util.Arrays;
import java.util.Locale;

/**
 * Exact k-nearest-neighbour search over rows of a matrix (codes or raw pixels), by cosine or Euclidean distance,
 * and precision@k by label.
 */
public final class NearestNeighbours {
    public enum Metric {
        COSINE, EUCLIDEAN;

        public static Metric parse(String s) {
            switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "cosine": case "cos": return COSINE;
                case "euclidean": case "l2": return EUCLIDEAN;
                default: throw new dev.bottleneck.BottleneckException("metric must be cosine or euclidean, got '" + s + "'");
            }
        }
    }

    private final float[] x;
    private final int n, d;
    private final Metric metric;
    private final double[] norms;

    /** An index over {@code n} rows of {@code d} values (row-major). */
    public NearestNeighbours(float[] x, int n, int d, Metric metric) {
        if (x.length < (long) n * d) throw new IllegalArgumentException("need " + n + "x" + d + " values, got " + x.length);
        this.x = x;
        this.n = n;
        this.d = d;
        this.metric = metric;
        this.norms = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += (double) x[i * d + j] * x[i * d + j];
            norms[i] = Math.sqrt(s);
        }
    }

    public int size() { return n; }

    /** One hit: the row and its distance (cosine distance 1 − cos, or Euclidean). */
    public record Hit(int row, double distance) { }

    /** Distance between the query and row i. */
    public double distance(float[] q, int qOff, double qNorm, int i) {
        double dot = 0, sq = 0;
        int o = i * d;
        if (metric == Metric.COSINE) {
            for (int j = 0; j < d; j++) dot += (double) q[qOff + j] * x[o + j];
            double den = qNorm * norms[i];
            return den == 0 ? 1.0 : 1.0 - dot / den;
        }
        for (int j = 0; j < d; j++) {
            double t = q[qOff + j] - x[o + j];
            sq += t * t;
        }
        return Math.sqrt(sq);
    }

    /** The k nearest rows to {@code q[qOff .. qOff+d)}, nearest first (ties by row), leaving out row {@code exclude} (-1: none). */
    public Hit[] search(float[] q, int qOff, int k, int exclude) {
        double qn = 0;
        for (int j = 0; j < d; j++) qn += (double) q[qOff + j] * q[qOff + j];
        qn = Math.sqrt(qn);
        k = Math.min(k, n - (exclude >= 0 && exclude < n ? 1 : 0));
        // bounded max-heap kept as a sorted array: fine for small k
        int[] best = new int[k];
        double[] bd = new double[k];
        int have = 0;
        for (int i = 0; i < n; i++) {
            if (i == exclude) continue;
            double dist = distance(q, qOff, qn, i);
            if (have < k) {
                int p = have++;
                while (p > 0 && bd[p - 1] > dist) { bd[p] = bd[p - 1]; best[p] = best[p - 1]; p--; }
                bd[p] = dist;
                best[p] = i;
            } else if (k > 0 && dist < bd[k - 1]) {
                int p = k - 1;
                while (p > 0 && bd[p - 1] > dist) { bd[p] = bd[p - 1]; best[p] = best[p - 1]; p--; }
                bd[p] = dist;
                best[p] = i;
            }
        }
        Hit[] h = new Hit[have];
        for (int i = 0; i < have; i++) h[i] = new Hit(best[i], bd[i]);
        return h;
    }

    /**
     * Mean precision@k of queries ({@code m} rows of {@code d} values with labels) against the index labels: the
     * fraction of each query's k nearest rows that share its label, averaged over queries. {@code selfIndex}: the
     * queries are the index's own rows 0..m-1 and each is left out of its own result.
     */
    public double precisionAtK(float[] queries, int[] queryLabels, int m, int[] indexLabels, int k, boolean selfIndex) {
        double total = 0;
        for (int i = 0; i < m; i++) {
            Hit[] hits = search(queries, i * d, k, selfIndex ? i : -1);
            int same = 0;
            for (Hit h : hits) if (indexLabels[h.row()] == queryLabels[i]) same++;
            total += hits.length == 0 ? 0 : (double) same / hits.length;
        }
        return total / m;
    }

    public static int[] rows(Hit[] hits) {
        return Arrays.stream(hits).mapToInt(Hit::row).toArray();
    }
}
