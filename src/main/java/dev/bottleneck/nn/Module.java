package dev.bottleneck.nn;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

import java.util.List;
import java.util.Map;

/** A layer or a container of layers. Batches are [N, ...sampleShape]. */
public abstract class Module {
    /** Applies the module; in a recording graph the backward steps are recorded too. */
    public abstract Var forward(Graph g, Var x);

    /** Parameters in a stable order (the order of the arenas and of the saved file). */
    public List<Parameter> parameters() { return List.of(); }

    /** Named children, for parameter names such as {@code encoder.0.weight}. */
    public List<Module> children() { return List.of(); }

    /** Local names of this module's own parameters, parallel to {@link #ownParameters()}. */
    public List<String> ownParameterNames() { return List.of(); }

    public List<Parameter> ownParameters() { return List.of(); }

    /** The per-sample output shape for a per-sample input shape (for summaries and validation). */
    public abstract int[] outputShape(int[] inputShape);

    /** Short human description: {@code Linear(784 -> 32)}. */
    public abstract String describe();

    /** JSON-friendly description used in {@code config.json}; {@link dev.bottleneck.model.ModelSpec} reads it back. */
    public abstract Map<String, Object> spec();
}
