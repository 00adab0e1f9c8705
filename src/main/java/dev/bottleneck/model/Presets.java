package dev.bottleneck.model;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Loss;

import java.util.List;
import java.util.Locale;

/** The reference workloads of WORKLOADS.md as built-in models, with their training settings. */
public final class Presets {
    private Presets() {}

    /** Training defaults that come with a preset. */
    public record TrainingDefaults(int batch, double lr, String optimizer) { }

    public static List<String> names() { return List.of("w1", "w2"); }

    public static boolean exists(String name) {
        return names().contains(name.trim().toLowerCase(Locale.ROOT));
    }

    public static ModelSpec get(String name) {
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "w1": // 784-32-784, ReLU code, sigmoid output, BCE mean over pixels
                return rename(ModelSpec.dense("784-32:relu", "relu", "sigmoid", Loss.BCE), "w1");
            case "w2": // 784-1000-500-250-30-250-500-1000-784, ReLU, linear code, sigmoid output
                return rename(ModelSpec.dense("784-1000-500-250-30:linear", "relu", "sigmoid", Loss.BCE), "w2");
            default:
                throw new BottleneckException("unknown preset '" + name + "': expected one of " + names());
        }
    }

    public static TrainingDefaults defaults(String name) {
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "w1": case "w2": return new TrainingDefaults(256, 1e-3, "adam");
            default: return new TrainingDefaults(256, 1e-3, "adam");
        }
    }

    private static ModelSpec rename(ModelSpec s, String name) {
        var m = s.toMap();
        m.put("name", name);
        return ModelSpec.fromMap(m, name);
    }
}
