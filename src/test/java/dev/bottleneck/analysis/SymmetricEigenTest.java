package dev.bottleneck.analysis;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Both eigen-solvers against decompositions known by construction. */
class SymmetricEigenTest {
    interface Solver {
        SymmetricEigen solve(double[] a, int n);
    }

    static final Solver[] SOLVERS = {SymmetricEigen::of, SymmetricEigen::jacobi};

    /** A random orthogonal matrix (rows), by Gram–Schmidt of random vectors. */
    static double[][] orthogonal(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] q = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) q[i][j] = r.nextDouble(-1, 1);
            for (int k = 0; k < i; k++) {
                double dot = 0;
                for (int j = 0; j < n; j++) dot += q[i][j] * q[k][j];
                for (int j = 0; j < n; j++) q[i][j] -= dot * q[k][j];
            }
            double norm = 0;
            for (int j = 0; j < n; j++) norm += q[i][j] * q[i][j];
            norm = Math.sqrt(norm);
            for (int j = 0; j < n; j++) q[i][j] /= norm;
        }
        return q;
    }

    /** sum_i lambda_i q_i q_i^T. */
    static double[] compose(double[][] q, double[] lambda) {
        int n = lambda.length;
        double[] a = new double[n * n];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) a[i * n + j] += lambda[k] * q[k][i] * q[k][j];
        }
        return a;
    }

    @Test
    void twoByTwo() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, vectors (1, 1)/√2 and (1, -1)/√2
        for (Solver s : SOLVERS) {
            SymmetricEigen e = s.solve(new double[] {2, 1, 1, 2}, 2);
            assertArrayEquals(new double[] {3, 1}, e.values(), 1e-14);
            double[] v = e.vector(0);
            assertEquals(1 / Math.sqrt(2), Math.abs(v[0]), 1e-14);
            assertEquals(v[0], v[1], 1e-14);
        }
    }

    @Test
    void diagonalAndOneByOne() {
        for (Solver s : SOLVERS) {
            SymmetricEigen e = s.solve(new double[] {1, 0, 0, 0, 5, 0, 0, 0, -2}, 3);
            assertArrayEquals(new double[] {5, 1, -2}, e.values(), 0);
            assertArrayEquals(new double[] {0, 1, 0}, abs(e.vector(0)), 0);
            assertArrayEquals(new double[] {7}, s.solve(new double[] {7}, 1).values(), 0);
        }
    }

    @Test
    void recoversAKnownDecomposition() {
        int n = 40;
        double[][] q = orthogonal(n, 7);
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) lambda[i] = 100.0 * Math.pow(0.8, i) - (i % 7 == 3 ? 50 : 0); // distinct, some negative
        double[] sorted = lambda.clone();
        java.util.Arrays.sort(sorted);
        double[] a = compose(q, lambda);
        for (Solver s : SOLVERS) {
            SymmetricEigen e = s.solve(a, n);
            for (int i = 0; i < n; i++) assertEquals(sorted[n - 1 - i], e.value(i), 1e-11, "eigenvalue " + i);
            for (int i = 0; i < n; i++) {
                // the vector of the i-th largest eigenvalue is ± the q_k with that eigenvalue
                int k = 0;
                while (lambda[k] != sorted[n - 1 - i]) k++;
                double dot = 0;
                for (int j = 0; j < n; j++) dot += q[k][j] * e.vector(i)[j];
                assertEquals(1.0, Math.abs(dot), 1e-10, "eigenvector " + i);
            }
        }
    }

    @Test
    void repeatedEigenvaluesAndResiduals() {
        int n = 60;
        double[][] q = orthogonal(n, 11);
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) lambda[i] = i < 10 ? 4.0 : (i < 20 ? 0.0 : 1.0 / (i + 1)); // a 10-fold eigenvalue, a 10-dim null space
        double[] a = compose(q, lambda);
        for (Solver s : SOLVERS) {
            SymmetricEigen e = s.solve(a, n);
            for (int i = 0; i < 10; i++) assertEquals(4.0, e.value(i), 1e-12);
            // A v = lambda v and orthonormality
            for (int i = 0; i < n; i++) {
                double[] v = e.vector(i);
                for (int r = 0; r < n; r++) {
                    double av = 0;
                    for (int c = 0; c < n; c++) av += a[r * n + c] * v[c];
                    assertEquals(e.value(i) * v[r], av, 1e-12, "residual of pair " + i);
                }
                for (int j = 0; j <= i; j++) {
                    double dot = 0;
                    double[] w = e.vector(j);
                    for (int c = 0; c < n; c++) dot += v[c] * w[c];
                    assertEquals(i == j ? 1.0 : 0.0, dot, 1e-12);
                }
            }
        }
    }

    @Test
    void solversAgreeOnACovarianceSizedMatrix() {
        int n = 200, m = 300;
        SplittableRandom r = new SplittableRandom(3);
        double[] x = new double[m * n];
        for (int i = 0; i < x.length; i++) x[i] = r.nextDouble() * ((i % n) < 20 ? 3 : 1) * ((i % n) > 180 ? 0 : 1); // some zero columns
        double[] c = new double[n * n];
        for (int s = 0; s < m; s++) for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) c[i * n + j] += x[s * n + i] * x[s * n + j] / m;
        long t0 = System.nanoTime();
        SymmetricEigen qr = SymmetricEigen.of(c, n);
        long t1 = System.nanoTime();
        SymmetricEigen jac = SymmetricEigen.jacobi(c, n);
        long t2 = System.nanoTime();
        System.out.printf("n=%d: tridiagonal QR %.3f s (%d steps), Jacobi %.3f s (%d sweeps)%n", n, (t1 - t0) / 1e9, qr.sweeps(),
                (t2 - t1) / 1e9, jac.sweeps());
        assertArrayEquals(jac.values(), qr.values(), 1e-11 * jac.value(0));
        for (int i = 0; i < 10; i++) {
            double dot = 0;
            for (int j = 0; j < n; j++) dot += qr.vector(i)[j] * jac.vector(i)[j];
            assertTrue(Math.abs(Math.abs(dot) - 1) < 1e-9, "vector " + i + ": |dot| " + dot);
        }
    }

    private static double[] abs(double[] v) {
        double[] o = v.clone();
        for (int i = 0; i < o.length; i++) o[i] = Math.abs(o[i]);
        return o;
    }
}
