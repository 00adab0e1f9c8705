package dev.bottleneck.backend;

/**
 * Shape of a 2-D convolution over NCHW tensors: input [n, cIn, h, w], weight [cOut, cIn, kh, kw] (PyTorch layout),
 * output [n, cOut, outH(), outW()]. A transposed convolution with the same weight is this convolution's
 * backward-data pass, with its output padding folded into {@code h, w}.
 */
public record Conv2dGeometry(int n, int cIn, int h, int w, int cOut, int kh, int kw,
                             int strideH, int strideW, int padH, int padW, int dilH, int dilW) {
    public Conv2dGeometry {
        if (n < 1 || cIn < 1 || h < 1 || w < 1 || cOut < 1 || kh < 1 || kw < 1) {
            throw new IllegalArgumentException("convolution sizes must be positive: n " + n + ", cIn " + cIn + ", " + h + "x" + w
                    + ", cOut " + cOut + ", kernel " + kh + "x" + kw);
        }
        if (strideH < 1 || strideW < 1 || dilH < 1 || dilW < 1 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("bad stride/padding/dilation: stride " + strideH + "x" + strideW + ", padding "
                    + padH + "x" + padW + ", dilation " + dilH + "x" + dilW);
        }
        // the fields are assigned only after this body: use the parameters, not outH()/outW() (or this.toString())
        if (h + 2 * padH - dilH * (kh - 1) - 1 < 0 || w + 2 * padW - dilW * (kw - 1) - 1 < 0) {
            throw new IllegalArgumentException("convolution output would be empty: input " + h + "x" + w + ", kernel "
                    + kh + "x" + kw + ", stride " + strideH + ", padding " + padH + ", dilation " + dilH);
        }
    }

    public int outH() { return (h + 2 * padH - dilH * (kh - 1) - 1) / strideH + 1; }
    public int outW() { return (w + 2 * padW - dilW * (kw - 1) - 1) / strideW + 1; }

    public int[] inputShape() { return new int[] {n, cIn, h, w}; }
    public int[] weightShape() { return new int[] {cOut, cIn, kh, kw}; }
    public int[] outputShape() { return new int[] {n, cOut, outH(), outW()}; }

    /** Multiply-adds of the forward pass (for GFLOP/s reports). */
    public long macs() { return (long) n * cOut * outH() * outW() * cIn * kh * kw; }
}
