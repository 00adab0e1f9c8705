package dev.bottleneck.analysis;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.tensor.Tensor;

/**
 * Principal component analysis of a data set: the mean, and the eigendecomposition ({@link SymmetricEigen}) of the
 * covariance {@code (X - μ)ᵀ(X - μ) / n}. The covariance product runs on a backend's GEMM (the data are centred in
 * double precision first, so float32 GEMM loses little); the eigenproblem is solved in double precision on the host.
 *
 * <p>The reconstruction with k components is {@code μ + P_k P_kᵀ (x - μ)}; its squared error is
 * {@code ||x - μ||² - ||P_kᵀ (x - μ)||²} (P_k orthonormal), computed in double.
 */
public final class Pca {
    private final double[] mean;
    private final SymmetricEigen eigen;

    private Pca(double[] mean, SymmetricEigen eigen) {
        this.mean = mean;
        this.eigen = eigen;
    }

    public double[] mean() { return mean.clone(); }
    public SymmetricEigen eigen() { return eigen; }
    public int features() { return mean.length; }

    /** Fits on {@code data} (all its samples). */
    public static Pca fit(Backend be, Dataset data) {
        int n = data.n(), d = data.features();
        float[] x = data.x();
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            int o = i * d;
            for (int j = 0; j < d; j++) mean[j] += x[o + j];
        }
        for (int j = 0; j < d; j++) mean[j] /= n;
        int chunk = Math.max(1, Math.min(n, 8192));
        Tensor xc = be.memory().allocate(chunk, d);
        Tensor cov = be.memory().zeros(d, d);
        float[] buf = new float[chunk * d];
        try {
            for (int from = 0; from < n; from += chunk) {
                int b = Math.min(chunk, n - from);
                for (int i = 0; i < b; i++) {
                    int o = (from + i) * d;
                    for (int j = 0; j < d; j++) buf[i * d + j] = (float) (x[o + j] - mean[j]);
                }
                Tensor view = b == chunk ? xc : xc.view(0, b, d);
                be.memory().upload(buf, 0, view);
                be.blas().gemm(true, false, d, d, b, 1.0 / n, view, d, view, d, 1.0, cov, d);
            }
            double[] c = be.memory().toDoubleArray(cov);
            return new Pca(mean, SymmetricEigen.of(c, d));
        } finally {
            be.memory().release(xc);
            be.memory().release(cov);
        }
    }

    /**
     * Mean squared error per element (the {@code mse} loss with mean reduction) of the reconstructions of
     * {@code data} with each number of components in {@code ks}.
     */
    public double[] reconstructionMse(Dataset data, int... ks) {
        int d = mean.length, n = data.n();
        if (data.features() != d) throw new IllegalArgumentException("PCA fitted on " + d + " features, data has " + data.features());
        int kmax = 0;
        for (int k : ks) {
            if (k < 0 || k > d) throw new IllegalArgumentException("components must be in [0, " + d + "], got " + k);
            kmax = Math.max(kmax, k);
        }
        double[][] p = new double[kmax][];
        for (int i = 0; i < kmax; i++) p[i] = eigen.vector(i);
        double[] perK = new double[kmax + 1]; // total squared error with k components, k = 0..kmax
        float[] x = data.x();
        double[] centred = new double[d];
        for (int s = 0; s < n; s++) {
            int o = s * d;
            double total = 0;
            for (int j = 0; j < d; j++) {
                centred[j] = x[o + j] - mean[j];
                total += centred[j] * centred[j];
            }
            double explained = 0;
            perK[0] += total;
            for (int i = 0; i < kmax; i++) {
                double[] v = p[i];
                double z = 0;
                for (int j = 0; j < d; j++) z += v[j] * centred[j];
                explained += z * z;
                perK[i + 1] += Math.max(0, total - explained);
            }
        }
        double[] out = new double[ks.length];
        for (int i = 0; i < ks.length; i++) out[i] = perK[ks[i]] / ((double) n * d);
        return out;
    }
}
