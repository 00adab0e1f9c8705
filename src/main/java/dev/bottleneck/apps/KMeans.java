package dev.bottleneck.apps;

import java.util.SplittableRandom;

/**
 * k-means (Lloyd's iterations) with k-means++ initialisation, seeded: the same data, k and seed always give the same
 * clustering. An empty cluster is re-seeded with the point farthest from its centre.
 */
public final class KMeans {
    public record Result(int[] assignment, float[] centres, double inertia, int iterations) { }

    private KMeans() {}

    public static Result fit(float[] x, int n, int d, int k, long seed, int maxIter) {
        if (k < 1 || k > n) throw new IllegalArgumentException("k must be in [1, " + n + "], got " + k);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] c = new float[k * d];
        // k-means++: first centre uniform, then proportional to the squared distance to the nearest chosen centre
        int first = rnd.nextInt(n);
        System.arraycopy(x, first * d, c, 0, d);
        double[] dist = new double[n];
        for (int i = 0; i < n; i++) dist[i] = sq(x, i * d, c, 0, d);
        for (int j = 1; j < k; j++) {
            double sum = 0;
            for (double v : dist) sum += v;
            int pick = n - 1;
            if (sum > 0) {
                double r = rnd.nextDouble() * sum, acc = 0;
                for (int i = 0; i < n; i++) {
                    acc += dist[i];
                    if (acc >= r) { pick = i; break; }
                }
            } else {
                pick = rnd.nextInt(n);
            }
            System.arraycopy(x, pick * d, c, j * d, d);
            for (int i = 0; i < n; i++) dist[i] = Math.min(dist[i], sq(x, i * d, c, j * d, d));
        }
        int[] a = new int[n];
        java.util.Arrays.fill(a, -1);
        double inertia = 0;
        int it = 0;
        for (; it < maxIter; it++) {
            boolean changed = false;
            inertia = 0;
            for (int i = 0; i < n; i++) {
                int bj = 0;
                double bd = Double.MAX_VALUE;
                for (int j = 0; j < k; j++) {
                    double s = sq(x, i * d, c, j * d, d);
                    if (s < bd) { bd = s; bj = j; }
                }
                if (a[i] != bj) { a[i] = bj; changed = true; }
                dist[i] = bd;
                inertia += bd;
            }
            if (!changed && it > 0) break;
            double[] sum = new double[k * d];
            int[] count = new int[k];
            for (int i = 0; i < n; i++) {
                count[a[i]]++;
                for (int t = 0; t < d; t++) sum[a[i] * d + t] += x[i * d + t];
            }
            for (int j = 0; j < k; j++) {
                if (count[j] == 0) { // re-seed with the farthest point
                    int far = 0;
                    for (int i = 1; i < n; i++) if (dist[i] > dist[far]) far = i;
                    System.arraycopy(x, far * d, c, j * d, d);
                    dist[far] = 0;
                    continue;
                }
                for (int t = 0; t < d; t++) c[j * d + t] = (float) (sum[j * d + t] / count[j]);
            }
        }
        return new Result(a, c, inertia, it + 1);
    }

    private static double sq(float[] x, int xo, float[] c, int co, int d) {
        double s = 0;
        for (int t = 0; t < d; t++) {
            double v = x[xo + t] - c[co + t];
            s += v * v;
        }
        return s;
    }
}
