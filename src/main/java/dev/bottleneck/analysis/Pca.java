package dev.bottleneck.analysis;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.tensor.Tensor;

import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Principal component analysis of a data set: the mean, and the leading eigenvectors of the covariance
 * {@code C = (X - μ)ᵀ(X - μ) / n}. Products with the data run on a backend's GEMM (the data are centred in double
 * precision first, so float32 GEMM loses little); everything else is double precision on the host.
 *
 * <ul>
 *   <li><b>Exact</b> (up to {@link #EXACT_MAX} features, and always for {@link #fit(Backend, Dataset)}): C is formed and
 *       fully decomposed ({@link SymmetricEigen}, about 6d³ flops: seconds for d = 784, a minute for 2,048).</li>
 *   <li><b>Randomized</b> (more features, e.g. colour images: d = 12,288 for 3×64×64, where C alone would take 1.2 GB and
 *       its decomposition hours): the top components by subspace iteration (Halko, Martinsson &amp; Tropp 2011, alg.
 *       4.4): a seeded Gaussian block of {@code k + }{@link #OVERSAMPLE} columns, {@link #POWER_STEPS} products with C
 *       (each two GEMM passes over the data, never forming C), re-orthonormalised each time, then the exact
 *       eigendecomposition of C projected on that subspace. The components found are orthonormal, so the
 *       reconstruction errors below are those of a true rank-k projection, never below exact PCA's.</li>
 * </ul>
 *
 * <p>The reconstruction with k components is {@code μ + P_k P_kᵀ (x - μ)}; its squared error is
 * {@code ||x - μ||² - ||P_kᵀ (x - μ)||²} (P_k orthonormal), computed in double.
 */
public final class Pca {
    /** The most features decomposed exactly by {@link #fit(Backend, Dataset, int, long, Consumer)}. */
    public static final int EXACT_MAX = 2048;
    /** Extra columns of the randomized block beyond the components asked for. */
    public static final int OVERSAMPLE = 10;
    /** Products with the covariance in the randomized method. */
    public static final int POWER_STEPS = 6;

    private static final int CHUNK = 8192;

    private final double[] mean;
    private final double[][] components; // components[i] = i-th unit eigenvector, by decreasing variance
    private final double[] variances;
    private final String method;

    private Pca(double[] mean, double[][] components, double[] variances, String method) {
        this.mean = mean;
        this.components = components;
        this.variances = variances;
        this.method = method;
    }

    public double[] mean() { return mean.clone(); }
    public int features() { return mean.length; }

    /** How many components were computed (all d for the exact method). */
    public int components() { return components.length; }

    /** The variance along component i (an eigenvalue of the covariance). */
    public double variance(int i) { return variances[i]; }

    /** The unit vector of component i (a copy). */
    public double[] component(int i) { return components[i].clone(); }

    /** "exact" or "randomized (...)", for reports. */
    public String method() { return method; }

    /** Exact PCA on {@code data} (all its samples), every component. */
    public static Pca fit(Backend be, Dataset data) {
        return exact(be, data, mean(data), null);
    }

    /**
     * At least the leading {@code k} components: exact up to {@link #EXACT_MAX} features, randomized above.
     *
     * @param progress receives a line now and then on large inputs (null: quiet)
     */
    public static Pca fit(Backend be, Dataset data, int k, long seed, Consumer<String> progress) {
        double[] mean = mean(data);
        int d = data.features();
        if (d <= EXACT_MAX || k + OVERSAMPLE >= d) return exact(be, data, mean, progress);
        return randomized(be, data, mean, k, seed, progress);
    }

    /** The randomized method whatever the size (for tests that compare it with the exact one). */
    static Pca fitRandomized(Backend be, Dataset data, int k, long seed) {
        return randomized(be, data, mean(data), k, seed, null);
    }

    private static double[] mean(Dataset data) {
        int n = data.n(), d = data.features();
        float[] x = data.x();
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            int o = i * d;
            for (int j = 0; j < d; j++) mean[j] += x[o + j];
        }
        for (int j = 0; j < d; j++) mean[j] /= n;
        return mean;
    }

    private static Pca exact(Backend be, Dataset data, double[] mean, Consumer<String> progress) {
        int n = data.n(), d = data.features();
        int chunk = Math.max(1, Math.min(n, CHUNK));
        Progress pr = new Progress(progress, "PCA covariance", n);
        Tensor xc = be.memory().allocate(chunk, d);
        Tensor cov = be.memory().zeros(d, d);
        float[] buf = new float[chunk * d];
        try {
            for (int from = 0; from < n; from += chunk) {
                int b = Math.min(chunk, n - from);
                centre(data, mean, from, b, buf);
                Tensor view = b == chunk ? xc : xc.view(0, b, d);
                be.memory().upload(buf, 0, view);
                be.blas().gemm(true, false, d, d, b, 1.0 / n, view, d, view, d, 1.0, cov, d);
                pr.update(from + b, "samples");
            }
            double[] c = be.memory().toDoubleArray(cov);
            SymmetricEigen e = SymmetricEigen.of(c, d, progress);
            double[][] vecs = new double[d][];
            double[] vals = new double[d];
            for (int i = 0; i < d; i++) {
                vecs[i] = e.vector(i);
                vals[i] = e.value(i);
            }
            return new Pca(mean, vecs, vals, "exact");
        } finally {
            be.memory().release(xc);
            be.memory().release(cov);
        }
    }

    private static Pca randomized(Backend be, Dataset data, double[] mean, int k, long seed, Consumer<String> progress) {
        int n = data.n(), d = data.features(), l = Math.min(d, k + OVERSAMPLE);
        int chunk = Math.max(1, Math.min(n, CHUNK));
        double[][] q = new double[l][d]; // columns of the d×l block, stored as rows
        SplittableRandom rnd = new SplittableRandom(seed);
        for (double[] col : q) for (int j = 0; j < d; j++) col[j] = gaussian(rnd);
        orthonormalise(q);
        Tensor xc = be.memory().allocate(chunk, d);
        Tensor qd = be.memory().allocate(d, l);
        Tensor t = be.memory().allocate(chunk, l);
        Tensor z = be.memory().allocate(d, l);
        float[] buf = new float[chunk * d];
        float[] qf = new float[d * l];
        Progress pr = new Progress(progress, "PCA (randomized, " + l + " directions)", (long) (POWER_STEPS + 1) * n);
        try {
            double[][] cq = null;
            for (int step = 0; step <= POWER_STEPS; step++) {
                // Z = C Q = Xcᵀ (Xc Q) / n, over chunks of samples
                for (int j = 0; j < d; j++) for (int c = 0; c < l; c++) qf[j * l + c] = (float) q[c][j];
                be.memory().upload(qf, 0, qd);
                for (int from = 0; from < n; from += chunk) {
                    int b = Math.min(chunk, n - from);
                    centre(data, mean, from, b, buf);
                    Tensor xv = b == chunk ? xc : xc.view(0, b, d);
                    Tensor tv = b == chunk ? t : t.view(0, b, l);
                    be.memory().upload(buf, 0, xv);
                    be.blas().gemm(false, false, b, l, d, 1.0, xv, d, qd, l, 0.0, tv, l);
                    be.blas().gemm(true, false, d, l, b, 1.0 / n, xv, d, tv, l, from == 0 ? 0.0 : 1.0, z, l);
                    pr.update((long) step * n + from + b, "sample passes");
                }
                double[] zh = be.memory().toDoubleArray(z);
                cq = new double[l][d];
                for (int j = 0; j < d; j++) for (int c = 0; c < l; c++) cq[c][j] = zh[j * l + c];
                if (step < POWER_STEPS) {
                    q = cq;
                    orthonormalise(q);
                }
            }
            // B = Qᵀ C Q (l×l), decomposed exactly; components = Q V
            double[] bm = new double[l * l];
            for (int a = 0; a < l; a++) for (int c = 0; c < l; c++) bm[a * l + c] = dot(q[a], cq[c]);
            SymmetricEigen e = SymmetricEigen.of(bm, l);
            double[][] vecs = new double[l][];
            double[] vals = new double[l];
            for (int i = 0; i < l; i++) {
                double[] v = e.vector(i), u = new double[d];
                for (int a = 0; a < l; a++) {
                    double va = v[a];
                    double[] qa = q[a];
                    for (int j = 0; j < d; j++) u[j] += va * qa[j];
                }
                vecs[i] = u;
                vals[i] = e.value(i);
            }
            return new Pca(mean, vecs, vals, "randomized (" + l + " directions, " + POWER_STEPS + " power steps)");
        } finally {
            be.memory().release(xc);
            be.memory().release(qd);
            be.memory().release(t);
            be.memory().release(z);
        }
    }

    /** Samples {@code from .. from+b-1} minus the mean, as float32, into {@code buf}. */
    private static void centre(Dataset data, double[] mean, int from, int b, float[] buf) {
        int d = mean.length;
        float[] x = data.x();
        for (int i = 0; i < b; i++) {
            int o = (from + i) * d;
            for (int j = 0; j < d; j++) buf[i * d + j] = (float) (x[o + j] - mean[j]);
        }
    }

    /** Modified Gram–Schmidt, twice (enough for orthogonality to rounding); a column that vanishes is replaced. */
    private static void orthonormalise(double[][] cols) {
        for (int pass = 0; pass < 2; pass++) {
            for (int c = 0; c < cols.length; c++) {
                double[] v = cols[c];
                for (int p = 0; p < c; p++) {
                    double r = dot(cols[p], v);
                    double[] u = cols[p];
                    for (int j = 0; j < v.length; j++) v[j] -= r * u[j];
                }
                double norm = Math.sqrt(dot(v, v));
                if (norm < 1e-300) {
                    java.util.Arrays.fill(v, 0);
                    v[c % v.length] = 1; // a rank-deficient block: any direction completes the basis (re-orthogonalised next pass)
                    norm = 1;
                }
                for (int j = 0; j < v.length; j++) v[j] /= norm;
            }
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) s += a[j] * b[j];
        return s;
    }

    private static double gaussian(SplittableRandom r) {
        double u = r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
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
            if (k < 0 || k > components.length) throw new IllegalArgumentException("components must be in [0, " + components.length + "], got " + k);
            kmax = Math.max(kmax, k);
        }
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
                double z = dot(components[i], centred);
                explained += z * z;
                perK[i + 1] += Math.max(0, total - explained);
            }
        }
        double[] out = new double[ks.length];
        for (int i = 0; i < ks.length; i++) out[i] = perK[ks[i]] / ((double) n * d);
        return out;
    }

    /** The reconstructions {@code μ + P_k P_kᵀ (x - μ)} of the first {@code count} samples, one after another. */
    public float[] reconstruct(Dataset data, int count, int k) {
        int d = mean.length;
        if (data.features() != d) throw new IllegalArgumentException("PCA fitted on " + d + " features, data has " + data.features());
        if (k < 0 || k > components.length) throw new IllegalArgumentException("components must be in [0, " + components.length + "], got " + k);
        float[] x = data.x(), out = new float[count * d];
        double[] centred = new double[d], rec = new double[d];
        for (int s = 0; s < count; s++) {
            for (int j = 0; j < d; j++) centred[j] = x[s * d + j] - mean[j];
            System.arraycopy(mean, 0, rec, 0, d);
            for (int i = 0; i < k; i++) {
                double z = dot(components[i], centred);
                double[] p = components[i];
                for (int j = 0; j < d; j++) rec[j] += z * p[j];
            }
            for (int j = 0; j < d; j++) out[s * d + j] = (float) rec[j];
        }
        return out;
    }
}
