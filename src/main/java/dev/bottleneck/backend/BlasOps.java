package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/** Dense matrix products. */
public interface BlasOps {
    /**
     * Row-major GEMM: {@code C = alpha * op(A) * op(B) + beta * C} with {@code op(A)} of shape m×k,
     * {@code op(B)} of shape k×n and C of shape m×n. {@code lda}, {@code ldb}, {@code ldc} are the row strides
     * (in elements) of A, B and C as stored. With {@code beta == 0} the old contents of C are ignored (NaN too).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              double alpha, Tensor a, int lda, Tensor b, int ldb,
              double beta, Tensor c, int ldc);

    /**
     * Runs two independent products (neither reads what the other writes, e.g. a layer's input and weight
     * gradients). A backend may run them at the same time; the CPU backend runs each on its own thread, which keeps
     * both cores busy where splitting one small product would not. The results are those of running them in turn.
     */
    default void gemmPair(Runnable first, Runnable second) {
        first.run();
        second.run();
    }

    /** Whether {@link #gemmPair} gains over two calls in turn for two products of this size (m x n x k each). */
    default boolean pairs(int m, int n, int k) {
        return false;
    }

    /** Convenience: {@code C = op(A) op(B)} on whole 2-D tensors (or tensors seen as [rows, cols]). */
    default void matmul(boolean transA, boolean transB, Tensor a, Tensor b, double beta, Tensor c) {
        int ar = a.rows(), ac = a.cols(), br = b.rows(), bc = b.cols();
        int m = transA ? ac : ar;
        int k = transA ? ar : ac;
        int kb = transB ? bc : br;
        int n = transB ? br : bc;
        if (k != kb || c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("matmul shape mismatch: op(A) " + m + "x" + k + ", op(B) " + kb + "x" + n
                    + ", C " + c.rows() + "x" + c.cols());
        }
        gemm(transA, transB, m, n, k, 1.0, a, ac, b, bc, beta, c, n);
    }
}
