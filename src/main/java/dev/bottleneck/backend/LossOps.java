package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/** Fused loss value and gradient. */
public interface LossOps {
    /**
     * Computes the reduced loss of {@code pred} against {@code target} (same size; the batch is
     * {@code pred.rows()}) into the one-element tensor {@code out}, and, when {@code grad} is not null,
     * {@code grad = gradScale * dLoss/dpred} (overwritten). The value is not read back to the host.
     */
    void lossAndGrad(Loss kind, Loss.Reduction reduction, Tensor pred, Tensor target, Tensor out,
                     Tensor grad, double gradScale);
}
