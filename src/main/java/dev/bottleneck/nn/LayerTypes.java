package dev.bottleneck.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The layer types a model spec may name, each mapped to the reader that sits beside its module. Adding a layer
 * type is one {@code SPEC} in the module and one line here.
 */
public final class LayerTypes {
    private static final Map<String, LayerSpec> TYPES = new LinkedHashMap<>();

    static {
        TYPES.put("linear", Linear.SPEC);
        TYPES.put("dense", Linear.SPEC);
        TYPES.put("activation", ActivationLayer.SPEC);
        TYPES.put("dropout", Dropout.SPEC);
        TYPES.put("flatten", Reshape.FLATTEN_SPEC);
        TYPES.put("reshape", Reshape.SPEC);
        TYPES.put("conv2d", Conv2d.SPEC);
        TYPES.put("conv_transpose2d", ConvTranspose2d.SPEC);
        TYPES.put("max_pool2d", MaxPool2d.SPEC);
        TYPES.put("avg_pool2d", AvgPool2d.SPEC);
        TYPES.put("upsample", UpsampleLayer.SPEC);
        TYPES.put("batch_norm2d", BatchNorm2d.SPEC);
        TYPES.put("lstm", Recurrent.LSTM_SPEC);
        TYPES.put("gru", Recurrent.GRU_SPEC);
        TYPES.put("repeat", RepeatSteps.SPEC);
        TYPES.put("step_linear", StepLinear.SPEC);
    }

    private LayerTypes() {}

    /** The reader of a (lower-case) type name, or null when there is none. */
    public static LayerSpec get(String type) {
        return TYPES.get(type);
    }

    /** Every type name (aliases included), in the order they are documented. */
    public static Set<String> names() {
        return java.util.Collections.unmodifiableSet(TYPES.keySet());
    }
}
