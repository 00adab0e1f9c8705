package dev.bottleneck.nn;

import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

import java.util.Map;

/** Inverted dropout (identity at inference). */
public final class Dropout extends Module {
    /** Spec type {@code dropout}: {@code rate} in [0, 1]. */
    public static final LayerSpec SPEC = (l, shape, out, at) -> {
        Object r = l.get("rate");
        if (r == null) throw new BottleneckException(at + ": dropout needs 'rate'");
        Dropout m = new Dropout(MapValues.number(r, at + ": dropout 'rate'", 0, 1));
        int[] next = m.outputShape(shape);
        out.add(m);
        return next;
    };

    private final double rate;

    public Dropout(double rate) {
        if (!(rate >= 0 && rate < 1)) throw new BottleneckException("dropout rate must be in [0, 1), got " + rate);
        this.rate = rate;
    }

    public double rate() { return rate; }

    @Override public Var forward(Graph g, Var x) { return g.dropout(x, rate); }
    @Override public int[] outputShape(int[] inputShape) { return inputShape.clone(); }
    @Override public String describe() { return "Dropout(" + rate + ")"; }

    @Override
    public Map<String, Object> spec() {
        return Json.object("type", "dropout", "rate", rate);
    }
}
