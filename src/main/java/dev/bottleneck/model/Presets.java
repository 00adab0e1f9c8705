package dev.bottleneck.model;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Loss;

import java.util.List;
import java.util.Locale;

/** The reference workloads of docs/WORKLOADS.md as built-in models, with their training settings. */
public final class Presets {
    private Presets() {}

    /** Training defaults that come with a preset. */
    public record TrainingDefaults(int batch, double lr, String optimizer) { }

    public static List<String> names() { return List.of("w1", "w2", "w3", "w4", "keras-conv"); }

    public static boolean exists(String name) {
        return names().contains(name.trim().toLowerCase(Locale.ROOT));
    }

    public static ModelSpec get(String name) {
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "w1": // 784-32-784, ReLU code, sigmoid output, BCE mean over pixels
                return rename(ModelSpec.dense("784-32:relu", "relu", "sigmoid", Loss.BCE), "w1");
            case "w2": // 784-1000-500-250-30-250-500-1000-784, ReLU, linear code, sigmoid output
                return rename(ModelSpec.dense("784-1000-500-250-30:linear", "relu", "sigmoid", Loss.BCE), "w2");
            case "w4": // VAE 784-400-(20 mu, 20 logvar), 20-400-784, ReLU, sigmoid output, BCE summed + KL (nats per image)
                return w4();
            case "w3": // conv: 2 strided convs, 16-d dense code, 2 transposed convs, sigmoid; BCE mean over pixels
                return ConvPresets.w3();
            case "keras-conv": // the Keras blog's convolutional autoencoder (16-8-8 filters, 128-d code)
                return ConvPresets.kerasConv();
            default:
                throw new BottleneckException("unknown preset '" + name + "': expected one of " + names());
        }
    }

    /** Whether the preset is convolutional, so that {@link #get(String, int[])} fits it to the data's C×H×W. */
    public static boolean isConvolutional(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return n.equals("w3") || n.equals("keras-conv");
    }

    /**
     * The preset for data of {@code sampleShape}: a convolutional preset is built for that C×H×W (or refused with the sizes
     * it takes); the dense presets are returned as they are (the caller compares their input with the data).
     */
    public static ModelSpec get(String name, int[] sampleShape) {
        if (!isConvolutional(name) || sampleShape == null || sampleShape.length == 0) return get(name);
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (sampleShape.length != 3) {
            long values = 1;
            for (int d : sampleShape) values *= d;
            throw new BottleneckException("preset '" + n + "' is convolutional: it takes images (channels × height × width), but the data's"
                    + " samples are " + (sampleShape.length == 1 ? values + " values in a row" : java.util.Arrays.toString(sampleShape))
                    + "; train it on an image folder, IDX images or image shards");
        }
        return n.equals("w3") ? ConvPresets.w3(sampleShape) : ConvPresets.kerasConv(sampleShape);
    }

    public static TrainingDefaults defaults(String name) {
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "w1": case "w2": return new TrainingDefaults(256, 1e-3, "adam");
            case "w4": return new TrainingDefaults(128, 1e-3, "adam");
            case "w3": case "keras-conv": return new TrainingDefaults(128, 1e-3, "adam");
            default: return new TrainingDefaults(256, 1e-3, "adam");
        }
    }

    /** W4 of docs/WORKLOADS.md#w4, the PyTorch examples {@code vae} model. */
    private static ModelSpec w4() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("name", "w4");
        m.put("input", 784);
        // Glorot uniform in every layer, as the peers initialise W4 (docs/WORKLOADS.md#w4): with He before the ReLUs
        // the test loss after 3 epochs was 251.98 / 251.85 / 251.86 nats (seeds 42, 1, 2), with Glorot 250.58 / 252.39 / 250.91
        m.put("encoder", List.of(glorot(layer(400, "relu")), glorot(layer(40, "linear"))));
        m.put("decoder", List.of(glorot(layer(400, "relu")), glorot(layer(784, "sigmoid"))));
        m.put("loss", "bce");
        m.put("reduction", "sum");
        m.put("variational", new VariationalSpec(20, 1.0, 0).toMap());
        return ModelSpec.fromMap(m, "w4");
    }

    private static java.util.Map<String, Object> layer(int units, String activation) {
        java.util.Map<String, Object> l = new java.util.LinkedHashMap<>();
        l.put("type", "linear");
        l.put("units", units);
        l.put("activation", activation);
        return l;
    }

    private static java.util.Map<String, Object> glorot(java.util.Map<String, Object> layer) {
        layer.put("init", "xavier");
        return layer;
    }

    private static ModelSpec rename(ModelSpec s, String name) {
        var m = s.toMap();
        m.put("name", name);
        return ModelSpec.fromMap(m, name);
    }
}
