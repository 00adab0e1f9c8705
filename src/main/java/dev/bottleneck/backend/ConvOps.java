package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/**
 * 2-D convolution over NCHW float tensors (cross-correlation, as in every deep-learning library). A transposed
 * convolution is {@link #backwardData} forward and {@link #forward} backward, with the same weight.
 * With {@code accumulate} the result is added to the output tensor, otherwise it overwrites it.
 */
public interface ConvOps {
    /** {@code y = conv(x, w) (+ bias per output channel)}; bias may be null. */
    void forward(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y);

    /** {@code dx (+)= conv^T(dy, w)}: the gradient with respect to the input. */
    void backwardData(Conv2dGeometry g, Tensor dy, Tensor w, Tensor dx, boolean accumulate);

    /** {@code dw (+)= gradient with respect to the weight} from the input x and the output gradient dy. */
    void backwardFilter(Conv2dGeometry g, Tensor x, Tensor dy, Tensor dw, boolean accumulate);

    /** {@code db (+)= dy summed over n, h, w} for dy of shape [n, c, h, w] and db of shape [c]. */
    void backwardBias(Tensor dy, Tensor db, boolean accumulate);
}
