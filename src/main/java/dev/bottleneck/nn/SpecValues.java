package dev.bottleneck.nn;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.io.MapValues;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Values shared by the layer readers ({@link LayerSpec}): integer pairs, paddings, the activation that may follow a
 * layer and the default initialisation it implies. Integer pairs may be written as one int or a list {@code [h, w]}.
 */
final class SpecValues {
    /** Kernels, strides, paddings, dilations and scales are at most this large. */
    static final int MAX_WINDOW = 1 << 16;

    private SpecValues() {}

    /** An activation that follows a layer: {@code activation} (default linear) and its {@code alpha}. */
    record Act(Activation fn, double alpha) {
        /** Adds the activation module after a layer, unless it is the identity. */
        void addTo(List<Module> out) {
            if (fn != Activation.IDENTITY) out.add(new ActivationLayer(fn, alpha));
        }
    }

    static Act activation(Map<String, Object> l, String where) {
        Activation a = Activation.parse(l.containsKey("activation") ? MapValues.text(l.get("activation"), where + ": 'activation'") : "linear");
        double alpha = MapValues.numberOr(l.get("alpha"), a.defaultAlpha, where + ": 'alpha'", Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
        return new Act(a, alpha);
    }

    /** {@code init}, or He uniform before a ReLU-family activation and Xavier uniform otherwise. */
    static Init init(Map<String, Object> l, Activation a, String where) {
        if (l.containsKey("init")) return Init.parse(MapValues.text(l.get("init"), where + ": 'init'"));
        return a == Activation.RELU || a == Activation.LEAKY_RELU || a == Activation.ELU || a == Activation.GELU
                ? Init.HE_UNIFORM : Init.XAVIER_UNIFORM;
    }

    /** The NCHW layers need samples [c, h, w]. */
    static void requireImage(String type, int[] shape, String where) {
        if (shape.length != 3) {
            throw new BottleneckException(where + ": " + type + " needs samples of shape [channels, height, width], got "
                    + Arrays.toString(shape) + " (add a 'reshape' layer before it)");
        }
    }

    /** {@code m}'s output shape for {@code shape}, its own shape errors prefixed with where; then adds it to out. */
    static int[] add(Module m, int[] shape, List<Module> out, String where) {
        int[] next;
        try {
            next = m.outputShape(shape);
        } catch (BottleneckException e) {
            throw new BottleneckException(where + ": " + e.getMessage());
        }
        out.add(m);
        return next;
    }

    static int intOf(Map<String, Object> l, String key, String where, int dflt) {
        Object o = l.get(key);
        if (o == null) return dflt;
        return MapValues.limited(o, where + ": '" + key + "'", 1, Limits.SAMPLE_VALUES);
    }

    /** An int or a list of two ints in [min, MAX_WINDOW]; {@code dflt} null means required. */
    static int[] pair(Map<String, Object> l, String key, String where, int[] dflt, int min) {
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

    static int[] convPadding(Object o, int[] k, int[] d, String where, String type) {
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

    static int[] poolPadding(Object o, int[] shape, int[] k, int[] s, String where) {
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
