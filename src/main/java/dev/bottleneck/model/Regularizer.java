package dev.bottleneck.model;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.io.Json;

import java.util.Locale;
import java.util.Map;

/** A term added to the reconstruction loss; built from autograd ops, so it needs no backward of its own. */
public interface Regularizer {
    /** The penalty for this batch, a one-element variable. */
    Var penalty(Graph g, Var input, Var code);

    /**
     * The penalty given the encoder as well, for penalties on the encoder's Jacobian ({@link Contractive}); the
     * autoencoder calls this one. By default it ignores the encoder.
     */
    default Var penalty(Graph g, Var input, Var code, dev.bottleneck.nn.Sequential encoder) {
        return penalty(g, input, code);
    }

    /** Checks that this regularizer fits the model (called when the autoencoder is built); throws if not. */
    default void validate(dev.bottleneck.nn.Sequential encoder, int[] codeShape) {
    }

    Map<String, Object> spec();

    /** L1 activity penalty on the code: {@code weight * sum|code| / batch} (Keras {@code activity_regularizer=l1}). */
    record L1Activity(double weight) implements Regularizer {
        @Override
        public Var penalty(Graph g, Var input, Var code) {
            Var s = g.sum(g.unary(UnaryOp.ABS, code));
            return g.scale(s, weight / code.value().rows());
        }

        @Override
        public Map<String, Object> spec() {
            return Json.object("type", "l1_activity", "weight", weight);
        }
    }

    static Regularizer fromSpec(Map<String, Object> m) {
        Object t = m.get("type");
        if (t == null) throw new BottleneckException("regularizer without 'type' in " + m);
        switch (dev.bottleneck.io.MapValues.text(t, "regularizer 'type'").toLowerCase(Locale.ROOT)) {
            case "l1_activity": case "l1": {
                Object w = m.get("weight");
                if (!(w instanceof Number)) throw new BottleneckException("l1_activity regularizer needs a numeric 'weight'");
                return new L1Activity(dev.bottleneck.io.MapValues.number(w, "l1_activity regularizer: 'weight'", 0, Double.MAX_VALUE));
            }
            case "kl_sparsity": case "kl":
                return KlSparsity.fromSpec(m);
            case "contractive":
                return Contractive.fromSpec(m);
            default:
                throw new BottleneckException("unknown regularizer '" + t + "': expected l1_activity, kl_sparsity or contractive");
        }
    }
}
