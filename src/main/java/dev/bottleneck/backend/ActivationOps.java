package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/** Activation functions and their gradients (see {@link Activation} for the exact definitions). */
public interface ActivationOps {
    /** {@code y = f(x)}; y may alias x. */
    void forward(Activation kind, double alpha, Tensor x, Tensor y);

    /**
     * {@code dx = (accumulate ? dx : 0) + f'(x) * dy}, where {@code y = f(x)} from the forward pass (both are
     * passed so each function can use the cheaper one).
     */
    void backward(Activation kind, double alpha, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate);
}
