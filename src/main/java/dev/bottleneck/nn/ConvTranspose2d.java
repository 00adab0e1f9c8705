package dev.bottleneck.nn;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Transposed 2-D convolution (PyTorch {@code ConvTranspose2d}): weight [cIn, cOut, kh, kw], bias [cOut]; output size
 * {@code (in - 1) stride - 2 pad + dilation (k - 1) + outputPadding + 1}. The initialiser sees
 * {@code fanIn = cIn kh kw} and {@code fanOut = cOut kh kw} (cIn: the channels this layer reads).
 */
public final class ConvTranspose2d extends Module {
    /**
     * Spec type {@code conv_transpose2d}: the keys of {@link Conv2d#SPEC} (without {@code "same"} padding) plus
     * {@code output_padding} (0), PyTorch semantics.
     */
    public static final LayerSpec SPEC = (l, shape, out, where) -> Conv2d.convolution("conv_transpose2d", l, shape, out, where);

    private final int cIn, cOut, kh, kw, strideH, strideW, padH, padW, outPadH, outPadW, dilH, dilW;
    private final Parameter weight, bias;

    public ConvTranspose2d(int cIn, int cOut, int kernel, int stride, int pad, int outputPadding, int dilation, boolean bias, Init init) {
        this(cIn, cOut, kernel, kernel, stride, stride, pad, pad, outputPadding, outputPadding, dilation, dilation, bias, init);
    }

    public ConvTranspose2d(int cIn, int cOut, int kh, int kw, int strideH, int strideW, int padH, int padW, int outPadH, int outPadW,
                           int dilH, int dilW, boolean bias, Init init) {
        if (cIn < 1 || cOut < 1 || kh < 1 || kw < 1) {
            throw new BottleneckException("conv_transpose2d needs positive channels and kernel, got " + cIn + " -> " + cOut);
        }
        if (strideH < 1 || strideW < 1 || dilH < 1 || dilW < 1 || padH < 0 || padW < 0 || outPadH < 0 || outPadW < 0) {
            throw new BottleneckException("conv_transpose2d: stride and dilation must be >= 1, padding and output padding >= 0");
        }
        if ((outPadH >= strideH && outPadH >= dilH) || (outPadW >= strideW && outPadW >= dilW)) {
            throw new BottleneckException("conv_transpose2d: output_padding must be smaller than the stride or the dilation");
        }
        this.cIn = cIn;
        this.cOut = cOut;
        this.kh = kh;
        this.kw = kw;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padH = padH;
        this.padW = padW;
        this.outPadH = outPadH;
        this.outPadW = outPadW;
        this.dilH = dilH;
        this.dilW = dilW;
        this.weight = new Parameter(init, cIn * kh * kw, cOut * kh * kw, cIn, cOut, kh, kw);
        this.bias = bias ? new Parameter(Init.ZEROS, cIn * kh * kw, cOut * kh * kw, cOut) : null;
    }

    public Parameter weight() { return weight; }
    public Parameter bias() { return bias; }

    @Override
    public Var forward(Graph g, Var x) {
        if (x.value().rank() != 4 || x.value().dim(1) != cIn) {
            throw new BottleneckException(describe() + " needs input [N, " + cIn + ", h, w], got " + Arrays.toString(x.shape()));
        }
        return g.convTranspose2d(x, weight.in(g), bias == null ? null : bias.in(g), strideH, strideW, padH, padW, outPadH, outPadW,
                dilH, dilW);
    }

    @Override public List<Parameter> ownParameters() { return bias == null ? List.of(weight) : List.of(weight, bias); }
    @Override public List<String> ownParameterNames() { return bias == null ? List.of("weight") : List.of("weight", "bias"); }
    @Override public List<Parameter> parameters() { return ownParameters(); }

    @Override
    public int[] outputShape(int[] inputShape) {
        if (inputShape.length != 3 || inputShape[0] != cIn) {
            throw new BottleneckException(describe() + " needs samples of shape [" + cIn + ", h, w], got " + Arrays.toString(inputShape));
        }
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
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "conv_transpose2d");
        m.put("in", cIn);
        m.put("filters", cOut);
        m.put("kernel", Conv2d.specPair(kh, kw));
        m.put("stride", Conv2d.specPair(strideH, strideW));
        m.put("padding", Conv2d.specPair(padH, padW));
        m.put("output_padding", Conv2d.specPair(outPadH, outPadW));
        m.put("dilation", Conv2d.specPair(dilH, dilW));
        m.put("bias", bias != null);
        m.put("init", weight.init().specName());
        return m;
    }
}
