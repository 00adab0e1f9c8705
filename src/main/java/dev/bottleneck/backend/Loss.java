package dev.bottleneck.backend;

import java.util.Locale;

/**
 * Reconstruction losses, element-wise {@code l(p, t)} then reduced by {@link Reduction}.
 * BCE takes probabilities and clamps them to [1e-7, 1 - 1e-7] (the Keras epsilon) before the logarithms;
 * BCE_WITH_LOGITS takes logits z and is computed stably as {@code max(z,0) - z t + log(1 + exp(-|z|))}.
 */
public enum Loss {
    MSE, BCE, BCE_WITH_LOGITS, L1;

    public static final double BCE_EPS = 1e-7;

    public static Loss parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT).replace("-", "_");
        switch (n) {
            case "mse": case "l2": return MSE;
            case "bce": case "binary_crossentropy": case "binary_cross_entropy": return BCE;
            case "bce_logits": case "bce_with_logits": return BCE_WITH_LOGITS;
            case "l1": case "mae": return L1;
            default:
                throw new dev.bottleneck.BottleneckException("unknown loss '" + name + "': expected mse, bce, bce_with_logits or l1");
        }
    }

    public String specName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Reference element loss in double precision. */
    public double value(double p, double t) {
        switch (this) {
            case MSE: { double d = p - t; return d * d; }
            case BCE: {
                double q = Math.min(Math.max(p, BCE_EPS), 1 - BCE_EPS);
                return -(t * Math.log(q) + (1 - t) * Math.log(1 - q));
            }
            case BCE_WITH_LOGITS: return Math.max(p, 0) - p * t + Math.log1p(Math.exp(-Math.abs(p)));
            case L1: return Math.abs(p - t);
            default: throw new AssertionError(this);
        }
    }

    /** Reference derivative of the element loss with respect to p (0 where BCE's clamp is active). */
    public double derivative(double p, double t) {
        switch (this) {
            case MSE: return 2 * (p - t);
            case BCE: {
                if (p < BCE_EPS || p > 1 - BCE_EPS) return 0.0;
                return (p - t) / (p * (1 - p));
            }
            case BCE_WITH_LOGITS: {
                double s = p >= 0 ? 1.0 / (1.0 + Math.exp(-p)) : Math.exp(p) / (1.0 + Math.exp(p));
                return s - t;
            }
            case L1: return Math.signum(p - t);
            default: throw new AssertionError(this);
        }
    }

    /** How element losses become one number. */
    public enum Reduction {
        /** Mean over every element (Keras' per-pixel loss). */
        MEAN,
        /** Sum over every element divided by the batch size (per-sample totals, e.g. nats per image). */
        SUM_PER_SAMPLE;

        public static Reduction parse(String s) {
            switch (s.trim().toLowerCase(Locale.ROOT).replace("-", "_")) {
                case "mean": return MEAN;
                case "sum": case "sum_per_sample": return SUM_PER_SAMPLE;
                default: throw new dev.bottleneck.BottleneckException("unknown loss reduction '" + s + "': expected mean or sum");
            }
        }
    }
}
