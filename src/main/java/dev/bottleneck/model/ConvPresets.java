package dev.bottleneck.model;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Json;

import java.util.List;
import java.util.Map;

/** The convolutional presets of {@link Presets}, written as the layer maps a JSON spec would hold, for any C×H×W input. */
final class ConvPresets {
    private ConvPresets() {}

    /** The input the presets were published for: one 28×28 gray channel (MNIST). */
    static final int[] MNIST = {1, 28, 28};

    /**
     * W3 of docs/WORKLOADS.md#w3 on [1, 28, 28]: Conv(1→32, 3x3, s2, p1)+ReLU → [32,14,14], Conv(32→64, 3x3, s2, p1)+ReLU →
     * [64,7,7], Flatten, Dense 3136→16 (the code), Dense 16→3136+ReLU, Reshape [64,7,7], ConvT(64→32, 3x3, s2, p1,
     * out-pad 1)+ReLU → [32,14,14], ConvT(32→1, 3x3, s2, p1, out-pad 1) → [1,28,28], sigmoid; BCE mean over pixels.
     *
     * <p>Parameters: 320 + 18,496 + 50,192 + 53,312 + 18,464 + 289 = 141,073 (see PresetsTest).
     */
    static ModelSpec w3() {
        return w3(MNIST);
    }

    /**
     * W3's layers on any C×H×W input: each strided convolution maps a side s to ceil(s / 2), the dense layer before the
     * code has 64·ceil(H/4)·ceil(W/4) inputs, the last convolution has C filters, and each transposed convolution takes
     * the output padding (per side: 1 when the side it restores is even, else 0) that gives back the side exactly. Any
     * size works.
     */
    static ModelSpec w3(int[] chw) {
        int c = chw[0], h = chw[1], w = chw[2];
        int h2 = half(h), w2 = half(w), h4 = half(h2), w4 = half(w2);
        Map<String, Object> m = Json.object("name", "w3", "input", List.of(c, h, w));
        m.put("encoder", List.of(
                conv("conv2d", 32, 3, 2, 1, "relu"),
                conv("conv2d", 64, 3, 2, 1, "relu"),
                Map.of("type", "flatten"),
                dense(16, "linear")));
        Map<String, Object> t1 = conv("conv_transpose2d", 32, 3, 2, 1, "relu");
        t1.put("output_padding", pair(1 - h2 % 2, 1 - w2 % 2));
        Map<String, Object> t2 = conv("conv_transpose2d", c, 3, 2, 1, "sigmoid");
        t2.put("output_padding", pair(1 - h % 2, 1 - w % 2));
        m.put("decoder", List.of(
                dense(64 * h4 * w4, "relu"),
                Map.of("type", "reshape", "shape", List.of(64, h4, w4)),
                t1,
                t2));
        // Glorot uniform in every layer, ReLU ones included, as the peers initialise W3 (docs/WORKLOADS.md#w3-init):
        // with the He default of ReLU layers the test BCE after 3 epochs was 0.2866 against their 0.2817
        for (String part : List.of("encoder", "decoder")) {
            for (Object layer : (List<?>) m.get(part)) {
                @SuppressWarnings("unchecked") Map<String, Object> l = (Map<String, Object>) layer;
                if (l.containsKey("activation")) l.put("init", "xavier");
            }
        }
        m.put("loss", "bce");
        m.put("reduction", "mean");
        return ModelSpec.fromMap(m, "w3");
    }

    /**
     * The convolutional autoencoder of the Keras blog "Building Autoencoders in Keras" on [1, 28, 28]: Conv 16 3x3 same
     * ReLU, MaxPool 2 same → [16,14,14], Conv 8 → [8,14,14], MaxPool → [8,7,7], Conv 8, MaxPool same (7 → 4) → [8,4,4]
     * = a 128-d code; decoder Conv 8, Upsample 2 → [8,8,8], Conv 8, Upsample → [8,16,16], Conv 16 3x3 valid →
     * [16,14,14], Upsample → [16,28,28], Conv 1 3x3 same sigmoid → [1,28,28]; BCE. Our 'same' pooling pads
     * symmetrically (Keras pads only the end), so the 7 → 4 pooling windows are shifted by one pixel.
     *
     * <p>Parameters: 160 + 1,160 + 584 + 584 + 584 + 1,168 + 145 = 4,385 (the blog's model summary).
     */
    static ModelSpec kerasConv() {
        return kerasConv(MNIST);
    }

    /**
     * The Keras blog's layers on a C×H×W input: three poolings take a side s to q = ceil(s / 8), the decoder's up-samplings
     * give 8q back, and the third decoder convolution is 'valid' (3x3, taking 2 off a side of 4q before the last
     * up-sampling: 8q − 4) or 'same' (8q), so a side must be a multiple of 4; the last convolution has C filters.
     */
    static ModelSpec kerasConv(int[] chw) {
        int c = chw[0], h = chw[1], w = chw[2];
        if (h % 4 != 0 || w % 4 != 0) {
            throw new BottleneckException("preset keras-conv takes images whose height and width are multiples of 4 (it pools three"
                    + " times and up-samples back: 28, 32, 64, ...), the data's are " + h + "x" + w + "; pass --image-size "
                    + round4(h) + "x" + round4(w) + ", or use w3 (any size) or a spec file with your own layers (see the README, 'Colour images')");
        }
        Map<String, Object> m = Json.object("name", "keras-conv", "input", List.of(c, h, w));
        m.put("encoder", List.of(
                conv("conv2d", 16, 3, 1, "same", "relu"), pool(),
                conv("conv2d", 8, 3, 1, "same", "relu"), pool(),
                conv("conv2d", 8, 3, 1, "same", "relu"), pool()));
        Object third = h % 8 == 4 && w % 8 == 4 ? "valid" : h % 8 == 0 && w % 8 == 0 ? "same" : pair(h % 8 == 0 ? 1 : 0, w % 8 == 0 ? 1 : 0);
        m.put("decoder", List.of(
                conv("conv2d", 8, 3, 1, "same", "relu"), up(),
                conv("conv2d", 8, 3, 1, "same", "relu"), up(),
                conv("conv2d", 16, 3, 1, third, "relu"), up(),
                conv("conv2d", c, 3, 1, "same", "sigmoid")));
        m.put("loss", "bce");
        m.put("reduction", "mean");
        return ModelSpec.fromMap(m, "keras-conv");
    }

    /** ceil(s / 2): the side after a stride-2 convolution with kernel 3 and padding 1, or a 'same' pooling of 2. */
    private static int half(int s) {
        return (s + 1) / 2;
    }

    private static int round4(int s) {
        return Math.max(4, Math.round(s / 4f) * 4);
    }

    /** A number where both sides agree (as the published presets write it), else [h, w]. */
    private static Object pair(int h, int w) {
        return h == w ? (Object) h : List.of(h, w);
    }

    private static Map<String, Object> conv(String type, int filters, int kernel, int stride, Object padding, String activation) {
        return Json.object("type", type, "filters", filters, "kernel", kernel, "stride", stride, "padding", padding,
                "activation", activation);
    }

    private static Map<String, Object> pool() {
        return Json.object("type", "max_pool2d", "kernel", 2, "padding", "same");
    }

    private static Map<String, Object> up() {
        return Json.object("type", "upsample", "scale", 2, "mode", "nearest");
    }

    private static Map<String, Object> dense(int units, String activation) {
        return Json.object("type", "linear", "units", units, "activation", activation);
    }
}
