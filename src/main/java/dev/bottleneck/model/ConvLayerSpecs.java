package dev.bottleneck.model;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Upsample;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.nn.ActivationLayer;
import dev.bottleneck.nn.AvgPool2d;
import dev.bottleneck.nn.BatchNorm2d;
import dev.bottleneck.nn.Conv2d;
import dev.bottleneck.nn.ConvTranspose2d;
import dev.bottleneck.nn.Init;
import dev.bottleneck.nn.MaxPool2d;
import dev.bottleneck.nn.Module;
import dev.bottleneck.nn.UpsampleLayer;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The convolutional layer types of a {@link ModelSpec} (NCHW samples {@code [c, h, w]}):
 * <ul>
 *   <li>{@code conv2d}: {@code filters}, {@code kernel}, optional {@code stride} (1), {@code padding} (0, an int, a
 *       pair, {@code "valid"} or {@code "same"}: stride-1 output size, or {@code ceil(size / stride)}; needs an odd
 *       dilated kernel), {@code dilation} (1), {@code activation} (linear), {@code bias} (true), {@code init};</li>
 *   <li>{@code conv_transpose2d}: {@code filters}, {@code kernel}, optional {@code stride}, {@code padding},
 *       {@code output_padding}, {@code dilation}, {@code activation}, {@code bias}, {@code init} (PyTorch
 *       semantics);</li>
 *   <li>{@code max_pool2d} / {@code avg_pool2d}: {@code kernel}, optional {@code stride} (= kernel), {@code padding}
 *       (0, or {@code "same"}: output {@code ceil(size / stride)} with the smallest symmetric padding), and for average
 *       pooling {@code count_include_pad} (true);</li>
 *   <li>{@code upsample}: {@code scale} (int or pair), {@code mode} ({@code nearest} or {@code bilinear});</li>
 *   <li>{@code batch_norm2d}: optional {@code momentum} (0.1), {@code eps} (1e-5).</li>
 * </ul>
 * Integer pairs may be written as one int or a list {@code [h, w]}. Without {@code init}, a layer followed by a
 * ReLU-family activation gets He uniform, others Xavier uniform, with fanIn = cIn kh kw and fanOut = cOut kh kw.
 */
final class ConvLayerSpecs {
    static final Set<String> TYPES = Set.of("conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "upsample", "batch_norm2d");

    private ConvLayerSpecs() {}

    /** Builds the layer (and its activation, if any) into {@code out}; returns the per-sample output shape. */
    static int[] build(String type, Map<String, Object> l, int[] shape, List<Module> out, String where) {
        if (shape.length != 3) {
            throw new BottleneckException(where + ": " + type + " needs samples of shape [channels, height, width], got "
                    + Arrays.toString(shape) + " (add a 'reshape' layer before it)");
        }
        Module m;
        Activation act = null;
        double alpha = 0;
        switch (type) {
            case "conv2d":
            case "conv_transpose2d": {
                int filters = intOf(l, "filters", where, -1);
                if (filters < 1) throw new BottleneckException(where + ": " + type + " needs 'filters' (a positive integer)");
                int[] k = pair(l, "kernel", where, null, 1);
                int[] s = pair(l, "stride", where, new int[] {1, 1}, 1);
                int[] d = pair(l, "dilation", where, new int[] {1, 1}, 1);
                int[] p = convPadding(l.get("padding"), k, d, where, type);
                act = Activation.parse(l.containsKey("activation") ? MapValues.text(l.get("activation"), where + ": 'activation'") : "linear");
                alpha = MapValues.numberOr(l.get("alpha"), act.defaultAlpha, where + ": 'alpha'", Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
                Init init = l.containsKey("init") ? Init.parse(MapValues.text(l.get("init"), where + ": 'init'"))
                        : (act == Activation.RELU || act == Activation.LEAKY_RELU || act == Activation.ELU || act == Activation.GELU
                        ? Init.HE_UNIFORM : Init.XAVIER_UNIFORM);
                boolean bias = MapValues.bool(l.get("bias"), true, where + ": 'bias'");
                Limits.PARAMETERS.check(Limits.saturatedMultiply((long) filters * shape[0], (long) k[0] * k[1]),
                        where + ": the weight count of " + type + " (" + shape[0] + " -> " + filters + " channels, kernel " + k[0] + "x" + k[1] + ")");
                if (type.equals("conv2d")) {
                    // in long arithmetic first, so that huge kernels or dilations cannot overflow the layer's own int sizes
                    for (int a = 0; a < 2; a++) {
                        if ((long) d[a] * (k[a] - 1) + 1 > shape[1 + a] + 2L * p[a]) {
                            throw new BottleneckException(where + ": conv2d kernel " + k[0] + "x" + k[1] + " (dilation " + d[0] + "x" + d[1]
                                    + ") is larger than its padded input " + Arrays.toString(shape) + "; use a smaller kernel or more padding");
                        }
                    }
                    m = new Conv2d(shape[0], filters, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], bias, init);
                } else {
                    int[] op = pair(l, "output_padding", where, new int[] {0, 0}, 0);
                    for (int a = 0; a < 2; a++) {
                        long o = (long) (shape[1 + a] - 1) * s[a] - 2L * p[a] + (long) d[a] * (k[a] - 1) + op[a] + 1;
                        if (o < 1 || o > Limits.SAMPLE_VALUES.value()) {
                            throw new BottleneckException(where + ": conv_transpose2d would give an output " + (a == 0 ? "height" : "width")
                                    + " of " + o + " for the input " + Arrays.toString(shape) + "; expected 1 to "
                                    + Limits.SAMPLE_VALUES.describe() + " — check kernel, stride and padding");
                        }
                    }
                    m = new ConvTranspose2d(shape[0], filters, k[0], k[1], s[0], s[1], p[0], p[1], op[0], op[1], d[0], d[1], bias, init);
                }
                break;
            }
            case "max_pool2d":
            case "avg_pool2d": {
                int[] k = pair(l, "kernel", where, null, 1);
                int[] s = pair(l, "stride", where, k, 1);
                int[] p = poolPadding(l.get("padding"), shape, k, s, where);
                if (type.equals("max_pool2d")) {
                    m = new MaxPool2d(k[0], k[1], s[0], s[1], p[0], p[1]);
                } else {
                    m = new AvgPool2d(k[0], k[1], s[0], s[1], p[0], p[1],
                            MapValues.bool(l.get("count_include_pad"), true, where + ": 'count_include_pad'"));
                }
                break;
            }
            case "upsample": {
                int[] sc = pair(l, "scale", where, new int[] {2, 2}, 1);
                Limits.SAMPLE_VALUES.check(Limits.saturatedMultiply((long) shape[0] * shape[1] * sc[0], (long) shape[2] * sc[1]),
                        where + ": the upsampled output of " + Arrays.toString(shape) + " by " + sc[0] + "x" + sc[1] + " per sample");
                m = new UpsampleLayer(Upsample.parse(l.containsKey("mode") ? MapValues.text(l.get("mode"), where + ": 'mode'") : "nearest"),
                        sc[0], sc[1]);
                break;
            }
            case "batch_norm2d": {
                double momentum = MapValues.numberOr(l.get("momentum"), 0.1, where + ": 'momentum'", 0, 1);
                double eps = MapValues.numberOr(l.get("eps"), 1e-5, where + ": 'eps'", Double.MIN_VALUE, 1);
                m = new BatchNorm2d(shape[0], momentum, eps);
                break;
            }
            default:
                throw new AssertionError(type);
        }
        int[] next;
        try {
            next = m.outputShape(shape);
        } catch (BottleneckException e) {
            throw new BottleneckException(where + ": " + e.getMessage());
        }
        out.add(m);
        if (act != null && act != Activation.IDENTITY) out.add(new ActivationLayer(act, alpha));
        return next;
    }

    /** Kernels, strides, paddings, dilations and scales are at most this large. */
    static final int MAX_WINDOW = 1 << 16;

    private static int intOf(Map<String, Object> l, String key, String where, int dflt) {
        Object o = l.get(key);
        if (o == null) return dflt;
        return MapValues.limited(o, where + ": '" + key + "'", 1, Limits.SAMPLE_VALUES);
    }

    /** An int or a list of two ints in [min, MAX_WINDOW]; {@code dflt} null means required. */
    private static int[] pair(Map<String, Object> l, String key, String where, int[] dflt, int min) {
        Object o = l.get(key);
        if (o == null) {
            if (dflt == null) throw new BottleneckException(where + ": missing '" + key + "'");
            return dflt.clone();
        }
        String what = where + ": '" + key + "'";
        if (o instanceof Number) {
            int v = MapValues.intValue(o, what, min, MAX_WINDOW);
            return new int[] {v, v};
        }
        if (o instanceof List && ((List<?>) o).size() == 2) {
            return MapValues.intList(o, what, min, MAX_WINDOW, 2);
        }
        throw new BottleneckException(what + " must be an integer or a list of two, got " + MapValues.describe(o));
    }

    private static int[] convPadding(Object o, int[] k, int[] d, String where, String type) {
        if (o == null) return new int[] {0, 0};
        if (o instanceof String) {
            String s = ((String) o).trim().toLowerCase(Locale.ROOT);
            if (s.equals("valid")) return new int[] {0, 0};
            if (s.equals("same") && type.equals("conv2d")) {
                long eh = (long) d[0] * (k[0] - 1), ew = (long) d[1] * (k[1] - 1);
                if (eh % 2 != 0 || ew % 2 != 0) {
                    throw new BottleneckException(where + ": padding 'same' needs an odd (dilated) kernel, got " + k[0] + "x" + k[1]);
                }
                if (eh / 2 > MAX_WINDOW || ew / 2 > MAX_WINDOW) {
                    throw new BottleneckException(where + ": padding 'same' for kernel " + k[0] + "x" + k[1] + " and dilation " + d[0] + "x"
                            + d[1] + " would be more than " + MAX_WINDOW + "; use a smaller kernel or dilation");
                }
                return new int[] {(int) (eh / 2), (int) (ew / 2)};
            }
            throw new BottleneckException(where + ": padding must be an integer, a pair, 'valid'" + (type.equals("conv2d") ? " or 'same'" : "") + ", got '" + o + "'");
        }
        return pair(Map.of("padding", o), "padding", where, null, 0);
    }

    private static int[] poolPadding(Object o, int[] shape, int[] k, int[] s, String where) {
        if (o == null) return new int[] {0, 0};
        if (o instanceof String) {
            String v = ((String) o).trim().toLowerCase(Locale.ROOT);
            if (v.equals("valid")) return new int[] {0, 0};
            if (v.equals("same")) return new int[] {samePoolPad(shape[1], k[0], s[0]), samePoolPad(shape[2], k[1], s[1])};
            throw new BottleneckException(where + ": pooling padding must be an integer, a pair, 'valid' or 'same', got '" + o + "'");
        }
        return pair(Map.of("padding", o), "padding", where, null, 0);
    }

    /** Smallest symmetric padding giving {@code ceil(size / stride)} outputs (Keras 'same' pads only the end). */
    static int samePoolPad(int size, int k, int s) {
        int out = (size + s - 1) / s;
        int total = Math.max((out - 1) * s + k - size, 0);
        return (total + 1) / 2;
    }
}
