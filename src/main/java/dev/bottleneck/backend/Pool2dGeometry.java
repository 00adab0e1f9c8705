package dev.bottleneck.backend;

/**
 * Shape of a 2-D pooling window over NCHW tensors: input [n, c, h, w], output [n, c, outH(), outW()] (floor
 * mode). Max pooling treats padding as -infinity; average pooling divides by the full window
 * ({@code countIncludePad}, the PyTorch default) or by the number of real elements under it.
 */
public record Pool2dGeometry(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW, int padH, int padW,
                             boolean countIncludePad) {
    public Pool2dGeometry {
        if (n < 1 || c < 1 || h < 1 || w < 1 || kh < 1 || kw < 1 || strideH < 1 || strideW < 1 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("bad pooling geometry: " + this);
        }
        if (padH * 2 > kh || padW * 2 > kw) throw new IllegalArgumentException("pooling padding must be at most half the window: " + this);
        if (outH() < 1 || outW() < 1) throw new IllegalArgumentException("pooling output would be empty: " + this);
    }

    public int outH() { return (h + 2 * padH - kh) / strideH + 1; }
    public int outW() { return (w + 2 * padW - kw) / strideW + 1; }

    public int[] inputShape() { return new int[] {n, c, h, w}; }
    public int[] outputShape() { return new int[] {n, c, outH(), outW()}; }
}
