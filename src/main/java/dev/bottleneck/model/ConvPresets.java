package dev.bottleneck.model;

import dev.bottleneck.io.Json;
import java.util.List;
import java.util.Map;

/** The convolutional presets of {@link Presets}, written as the layer maps a JSON spec would hold. */
final class ConvPresets {
    private ConvPresets() {}

    /**
     * W3 of docs/WORKLOADS.md#w3 on [1, 28, 28]: Conv(1→32, 3x3, s2, p1)+ReLU → [32,14,14], Conv(32→64, 3x3, s2, p1)+ReLU →
     * [64,7,7], Flatten, Dense 3136→16 (the code), Dense 16→3136+ReLU, Reshape [64,7,7], ConvT(64→32, 3x3, s2, p1,
     * out-pad 1)+ReLU → [32,14,14], ConvT(32→1, 3x3, s2, p1, out-pad 1) → [1,28,28], sigmoid; BCE mean over pixels.
     *
     * <p>Parameters: 320 + 18,496 + 50,192 + 53,312 + 18,464 + 289 = 141,073 (see PresetsTest).
     */
    static ModelSpec w3() {
        Map<String, Object> m = Json.object("name", "w3", "input", List.of(1, 28, 28));
        m.put("encoder", List.of(
                conv("conv2d", 32, 3, 2, 1, "relu"),
                conv("conv2d", 64, 3, 2, 1, "relu"),
                Map.of("type", "flatten"),
                dense(16, "linear")));
        Map<String, Object> t1 = conv("conv_transpose2d", 32, 3, 2, 1, "relu");
        t1.put("output_padding", 1);
        Map<String, Object> t2 = conv("conv_transpose2d", 1, 3, 2, 1, "sigmoid");
        t2.put("output_padding", 1);
        m.put("decoder", List.of(
                dense(3136, "relu"),
                Map.of("type", "reshape", "shape", List.of(64, 7, 7)),
                t1,
                t2));
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
        Map<String, Object> m = Json.object("name", "keras-conv", "input", List.of(1, 28, 28));
        m.put("encoder", List.of(
                conv("conv2d", 16, 3, 1, "same", "relu"), pool(),
                conv("conv2d", 8, 3, 1, "same", "relu"), pool(),
                conv("conv2d", 8, 3, 1, "same", "relu"), pool()));
        m.put("decoder", List.of(
                conv("conv2d", 8, 3, 1, "same", "relu"), up(),
                conv("conv2d", 8, 3, 1, "same", "relu"), up(),
                conv("conv2d", 16, 3, 1, "valid", "relu"), up(),
                conv("conv2d", 1, 3, 1, "same", "sigmoid")));
        m.put("loss", "bce");
        m.put("reduction", "mean");
        return ModelSpec.fromMap(m, "keras-conv");
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
