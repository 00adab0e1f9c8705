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

    /**
     * Per-pixel softmax cross-entropy over the channels of NCHW logits: the mean over the n*h*w pixels of
     * {@code -log softmax(logits[n, :, y, x])[target[n, y, x]]} into the one-element {@code out}; when {@code grad}
     * is not null, {@code grad = gradScale * dLoss/dlogits} (overwritten). Targets are class numbers 0..c-1 stored
     * as floats. A target that is not such a class (an "ignore" value such as 255, a negative or fractional number,
     * NaN) is never used as an index: that pixel's loss and gradients are NaN, so the run's NaN guard stops it. The
     * value is not read back to the host.
     */
    void softmaxCrossEntropy(Tensor logits, Tensor target, Tensor out, Tensor grad, double gradScale);
}
