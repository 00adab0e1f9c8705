package dev.bottleneck.analysis;

import java.util.Arrays;

/**
 * Eigendecomposition of a real symmetric matrix in double precision: {@link #of} by Householder tridiagonalisation
 * and implicit QR; {@link #jacobi} by the cyclic Jacobi method, described here.
 *
 * <p>Each sweep visits every off-diagonal pair (p, q) and applies the plane rotation that zeroes {@code a_pq}
 * (Rutishauser's formulas: {@code θ = (a_qq - a_pp) / 2a_pq}, {@code t = sign(θ) / (|θ| + sqrt(θ² + 1))}); the
 * off-diagonal mass falls quadratically once small, so a handful of sweeps reach machine precision. Rotations are
 * skipped where {@code |a_pq|} is negligible next to both diagonal entries. The matrix is kept row-major and the
 * eigenvectors are accumulated as rows, so a rotation mostly touches two contiguous rows.
 *
 * <p>Results are sorted by decreasing eigenvalue; {@link #vector(int)} is a unit vector.
 */
public final class SymmetricEigen {
    private final int n;
    private final double[] values;
    private final double[][] vectors; // vectors[i] = i-th eigenvector (descending eigenvalue)
    private final int sweeps;

    private SymmetricEigen(int n, double[] values, double[][] vectors, int sweeps) {
        this.n = n;
        this.values = values;
        this.vectors = vectors;
        this.sweeps = sweeps;
    }

    public int size() { return n; }

    /** Eigenvalues, largest first. */
    public double[] values() { return values.clone(); }

    public double value(int i) { return values[i]; }

    /** The unit eigenvector of {@link #value(int) value(i)} (a copy). */
    public double[] vector(int i) { return vectors[i].clone(); }

    /** Sweeps (Jacobi) or QR steps (tridiagonal QR) the decomposition took. */
    public int sweeps() { return sweeps; }

    /**
     * Decomposes the symmetric n x n matrix {@code a} (row-major, length n²; only read, symmetry assumed) by
     * Householder reduction to tridiagonal form and implicit QR steps with Wilkinson shifts (Golub &amp; Van Loan,
     * 8.3): about 6n³ flops, a few seconds for n = 784 where {@link #jacobi} takes tens of seconds.
     */
    public static SymmetricEigen of(double[] a, int n) {
        if (a.length != (long) n * n) throw new IllegalArgumentException("matrix of " + a.length + " values is not " + n + " x " + n);
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = new double[n];
            for (int j = 0; j < n; j++) m[i][j] = 0.5 * (a[i * n + j] + a[j * n + i]);
        }
        double[][] qt = new double[n][n]; // qt[j] = column j of Q, A = Q T Q^T
        for (int i = 0; i < n; i++) qt[i][i] = 1.0;
        double[] d = new double[n], e = new double[Math.max(n - 1, 0)];
        double[] v = new double[n], p = new double[n], u = new double[n];
        for (int k = 0; k < n - 2; k++) {
            // Householder vector for x = A[k+1.., k]: H x = alpha e1, H = I - 2 v v^T on indices k+1..n-1
            double norm = 0;
            for (int i = k + 1; i < n; i++) norm += m[i][k] * m[i][k];
            norm = Math.sqrt(norm);
            if (norm == 0) continue;
            double x0 = m[k + 1][k];
            double alpha = x0 > 0 ? -norm : norm;
            double vn = 0;
            for (int i = k + 1; i < n; i++) {
                v[i] = m[i][k];
                if (i == k + 1) v[i] -= alpha;
                vn += v[i] * v[i];
            }
            vn = Math.sqrt(vn);
            if (vn == 0) continue;
            for (int i = k + 1; i < n; i++) v[i] /= vn;
            // p = A22 v, K = v^T p, w = p - K v; A22 <- A22 - 2 v w^T - 2 w v^T
            double kk = 0;
            for (int i = k + 1; i < n; i++) {
                double[] row = m[i];
                double acc = 0;
                for (int j = k + 1; j < n; j++) acc += row[j] * v[j];
                p[i] = acc;
                kk += v[i] * acc;
            }
            for (int i = k + 1; i < n; i++) p[i] -= kk * v[i];
            for (int i = k + 1; i < n; i++) {
                double[] row = m[i];
                double vi = 2 * v[i], pi = 2 * p[i];
                for (int j = k + 1; j < n; j++) row[j] -= vi * p[j] + pi * v[j];
            }
            m[k + 1][k] = m[k][k + 1] = alpha;
            for (int i = k + 2; i < n; i++) m[i][k] = m[k][i] = 0;
            // Q <- Q H: columns k+1.. of Q, i.e. rows of qt: u = sum_j v_j qt[j]; qt[j] -= 2 v_j u
            java.util.Arrays.fill(u, 0);
            for (int j = k + 1; j < n; j++) {
                double vj = v[j];
                double[] r = qt[j];
                for (int i = 0; i < n; i++) u[i] += vj * r[i];
            }
            for (int j = k + 1; j < n; j++) {
                double vj = 2 * v[j];
                double[] r = qt[j];
                for (int i = 0; i < n; i++) r[i] -= vj * u[i];
            }
        }
        for (int i = 0; i < n; i++) d[i] = m[i][i];
        for (int i = 0; i < n - 1; i++) e[i] = m[i + 1][i];
        int iterations = tridiagonalQr(d, e, qt, n);
        return descending(n, d, qt, iterations);
    }

    /** Eigenvalues {@code d} and their vectors (rows of {@code vecs}) sorted by decreasing eigenvalue. */
    private static SymmetricEigen descending(int n, double[] d, double[][] vecs, int iterations) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Double.compare(d[y], d[x]));
        double[] vals = new double[n];
        double[][] sorted = new double[n][];
        for (int i = 0; i < n; i++) {
            vals[i] = d[order[i]];
            sorted[i] = vecs[order[i]];
        }
        return new SymmetricEigen(n, vals, sorted, iterations);
    }

    /**
     * Diagonalises the symmetric tridiagonal matrix (diagonal d, off-diagonal e) in place by implicit shifted QR
     * steps, chasing the bulge with plane rotations that are also applied to the rows of {@code zt}
     * (the columns of the accumulated basis). Returns the number of QR steps.
     */
    private static int tridiagonalQr(double[] d, double[] e, double[][] zt, int n) {
        final double eps = Math.ulp(1.0);
        int steps = 0;
        int hi = n - 1;
        while (hi > 0) {
            for (int i = 0; i < hi; i++) {
                if (Math.abs(e[i]) <= eps * (Math.abs(d[i]) + Math.abs(d[i + 1]))) e[i] = 0;
            }
            if (e[hi - 1] == 0) {
                hi--;
                continue;
            }
            int lo = hi - 1;
            while (lo > 0 && e[lo - 1] != 0) lo--;
            if (++steps > 100 * n) throw new ArithmeticException("symmetric eigen-solver did not converge");
            // Wilkinson shift from the trailing 2x2 block
            double delta = (d[hi - 1] - d[hi]) / 2, eh = e[hi - 1];
            double mu = d[hi] - eh * eh / (delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, eh));
            double x = d[lo] - mu, z = e[lo];
            double bulge = 0;
            for (int k = lo; k < hi; k++) {
                if (k > lo) {
                    x = e[k - 1];
                    z = bulge;
                }
                double r = Math.hypot(x, z);
                double c = r == 0 ? 1 : x / r, s = r == 0 ? 0 : z / r;
                if (k > lo) e[k - 1] = r;
                double a = d[k], b = e[k], cc = d[k + 1];
                d[k] = c * c * a + 2 * c * s * b + s * s * cc;
                d[k + 1] = s * s * a - 2 * c * s * b + c * c * cc;
                e[k] = c * s * (cc - a) + (c * c - s * s) * b;
                if (k + 1 < hi) {
                    bulge = s * e[k + 1];
                    e[k + 1] = c * e[k + 1];
                }
                double[] zk = zt[k], zk1 = zt[k + 1];
                for (int i = 0; i < n; i++) {
                    double p = zk[i], q = zk1[i];
                    zk[i] = c * p + s * q;
                    zk1[i] = -s * p + c * q;
                }
            }
        }
        return steps;
    }

    /** The same decomposition by the cyclic Jacobi method (slower; kept as an independent cross-check). */
    public static SymmetricEigen jacobi(double[] a, int n) {
        if (a.length != (long) n * n) throw new IllegalArgumentException("matrix of " + a.length + " values is not " + n + " x " + n);
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = Arrays.copyOfRange(a, i * n, (i + 1) * n);
            for (int j = 0; j < i; j++) { // symmetrise against round-off in the input
                double s = 0.5 * (m[i][j] + a[j * n + i]);
                m[i][j] = s;
            }
        }
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) m[i][j] = m[j][i];
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) v[i][i] = 1.0;

        int sweep = 0;
        for (; sweep < 100; sweep++) {
            double off = 0, diag = 0;
            for (int i = 0; i < n; i++) {
                diag += m[i][i] * m[i][i];
                for (int j = i + 1; j < n; j++) off += m[i][j] * m[i][j];
            }
            if (off == 0 || off <= 1e-30 * diag) break;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = m[p][q];
                    if (apq == 0) continue;
                    double app = m[p][p], aqq = m[q][q];
                    // negligible next to both diagonal entries: rotating would not change them in double precision
                    if (Math.abs(apq) < 1e-18 * Math.abs(app) && Math.abs(apq) < 1e-18 * Math.abs(aqq)) {
                        m[p][q] = m[q][p] = 0;
                        continue;
                    }
                    double theta = (aqq - app) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    rotate(m, v, n, p, q, c, s, t, apq);
                }
            }
        }
        double[] diagVals = new double[n];
        for (int i = 0; i < n; i++) diagVals[i] = m[i][i];
        return descending(n, diagVals, v, sweep);
    }

    /**
     * A ← Jᵀ A J for the rotation in the (p, q) plane (J_pp = J_qq = c, J_pq = s, J_qp = -s), and the eigenvector
     * rows V ← Jᵀ V. Off the 2x2 block only rows/columns p and q change; the block gets its closed form
     * {@code a'_pp = a_pp - t a_pq}, {@code a'_qq = a_qq + t a_pq}, {@code a'_pq = 0}.
     */
    private static void rotate(double[][] m, double[][] v, int n, int p, int q, double c, double s, double t, double apq) {
        double[] rp = m[p], rq = m[q];
        double app = rp[p], aqq = rq[q];
        for (int k = 0; k < n; k++) {
            double xp = rp[k], xq = rq[k];
            rp[k] = c * xp - s * xq;
            rq[k] = s * xp + c * xq;
        }
        for (int k = 0; k < n; k++) {
            m[k][p] = rp[k];
            m[k][q] = rq[k];
        }
        rp[p] = app - t * apq;
        rq[q] = aqq + t * apq;
        rp[q] = 0;
        rq[p] = 0;
        double[] vp = v[p], vq = v[q];
        for (int k = 0; k < n; k++) {
            double xp = vp[k], xq = vq[k];
            vp[k] = c * xp - s * xq;
            vq[k] = s * xp + c * xq;
        }
    }
}
