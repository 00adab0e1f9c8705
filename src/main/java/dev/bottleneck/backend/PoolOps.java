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
}
