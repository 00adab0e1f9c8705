package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/** Element-wise maths. */
public interface ElementwiseOps {
    /**
     * {@code out = a (op) b} with NumPy broadcasting: shapes are aligned from the right and a dimension of 1
     * (or a missing one) stretches. {@code out} has the broadcast shape and may alias {@code a} or {@code b}
     * when it has the same shape.
     */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    void unary(UnaryOp op, Tensor x, Tensor out);

    /** {@code out = alpha * x + beta} (scale and shift). */
    void affine(Tensor x, double alpha, double beta, Tensor out);

    /** {@code y = alpha * x + beta * y}; with {@code beta == 0} the old y is ignored. Sizes must match. */
    void axpby(double alpha, Tensor x, double beta, Tensor y);

    /** {@code out = min(max(x, lo), hi)}. */
    void clamp(Tensor x, double lo, double hi, Tensor out);
}
