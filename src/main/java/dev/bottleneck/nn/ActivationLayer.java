package dev.bottleneck.nn;

import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Activation;

import java.util.Map;

/** An activation function as a layer. */
public final class ActivationLayer extends Module {
    /** Spec type {@code activation}: {@code fn}, optional {@code alpha}. */
    public static final LayerSpec SPEC = (l, shape, out, at) -> {
        Object fn = l.get("fn");
        if (fn == null) throw new BottleneckException(at + ": activation needs 'fn'");
        Activation a = Activation.parse(MapValues.text(fn, at + ": 'fn'"));
        double alpha = MapValues.numberOr(l.get("alpha"), a.defaultAlpha, at + ": 'alpha'",
                Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
        ActivationLayer m = new ActivationLayer(a, alpha);
        int[] next = m.outputShape(shape);
        out.add(m);
        return next;
    };

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
        Map<String, Object> m = Json.object("type", "activation", "fn", kind.specName());
        if (alpha != 0) m.put("alpha", alpha);
        return m;
    }
}
