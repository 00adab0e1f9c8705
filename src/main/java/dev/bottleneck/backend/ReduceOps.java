package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/** Reductions. Results stay in backend memory (read them with {@link MemoryOps#readScalar}). */
public interface ReduceOps {
    /**
     * Sums {@code x} down to the shape of {@code out} (the reverse of broadcasting, e.g. a [N, D] gradient to
     * a [D] bias gradient or to [N, 1]): {@code out = beta * out + sum}. {@code out}'s shape must broadcast to
     * {@code x}'s.
     */
    void sumTo(Tensor x, double beta, Tensor out);

    /** {@code out[0] = sum(x)} ({@code out} has one element). */
    void sum(Tensor x, Tensor out);

    /** {@code out[0] = sum(x^2)}. */
    void sumSquares(Tensor x, Tensor out);

    /** {@code out[0] = 1} if any element of x is NaN or infinite, else 0. */
    void nonFinite(Tensor x, Tensor out);
}
