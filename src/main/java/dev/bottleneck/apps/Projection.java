package dev.bottleneck.apps;

import dev.bottleneck.analysis.SymmetricEigen;

/**
 * Projection of codes onto their first principal components: the covariance (double precision, centred on the mean)
 * is decomposed with {@link SymmetricEigen} and each row is projected on the leading eigenvectors. Codes that are
 * already 2-D (or narrower than k) are returned as they are.
 */
public final class Projection {
    private Projection() {}

    public record Result(float[] points, int dims, double[] explainedVariance, boolean pca) { }

    public static Result principal(float[] x, int n, int d, int k) {
        if (d <= k) {
            return new Result(java.util.Arrays.copyOf(x, n * d), d, null, false);
        }
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += x[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        double[] cov = new double[d * d];
        double[] c = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) c[j] = x[i * d + j] - mean[j];
            for (int a = 0; a < d; a++) {
                double ca = c[a];
                if (ca == 0) continue;
                int o = a * d;
                for (int b = a; b < d; b++) cov[o + b] += ca * c[b];
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = a; b < d; b++) {
                cov[a * d + b] /= n;
                cov[b * d + a] = cov[a * d + b];
            }
        }
        SymmetricEigen e = SymmetricEigen.of(cov, d);
        double total = 0;
        for (double v : e.values()) total += Math.max(0, v);
        double[][] p = new double[k][];
        double[] explained = new double[k];
        for (int t = 0; t < k; t++) {
            p[t] = e.vector(t);
            explained[t] = total > 0 ? Math.max(0, e.value(t)) / total : 0;
        }
        float[] out = new float[n * k];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < k; t++) {
                double s = 0;
                for (int j = 0; j < d; j++) s += p[t][j] * (x[i * d + j] - mean[j]);
                out[i * k + t] = (float) s;
            }
        }
        return new Result(out, k, explained, true);
    }
}
