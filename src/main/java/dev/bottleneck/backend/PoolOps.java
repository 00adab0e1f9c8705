package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/** Pooling and up-sampling over NCHW float tensors. {@code accumulate}: add into dx instead of overwriting. */
public interface PoolOps {
    void maxForward(Pool2dGeometry g, Tensor x, Tensor y);

    /** Routes each output gradient to the (first, in row-major order) maximum of its window. */
    void maxBackward(Pool2dGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate);

    void avgForward(Pool2dGeometry g, Tensor x, Tensor y);

    void avgBackward(Pool2dGeometry g, Tensor dy, Tensor dx, boolean accumulate);

    /** x [n, c, h, w] to y [n, c, h * scaleH, w * scaleW]. */
    void upsampleForward(Upsample mode, int scaleH, int scaleW, Tensor x, Tensor y);

    void upsampleBackward(Upsample mode, int scaleH, int scaleW, Tensor dy, Tensor dx, boolean accumulate);

    // ---- max pooling that also returns where each maximum was, and max un-pooling (SegNet-style encoder-decoders).
    // Indices are float tensors of the pooled output's shape holding the flat index iy * w + ix of the maximum
    // within its (sample, channel) input plane; exact while h * w <= 2^24.

    /** y and indices [n, c, outH, outW]; the first maximum (row-major window order) wins, as in {@link #maxForward}. */
    void maxPoolIndicesForward(Pool2dGeometry g, Tensor x, Tensor y, Tensor indices);

    /** dx [n, c, h, w] (+)= dy routed to the recorded argmax of each window. */
    void maxPoolIndicesBackward(Pool2dGeometry g, Tensor indices, Tensor dy, Tensor dx, boolean accumulate);

    /**
     * x and indices [n, c, h, w] to y [n, c, outH, outW]: y is zero except {@code y[p, indices[p, i]] += x[p, i]}
     * for every plane p (values that share an index are summed).
     */
    void maxUnpoolForward(Tensor x, Tensor indices, Tensor y);

    /** The gather that is the un-pooling's adjoint: dx[p, i] (+)= dy[p, indices[p, i]]. */
    void maxUnpoolBackward(Tensor indices, Tensor dy, Tensor dx, boolean accumulate);
}
