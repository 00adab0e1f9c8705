package dev.bottleneck.nn;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.io.Json;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Transposed 2-D convolution (PyTorch {@code ConvTranspose2d}): weight [cIn, cOut, kh, kw], bias [cOut]; output size
 * {@code (in - 1) stride - 2 pad + dilation (k - 1) + outputPadding + 1}. The initialiser sees
 * {@code fanIn = cIn kh kw} and {@code fanOut = cOut kh kw} (cIn: the channels this layer reads).
 */
public final class ConvTranspose2d extends ConvLayer {
    /**
     * Spec type {@code conv_transpose2d}: the keys of {@link Conv2d#SPEC} (without {@code "same"} padding) plus
     * {@code output_padding} (0), PyTorch semantics.
     */
    public static final LayerSpec SPEC = (l, shape, out, where) -> Conv2d.convolution("conv_transpose2d", l, shape, out, where);

    private final int outPadH, outPadW;

    public ConvTranspose2d(int cIn, int cOut, int kernel, int stride, int pad, int outputPadding, int dilation, boolean bias, Init init) {
        this(cIn, cOut, kernel, kernel, stride, stride, pad, pad, outputPadding, outputPadding, dilation, dilation, bias, init);
    }

    public ConvTranspose2d(int cIn, int cOut, int kh, int kw, int strideH, int strideW, int padH, int padW, int outPadH, int outPadW,
                           int dilH, int dilW, boolean bias, Init init) {
        super("conv_transpose2d", new int[] {cIn, cOut, kh, kw}, cIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, bias, init);
        if (outPadH < 0 || outPadW < 0) throw new BottleneckException("conv_transpose2d: output padding must be >= 0");
        if ((outPadH >= strideH && outPadH >= dilH) || (outPadW >= strideW && outPadW >= dilW)) {
            throw new BottleneckException("conv_transpose2d: output_padding must be smaller than the stride or the dilation");
        }
        this.outPadH = outPadH;
        this.outPadW = outPadW;
    }

    @Override
    public Var forward(Graph g, Var x) {
        checkInput(x);
        return g.convTranspose2d(x, weight.in(g), biasIn(g), strideH, strideW, padH, padW, outPadH, outPadW, dilH, dilW);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        checkSample(inputShape);
        int oh = (inputShape[1] - 1) * strideH - 2 * padH + dilH * (kh - 1) + outPadH + 1;
        int ow = (inputShape[2] - 1) * strideW - 2 * padW + dilW * (kw - 1) + outPadW + 1;
        if (oh < 1 || ow < 1) throw new BottleneckException(describe() + ": output would be empty for " + Arrays.toString(inputShape));
        return new int[] {cOut, oh, ow};
    }

    @Override
    public String describe() {
        return "ConvT2d(" + cIn + "->" + cOut + ", " + kh + "x" + kw + ", s" + Conv2d.pair(strideH, strideW) + ", p"
                + Conv2d.pair(padH, padW) + (outPadH != 0 || outPadW != 0 ? ", op" + Conv2d.pair(outPadH, outPadW) : "")
                + (dilH != 1 || dilW != 1 ? ", d" + Conv2d.pair(dilH, dilW) : "") + (bias == null ? ", no bias" : "") + ")";
    }

    @Override
    public Map<String, Object> spec() {
        return Json.object("type", "conv_transpose2d", "in", cIn, "filters", cOut, "kernel", Conv2d.specPair(kh, kw),
                "stride", Conv2d.specPair(strideH, strideW), "padding", Conv2d.specPair(padH, padW),
                "output_padding", Conv2d.specPair(outPadH, outPadW), "dilation", Conv2d.specPair(dilH, dilW),
                "bias", bias != null, "init", weight.init().specName());
    }
}
