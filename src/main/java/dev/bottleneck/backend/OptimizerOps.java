package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/**
 * Optimizer updates applied in one call over flat arenas: parameters, gradients and each state buffer are one
 * contiguous tensor of the same size. Semantics follow PyTorch's {@code torch.optim} (default arguments).
 */
public interface OptimizerOps {
    /**
     * SGD: {@code g = grad + wd p}; with momentum {@code v = mu v + g} (v starts at 0) and
     * {@code g = nesterov ? g + mu v : v}; then {@code p -= lr g}. {@code velocity} may be null when mu = 0.
     */
    void sgd(Tensor params, Tensor grads, Tensor velocity, double lr, double momentum, boolean nesterov,
             double weightDecay);

    /**
     * Adam ({@code decoupled == false}: {@code g = grad + wd p}) or AdamW ({@code decoupled}: {@code p -= lr wd p}
     * first); {@code m = b1 m + (1-b1) g}, {@code v = b2 v + (1-b2) g^2},
     * {@code p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)} with {@code t = step >= 1}.
     */
    void adam(Tensor params, Tensor grads, Tensor m, Tensor v, double lr, double beta1, double beta2,
              double eps, double weightDecay, boolean decoupled, long step);

    /** The argument checks of {@link #adam}: buffers of the parameters' size, {@code step >= 1}. */
    static void checkAdam(Tensor params, Tensor grads, Tensor m, Tensor v, long step) {
        Shapes.sameSize(params, grads, "adam");
        Shapes.sameSize(params, m, "adam m");
        Shapes.sameSize(params, v, "adam v");
        if (step < 1) throw new IllegalArgumentException("adam step must be >= 1");
    }

    /**
     * RMSprop: {@code g = grad + wd p}, {@code s = alpha s + (1-alpha) g^2}; with momentum
     * {@code b = mu b + g / (sqrt(s) + eps)}, {@code p -= lr b}; else {@code p -= lr g / (sqrt(s) + eps)}.
     * {@code buf} may be null when mu = 0.
     */
    void rmsprop(Tensor params, Tensor grads, Tensor sqAvg, Tensor buf, double lr, double alpha, double eps,
                 double weightDecay, double momentum);
}
