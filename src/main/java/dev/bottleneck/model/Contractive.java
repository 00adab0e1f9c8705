package dev.bottleneck.model;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.io.Json;
import dev.bottleneck.nn.ActivationLayer;
import dev.bottleneck.nn.Dropout;
import dev.bottleneck.nn.Linear;
import dev.bottleneck.nn.Module;
import dev.bottleneck.nn.Sequential;
import dev.bottleneck.tensor.Tensor;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Contractive penalty (Rifai et al. 2011): {@code weight * mean over the batch of ||J(x)||_F^2}, J the Jacobian of
 * the code with respect to the input.
 *
 * <p><b>exact</b> — for a one-layer dense encoder {@code h = s(W x + b)} with s sigmoid, tanh or linear,
 * {@code J_ji = s'(a_j) W_ji}, so {@code ||J||_F^2 = Σ_j s'_j^2 Σ_i W_ji^2} with {@code s' = h(1-h)} (sigmoid),
 * {@code 1-h^2} (tanh) or 1 (linear). Built from ordinary tape ops, so its gradient (with respect to W and b,
 * through h) is exact.
 *
 * <p><b>estimate</b> — for any encoder f. The tape has no double backward, so J is never formed. Instead, for a
 * random v with {@code E[v v^T] = I} (Rademacher: ±1 entries), {@code E_v ||J v||^2 = tr(J^T J) = ||J||_F^2}
 * (Hutchinson's trace estimator), and {@code J v} is the directional derivative of f along v, taken by a central
 * difference {@code (f(x + εv) - f(x - εv)) / 2ε}. Both encoder passes are recorded on the tape, so the penalty
 * is differentiable with respect to the encoder's parameters with the ordinary backward. The estimate is unbiased
 * up to the O(ε²) error of the central difference (exactly unbiased for a linear encoder) and its variance falls
 * as 1/{@code draws}; the gradient of the estimate is an unbiased estimate of the gradient of the same smoothed
 * quantity. v is drawn from the graph's counter-based stream, so it differs every training step and is identical
 * on CPU and CUDA. Defaults: ε = 0.01 (large enough for float32 round-off, small enough for the O(ε²) term), one
 * draw per step. The encoder must not contain dropout (both passes would draw different masks).
 */
public record Contractive(double weight, Mode mode, double step, int draws) implements Regularizer {
    public enum Mode { EXACT, ESTIMATE }

    public static final double DEFAULT_STEP = 1e-2;
    /** The most random directions one step may draw (each costs two encoder passes). */
    public static final int MAX_DRAWS = 1000;

    public Contractive {
        if (!(weight >= 0) || Double.isInfinite(weight)) throw new BottleneckException("contractive: weight must be >= 0, got " + weight);
        if (!(step > 0)) throw new BottleneckException("contractive: step must be > 0, got " + step);
        if (draws < 1 || draws > MAX_DRAWS) throw new BottleneckException("contractive: draws must be from 1 to " + MAX_DRAWS + ", got " + draws);
        if (Double.isInfinite(step)) throw new BottleneckException("contractive: step must be finite, got " + step);
    }

    public Contractive(double weight, Mode mode) {
        this(weight, mode, DEFAULT_STEP, 1);
    }

    @Override
    public Var penalty(Graph g, Var input, Var code) {
        throw new IllegalStateException("the contractive penalty needs the encoder: call penalty(g, input, code, encoder)");
    }

    @Override
    public void validate(Sequential encoder, int[] codeShape) {
        if (mode == Mode.EXACT) exactParts(encoder);
        else for (Module m : flatten(encoder)) {
            if (m instanceof Dropout) {
                throw new BottleneckException("contractive (estimate): the encoder must not contain dropout (the finite-difference "
                        + "passes would draw different masks)");
            }
        }
    }

    @Override
    public Var penalty(Graph g, Var input, Var code, Sequential encoder) {
        return mode == Mode.EXACT ? exact(g, code, encoder) : estimate(g, input, encoder);
    }

    private record Parts(Linear linear, Activation act) { }

    private static List<Module> flatten(Module m) {
        if (m instanceof Sequential) {
            List<Module> out = new java.util.ArrayList<>();
            for (Module c : ((Sequential) m).layers()) out.addAll(flatten(c));
            return out;
        }
        return List.of(m);
    }

    private static Parts exactParts(Sequential encoder) {
        List<Module> ls = flatten(encoder);
        if (!ls.isEmpty() && ls.size() <= 2 && ls.get(0) instanceof Linear) {
            if (ls.size() == 1) return new Parts((Linear) ls.get(0), Activation.IDENTITY);
            if (ls.get(1) instanceof ActivationLayer) {
                Activation a = ((ActivationLayer) ls.get(1)).kind();
                if (a == Activation.SIGMOID || a == Activation.TANH || a == Activation.IDENTITY) return new Parts((Linear) ls.get(0), a);
            }
        }
        throw new BottleneckException("contractive (exact) needs a one-layer dense encoder with a sigmoid, tanh or linear code "
                + "(e.g. --model 784-64:sigmoid); use mode 'estimate' for other encoders");
    }

    private Var exact(Graph g, Var code, Sequential encoder) {
        Parts p = exactParts(encoder);
        Var w = p.linear().weight().in(g);
        int units = p.linear().out();
        Var wsq = g.reshape(g.sumTo(g.unary(UnaryOp.SQUARE, w), units, 1), units); // Σ_i W_ji^2, [units]
        int n = code.value().rows();
        if (p.act() == Activation.IDENTITY) return g.scale(g.sum(wsq), weight); // J = W for every sample
        Var h = code;
        Var deriv = p.act() == Activation.SIGMOID
                ? g.mul(h, g.affine(h, -1.0, 1.0))                    // h (1 - h)
                : g.affine(g.unary(UnaryOp.SQUARE, h), -1.0, 1.0);   // 1 - h^2
        Var perUnit = g.mul(g.unary(UnaryOp.SQUARE, deriv), wsq);
        return g.scale(g.sum(perUnit), weight / n);
    }

    private Var estimate(Graph g, Var input, Sequential encoder) {
        Backend be = g.backend();
        int n = input.value().rows();
        Var total = null;
        for (int k = 0; k < draws; k++) {
            Tensor v = g.temp(input.shape());
            be.random().bernoulli(v, g.seed(), g.nextCounter(v.size()), 0.5);
            be.elementwise().affine(v, 2.0 * step, -step, v); // ±ε
            Var plus = encoder.forward(g, g.add(input, g.constant(v)));
            Var minus = encoder.forward(g, g.sub(input, g.constant(v)));
            Var jv = g.scale(g.sub(plus, minus), 1.0 / (2 * step));
            Var s = g.sum(g.unary(UnaryOp.SQUARE, jv));
            total = total == null ? s : g.add(total, s);
        }
        return g.scale(total, weight / ((double) n * draws));
    }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> m = Json.object("type", "contractive", "weight", weight,
                "mode", mode.name().toLowerCase(Locale.ROOT));
        if (mode == Mode.ESTIMATE) {
            m.put("step", step);
            m.put("draws", draws);
        }
        return m;
    }

    static Contractive fromSpec(Map<String, Object> m) {
        Object w = m.get("weight");
        if (!(w instanceof Number)) throw new BottleneckException("contractive regularizer needs a numeric 'weight', got " + m);
        Mode mode;
        String ms = dev.bottleneck.io.MapValues.textOr(m.get("mode"), "exact", "contractive regularizer: 'mode'").toLowerCase(Locale.ROOT);
        switch (ms) {
            case "exact": mode = Mode.EXACT; break;
            case "estimate": case "stochastic": mode = Mode.ESTIMATE; break;
            default: throw new BottleneckException("contractive regularizer: mode must be exact or estimate, got '" + ms + "'");
        }
        double step = dev.bottleneck.io.MapValues.numberOr(m.get("step"), DEFAULT_STEP, "contractive regularizer: 'step'",
                Double.MIN_VALUE, Double.MAX_VALUE);
        int draws = dev.bottleneck.io.MapValues.intOr(m.get("draws"), 1, "contractive regularizer: 'draws'", 1, MAX_DRAWS);
        return new Contractive(dev.bottleneck.io.MapValues.number(w, "contractive regularizer: 'weight'", 0, Double.MAX_VALUE),
                mode, step, draws);
    }
}
