package dev.bottleneck.model;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.io.Json;

import java.util.Map;

/**
 * KL sparsity penalty of the classic sparse autoencoder (Ng's CS294A notes): with ρ̂_j the mean activation of code
 * unit j over the batch,
 * {@code weight * Σ_j [ρ log(ρ/ρ̂_j) + (1-ρ) log((1-ρ)/(1-ρ̂_j))]}.
 *
 * <p>Meant for codes in (0, 1) (sigmoid). For stability ρ̂ is clamped to [{@link #EPS}, 1 - {@link #EPS}] (a
 * clipped unit gets no gradient from this term, which only happens for codes outside (0, 1) or saturated ones).
 * The penalty is per batch (not divided by the batch size: ρ̂ is already a mean), as in the notes.
 */
public record KlSparsity(double rho, double weight) implements Regularizer {
    public static final double EPS = 1e-6;

    public KlSparsity {
        if (!(rho > 0 && rho < 1)) throw new BottleneckException("kl_sparsity: target rho must be in (0, 1), got " + rho);
        if (!(weight >= 0) || Double.isInfinite(weight)) throw new BottleneckException("kl_sparsity: weight must be >= 0, got " + weight);
    }

    @Override
    public Var penalty(Graph g, Var input, Var code) {
        int n = code.value().rows(), d = code.value().cols();
        Var c = code.value().rank() == 2 ? code : g.reshape(code, n, d);
        Var mean = g.scale(g.sumTo(c, 1, d), 1.0 / n);
        Var r = g.clamp(mean, EPS, 1 - EPS);
        // Σ_j [ρ log ρ + (1-ρ) log(1-ρ)] - ρ Σ log ρ̂_j - (1-ρ) Σ log(1-ρ̂_j)
        Var logR = g.unary(UnaryOp.LOG, r);
        Var log1mR = g.unary(UnaryOp.LOG, g.affine(r, -1.0, 1.0));
        Var cross = g.add(g.scale(logR, -rho), g.scale(log1mR, -(1 - rho)));
        double negEntropy = rho * Math.log(rho) + (1 - rho) * Math.log(1 - rho);
        return g.affine(g.sum(cross), weight, weight * d * negEntropy);
    }

    @Override
    public Map<String, Object> spec() {
        return Json.object("type", "kl_sparsity", "rho", rho, "weight", weight);
    }

    /** Parses the CLI form {@code RHO:BETA}, e.g. {@code 0.05:3}. */
    public static KlSparsity parse(String text) {
        String[] p = text.trim().split(":");
        if (p.length != 2) throw new BottleneckException("--kl-sparsity '" + text + "': expected RHO:BETA, e.g. 0.05:3");
        try {
            return new KlSparsity(Double.parseDouble(p[0]), Double.parseDouble(p[1]));
        } catch (NumberFormatException e) {
            throw new BottleneckException("--kl-sparsity '" + text + "': RHO and BETA must be numbers");
        }
    }

    static KlSparsity fromSpec(Map<String, Object> m) {
        Object r = m.get("rho"), w = m.get("weight");
        if (!(r instanceof Number) || !(w instanceof Number)) {
            throw new BottleneckException("kl_sparsity regularizer needs numeric 'rho' and 'weight', got " + m);
        }
        return new KlSparsity(dev.bottleneck.io.MapValues.number(r, "kl_sparsity regularizer: 'rho'"),
                dev.bottleneck.io.MapValues.number(w, "kl_sparsity regularizer: 'weight'"));
    }
}
