package dev.bottleneck.nn;

import java.util.List;
import java.util.Map;

/**
 * Reads one layer type of a model spec: the layer's keys (as parsed from JSON or YAML) and its per-sample input
 * shape in, the module (and the activation that follows it, where the type has an {@code activation} key) added to
 * {@code out}, the per-sample output shape returned. Each module class keeps its reader beside it as a static
 * {@code SPEC}; {@link LayerTypes} maps the type names to them. Bad values are {@code BottleneckException}s whose
 * message starts with {@code where}.
 */
@FunctionalInterface
public interface LayerSpec {
    int[] build(Map<String, Object> spec, int[] inputShape, List<Module> out, String where);
}
