package dev.bottleneck.nn;

import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.Limits;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * 2-D convolution over [N, cIn, h, w] batches: weight [cOut, cIn, kh, kw] (PyTorch layout), bias [cOut]. The
 * initialiser sees {@code fanIn = cIn kh kw} and {@code fanOut = cOut kh kw}.
 */
public final class Conv2d extends ConvLayer {
    /**
     * Spec type {@code conv2d}: {@code filters}, {@code kernel}, optional {@code stride} (1), {@code padding} (0, an
     * int, a pair, {@code "valid"} or {@code "same"}: stride-1 output size, or {@code ceil(size / stride)}; needs an odd
     * dilated kernel), {@code dilation} (1), {@code activation} (linear), {@code alpha}, {@code bias} (true),
     * {@code init} (He uniform before a ReLU-family activation, else Xavier uniform).
     */
    public static final LayerSpec SPEC = (l, shape, out, where) -> convolution("conv2d", l, shape, out, where);

    /** The reader of {@code conv2d} and {@code conv_transpose2d}, which share their keys. */
    static int[] convolution(String type, java.util.Map<String, Object> l, int[] shape, java.util.List<Module> out, String where) {
        SpecValues.requireImage(type, shape, where);
        int filters = SpecValues.intOf(l, "filters", where, -1);
        if (filters < 1) throw new BottleneckException(where + ": " + type + " needs 'filters' (a positive integer)");
        int[] k = SpecValues.pair(l, "kernel", where, null, 1);
        int[] s = SpecValues.pair(l, "stride", where, new int[] {1, 1}, 1);
        int[] d = SpecValues.pair(l, "dilation", where, new int[] {1, 1}, 1);
        int[] p = SpecValues.convPadding(l.get("padding"), k, d, where, type);
        SpecValues.Act act = SpecValues.activation(l, where);
        Init init = SpecValues.init(l, act.fn(), where);
        boolean bias = MapValues.bool(l.get("bias"), true, where + ": 'bias'");
        Limits.PARAMETERS.check(Limits.saturatedMultiply((long) filters * shape[0], (long) k[0] * k[1]),
                where + ": the weight count of " + type + " (" + shape[0] + " -> " + filters + " channels, kernel " + k[0] + "x" + k[1] + ")");
        Module m;
        if (type.equals("conv2d")) {
            // in long arithmetic first, so that huge kernels or dilations cannot overflow the layer's own int sizes
            for (int a = 0; a < 2; a++) {
                if ((long) d[a] * (k[a] - 1) + 1 > shape[1 + a] + 2L * p[a]) {
                    throw new BottleneckException(where + ": conv2d kernel " + k[0] + "x" + k[1] + " (dilation " + d[0] + "x" + d[1]
                            + ") is larger than its padded input " + java.util.Arrays.toString(shape) + "; use a smaller kernel or more padding");
                }
            }
            m = new Conv2d(shape[0], filters, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], bias, init);
        } else {
            int[] op = SpecValues.pair(l, "output_padding", where, new int[] {0, 0}, 0);
            for (int a = 0; a < 2; a++) {
                long o = (long) (shape[1 + a] - 1) * s[a] - 2L * p[a] + (long) d[a] * (k[a] - 1) + op[a] + 1;
                if (o < 1 || o > Limits.SAMPLE_VALUES.value()) {
                    throw new BottleneckException(where + ": conv_transpose2d would give an output " + (a == 0 ? "height" : "width")
                            + " of " + o + " for the input " + java.util.Arrays.toString(shape) + "; expected 1 to "
                            + Limits.SAMPLE_VALUES.describe() + " — check kernel, stride and padding");
                }
            }
            m = new ConvTranspose2d(shape[0], filters, k[0], k[1], s[0], s[1], p[0], p[1], op[0], op[1], d[0], d[1], bias, init);
        }
        int[] next = SpecValues.add(m, shape, out, where);
        act.addTo(out);
        return next;
    }

    public Conv2d(int cIn, int cOut, int kernel, int stride, int pad, int dilation, boolean bias, Init init) {
        this(cIn, cOut, kernel, kernel, stride, stride, pad, pad, dilation, dilation, bias, init);
    }

    public Conv2d(int cIn, int cOut, int kh, int kw, int strideH, int strideW, int padH, int padW, int dilH, int dilW,
                  boolean bias, Init init) {
        super("conv2d", new int[] {cOut, cIn, kh, kw}, cIn, cOut, kh, kw, strideH, strideW, padH, padW, dilH, dilW, bias, init);
    }

    @Override
    public Var forward(Graph g, Var x) {
        checkInput(x);
        return g.conv2d(x, weight.in(g), biasIn(g), strideH, strideW, padH, padW, dilH, dilW);
    }

    /** Output size of one spatial dimension. */
    static int outSize(int in, int k, int stride, int pad, int dil) {
        return (in + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        checkSample(inputShape);
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
        return Json.object("type", "conv2d", "in", cIn, "filters", cOut, "kernel", specPair(kh, kw),
                "stride", specPair(strideH, strideW), "padding", specPair(padH, padW), "dilation", specPair(dilH, dilW),
                "bias", bias != null, "init", weight.init().specName());
    }
}
