package dev.bottleneck.model;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Json;

import java.util.Map;

/**
 * The {@code variational} section of a model spec: a Gaussian encoder whose last linear layer outputs
 * {@code 2 * latent} values per sample (the means μ, then the log-variances log σ²), a code
 * {@code z = μ + exp(logvar / 2) · ε} with ε ~ N(0, I), and the objective
 * {@code reconstruction + β_e · KL(q(z|x) || N(0, I))}, where {@code β_e} ramps linearly from 0 at epoch 0 to
 * {@code beta} at epoch {@code warmupEpochs} (KL warm-up; 0 means β from the start).
 *
 * <p>The decoder's likelihood follows the spec's loss: BCE is a Bernoulli decoder (nats per image with the
 * {@code sum} reduction), MSE a Gaussian decoder with fixed variance (squared error, up to a constant).
 */
public record VariationalSpec(int latent, double beta, int warmupEpochs) {
    public VariationalSpec {
        if (latent < 1) throw new BottleneckException("variational: 'latent' must be at least 1, got " + latent);
        if (!(beta >= 0) || Double.isInfinite(beta)) throw new BottleneckException("variational: 'beta' must be a finite number >= 0, got " + beta);
        if (warmupEpochs < 0) throw new BottleneckException("variational: 'warmup_epochs' must be >= 0, got " + warmupEpochs);
    }

    /** The KL weight used for training in a 0-based epoch: {@code beta * min(1, epoch / warmupEpochs)}. */
    public double betaAt(int epoch) {
        if (warmupEpochs == 0) return beta;
        return beta * Math.min(1.0, Math.max(0, epoch) / (double) warmupEpochs);
    }

    public Map<String, Object> toMap() {
        return Json.object("latent", latent, "beta", beta, "warmup_epochs", warmupEpochs);
    }

    /** Reads the section from a parsed spec; {@code source} names the file in error messages. */
    public static VariationalSpec fromMap(Object o, String source) {
        if (!(o instanceof Map)) {
            throw new BottleneckException(source + ": 'variational' must be an object such as {latent: 20, beta: 1.0, warmup_epochs: 0}");
        }
        Map<String, Object> m = dev.bottleneck.io.MapValues.map(o, source + ": 'variational'");
        for (String k : m.keySet()) {
            if (!k.equals("latent") && !k.equals("beta") && !k.equals("warmup_epochs")) {
                throw new BottleneckException(source + ": unknown key 'variational." + k + "' (expected latent, beta, warmup_epochs)");
            }
        }
        int latent = dev.bottleneck.io.MapValues.intValue(m.get("latent"), source + ": 'variational.latent' (the size of z)",
                Integer.MIN_VALUE, Integer.MAX_VALUE);
        dev.bottleneck.Limits.SAMPLE_VALUES.check(latent, source + ": 'variational.latent'");
        double beta = dev.bottleneck.io.MapValues.numberOr(m.get("beta"), 1.0, source + ": variational 'beta'",
                Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
        int warmup = dev.bottleneck.io.MapValues.intOr(m.get("warmup_epochs"), 0, source + ": 'variational.warmup_epochs'", 0,
                Integer.MAX_VALUE);
        try {
            return new VariationalSpec(latent, beta, warmup);
        } catch (BottleneckException e) {
            throw new BottleneckException(source + ": " + e.getMessage());
        }
    }
}
