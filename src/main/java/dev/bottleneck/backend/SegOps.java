package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/**
 * Segmentation ops (SegNet-style) over NCHW float tensors: max pooling that also returns where each maximum was,
 * max un-pooling that puts values back there, and per-pixel softmax cross-entropy over the channel dimension.
 *
 * <p>Indices are float tensors of the pooled output's shape holding the flat index {@code iy * w + ix} of the
 * maximum within its (sample, channel) input plane; exact while {@code h * w <= 2^24}. {@code accumulate}: add
 * into dx instead of overwriting.
 */
public interface SegOps {
    /** y and indices [n, c, outH, outW]; the first maximum (row-major window order) wins, as in {@link PoolOps#maxForward}. */
    void maxPoolIndicesForward(Pool2dGeometry g, Tensor x, Tensor y, Tensor indices);

    /** dx [n, c, h, w] (+)= dy routed to the recorded argmax of each window. */
    void maxPoolIndicesBackward(Pool2dGeometry g, Tensor indices, Tensor dy, Tensor dx, boolean accumulate);

    /**
     * x and indices [n, c, h, w] to y [n, c, outH, outW]: y is zero except {@code y[p, indices[p, i]] += x[p, i]}
     * for every plane p (values that share an index are summed).
     */
    void maxUnpoolForward(Tensor x, Tensor indices, Tensor y);

    /** The gather that is the forward pass's adjoint: dx[p, i] (+)= dy[p, indices[p, i]]. */
    void maxUnpoolBackward(Tensor indices, Tensor dy, Tensor dx, boolean accumulate);

    /**
     * Mean over the n*h*w pixels of {@code -log softmax(logits[n, :, y, x])[target[n, y, x]]} into the one-element
     * {@code out}; when {@code grad} is not null, {@code grad = gradScale * dLoss/dlogits} (overwritten). Targets are
     * class numbers 0..c-1 stored as floats; the value is not read back to the host.
     */
    void softmaxCrossEntropy(Tensor logits, Tensor target, Tensor out, Tensor grad, double gradScale);
}
