package dev.bottleneck.nn;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * 2-D convolution over [N, cIn, h, w] batches: weight [cOut, cIn, kh, kw] (PyTorch layout), bias [cOut]. The
 * initialiser sees {@code fanIn = cIn kh kw} and {@code fanOut = cOut kh kw}.
 */
public final class Conv2d extends Module {
    private final int cIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW;
    private final Parameter weight, bias;

    public Conv2d(int cIn, int cOut, int kernel, int stride, int pad, int dilation, boolean bias, Init init) {
        this(cIn, cOut, kernel, kernel, stride, stride, pad, pad, dilation, dilation, bias, init);
    }

    public Conv2d(int cIn, int cOut, int kh, int kw, int strideH, int strideW, int padH, int padW, int dilH, int dilW,
                  boolean bias, Init init) {
        if (cIn < 1 || cOut < 1 || kh < 1 || kw < 1) {
            throw new BottleneckException("conv2d needs positive channels and kernel, got " + cIn + " -> " + cOut + ", kernel " + kh + "x" + kw);
        }
        if (strideH < 1 || strideW < 1 || dilH < 1 || dilW < 1 || padH < 0 || padW < 0) {
            throw new BottleneckException("conv2d: stride and dilation must be >= 1 and padding >= 0");
        }
        this.cIn = cIn;
        this.cOut = cOut;
        this.kh = kh;
        this.kw = kw;
        this.strideH = strideH;
        this.strideW = strideW;
        this.padH = padH;
        this.padW = padW;
        this.dilH = dilH;
        this.dilW = dilW;
        this.weight = new Parameter(init, cIn * kh * kw, cOut * kh * kw, cOut, cIn, kh, kw);
        this.bias = bias ? new Parameter(Init.ZEROS, cIn * kh * kw, cOut * kh * kw, cOut) : null;
    }

    public Parameter weight() { return weight; }
    public Parameter bias() { return bias; }
    public int inChannels() { return cIn; }
    public int outChannels() { return cOut; }

    @Override
    public Var forward(Graph g, Var x) {
        if (x.value().rank() != 4 || x.value().dim(1) != cIn) {
            throw new BottleneckException(describe() + " needs input [N, " + cIn + ", h, w], got " + Arrays.toString(x.shape()));
        }
        return g.conv2d(x, weight.in(g), bias == null ? null : bias.in(g), strideH, strideW, padH, padW, dilH, dilW);
    }

    @Override public List<Parameter> ownParameters() { return bias == null ? List.of(weight) : List.of(weight, bias); }
    @Override public List<String> ownParameterNames() { return bias == null ? List.of("weight") : List.of("weight", "bias"); }
    @Override public List<Parameter> parameters() { return ownParameters(); }

    /** Output size of one spatial dimension. */
    static int outSize(int in, int k, int stride, int pad, int dil) {
        return (in + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        if (inputShape.length != 3 || inputShape[0] != cIn) {
            throw new BottleneckException(describe() + " needs samples of shape [" + cIn + ", h, w], got " + Arrays.toString(inputShape));
        }
        int oh = outSize(inputShape[1], kh, strideH, padH, dilH), ow = outSize(inputShape[2], kw, strideW, padW, dilW);
        if (inputShape[1] + 2 * padH - dilH * (kh - 1) - 1 < 0 || inputShape[2] + 2 * padW - dilW * (kw - 1) - 1 < 0 || oh < 1 || ow < 1) {
            throw new BottleneckException(describe() + ": input " + Arrays.toString(inputShape) + " is smaller than the kernel");
        }
        return new int[] {cOut, oh, ow};
    }

    @Override
    public String describe() {
        return "Conv2d(" + cIn + "->" + cOut + ", " + kh + "x" + kw + ", s" + pair(strideH, strideW) + ", p" + pair(padH, padW)
                + (dilH != 1 || dilW != 1 ? ", d" + pair(dilH, dilW) : "") + (bias == null ? ", no bias" : "") + ")";
    }

    static String pair(int a, int b) { return a == b ? Integer.toString(a) : a + "x" + b; }

    static Object specPair(int a, int b) { return a == b ? (Object) a : List.of(a, b); }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "conv2d");
        m.put("in", cIn);
        m.put("filters", cOut);
        m.put("kernel", specPair(kh, kw));
        m.put("stride", specPair(strideH, strideW));
        m.put("padding", specPair(padH, padW));
        m.put("dilation", specPair(dilH, dilW));
        m.put("bias", bias != null);
        m.put("init", weight.init().specName());
        return m;
    }
}
