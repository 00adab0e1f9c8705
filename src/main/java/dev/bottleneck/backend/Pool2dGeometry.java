package dev.bottleneck.backend;

/**
 * Shape of a 2-D pooling window over NCHW tensors: input [n, c, h, w], output [n, c, outH(), outW()] (floor
 * mode). Max pooling treats padding as -infinity; average pooling divides by the full window
 * ({@code countIncludePad}, the PyTorch default) or by the number of real elements under it.
 */
public record Pool2dGeometry(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW,
                             boolean countIncludePad) {
    public Pool2dGeometry {
        // the fields are assigned only after this body: use the parameters, not outH()/outW() (or this.toString())
        String desc = "n " + n + ", c " + c + ", " + h + "x" + w + ", kernel " + kh + "x" + kw + ", stride " + strideH + "x" + strideW
                + ", padding " + padH + "x" + padW;
        if (n < 1 || c < 1 || h < 1 || w < 1 || kh < 1 || kw < 1 || strideH < 1 || strideW < 1 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("bad pooling geometry: " + desc);
        }
        if (padH * 2 > kh || padW * 2 > kw) throw new IllegalArgumentException("pooling padding must be at most half the window: " + desc);
        if (h + 2 * padH - kh < 0 || w + 2 * padW - kw < 0) throw new IllegalArgumentException("pooling output would be empty: " + desc);
    }

    public int outH() { return (h + 2 * padH - kh) / strideH + 1; }
    public int outW() { return (w + 2 * padW - kw) / strideW + 1; }

    public int[] inputShape() { return new int[] {n, c, h, w}; }
    public int[] outputShape() { return new int[] {n, c, outH(), outW()}; }
}
