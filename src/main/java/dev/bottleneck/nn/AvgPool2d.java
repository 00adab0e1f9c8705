package dev.bottleneck.nn;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Pool2dGeometry;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Average pooling over [N, c, h, w] batches (floor mode); with {@code countIncludePad} (PyTorch's default) padded
 * positions count in the divisor.
 */
public final class AvgPool2d extends Module {
    private final int kh, kw, strideH, strideW, padH, padW;
    private final boolean countIncludePad;

    public AvgPool2d(int kh, int kw, int strideH, int strideW, int padH, int padW, boolean countIncludePad) {
        this.kh = kh;
        this.kw = kw;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padH = padH;
        this.padW = padW;
        this.countIncludePad = countIncludePad;
        try { // validates the window (padding at most half of it, positive sizes) once, with a 1x1 batch of its own size
            new Pool2dGeometry(1, 1, Math.max(kh, 1), Math.max(kw, 1), kh, kw, strideH, strideW, padH, padW, countIncludePad);
        } catch (IllegalArgumentException e) {
            throw new BottleneckException("avg_pool2d: " + e.getMessage());
        }
    }

    @Override
    public Var forward(Graph g, Var x) {
        if (x.value().rank() != 4) throw new BottleneckException(describe() + " needs input [N, c, h, w], got " + Arrays.toString(x.shape()));
        return g.avgPool2d(x, kh, kw, strideH, strideW, padH, padW, countIncludePad);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        if (inputShape.length != 3) throw new BottleneckException(describe() + " needs samples of shape [c, h, w], got " + Arrays.toString(inputShape));
        try {
            Pool2dGeometry geo = new Pool2dGeometry(1, inputShape[0], inputShape[1], inputShape[2], kh, kw, strideH, strideW, padH, padW, countIncludePad);
            return new int[] {inputShape[0], geo.outH(), geo.outW()};
        } catch (IllegalArgumentException e) {
            throw new BottleneckException(describe() + " cannot take samples of shape " + Arrays.toString(inputShape) + ": " + e.getMessage());
        }
    }

    @Override
    public String describe() {
        return "AvgPool2d(" + Conv2d.pair(kh, kw) + ", stride " + Conv2d.pair(strideH, strideW) + ", pad " + Conv2d.pair(padH, padW) + (padH > 0 || padW > 0 ? (countIncludePad ? "" : ", pad excluded") : "") + ")";
    }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "avg_pool2d");
        m.put("kernel", Conv2d.specPair(kh, kw));
        m.put("stride", Conv2d.specPair(strideH, strideW));
        m.put("padding", Conv2d.specPair(padH, padW));
        m.put("count_include_pad", countIncludePad);
        return m;
    }
}
