package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/**
 * Batch normalisation per channel of NCHW tensors (spatial mode, as cuDNN's {@code CUDNN_BATCHNORM_SPATIAL}).
 * Training uses the batch statistics (biased variance for normalising) and updates the running statistics with
 * {@code running = (1 - momentum) running + momentum batch} (unbiased variance there, as PyTorch); inference uses
 * the running statistics.
 */
public interface NormOps {
    /**
     * Training forward. {@code saveMean} and {@code saveInvStd} ([c]) receive the batch mean and
     * {@code 1 / sqrt(var + eps)} for the backward pass.
     */
    void batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                               double momentum, double eps, Tensor y, Tensor saveMean, Tensor saveInvStd);

    void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double eps,
                            Tensor y);

    /**
     * Gradients of the training forward; dgamma and dbeta are accumulated when {@code accumulateParams}.
     * {@code eps} must be the value the forward used (cuDNN asks for it again; the CPU uses saveInvStd).
     */
    void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, double eps, Tensor dx,
                           Tensor dgamma, Tensor dbeta, boolean accumulateParams);
}
