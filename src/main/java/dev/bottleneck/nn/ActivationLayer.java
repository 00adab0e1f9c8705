package dev.bottleneck.nn;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Activation;

import java.util.LinkedHashMap;
import java.util.Map;

/** An activation function as a layer. */
public final class ActivationLayer extends Module {
    private final Activation kind;
    private final double alpha;

    public ActivationLayer(Activation kind) {
        this(kind, kind.defaultAlpha);
    }

    public ActivationLayer(Activation kind, double alpha) {
        this.kind = kind;
        this.alpha = alpha;
    }

    public Activation kind() { return kind; }
    public double alpha() { return alpha; }

    @Override public Var forward(Graph g, Var x) { return g.activation(kind, alpha, x); }
    @Override public int[] outputShape(int[] inputShape) { return inputShape.clone(); }
    @Override public String describe() { return kind.specName(); }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "activation");
        m.put("fn", kind.specName());
        if (alpha != 0) m.put("alpha", alpha);
        return m;
    }
}
