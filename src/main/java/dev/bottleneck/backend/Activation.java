package dev.bottleneck.backend;

import java.util.Locale;

/**
 * Activation functions. GELU is the tanh approximation (PyTorch {@code approximate='tanh'}); LEAKY_RELU and
 * ELU take a parameter {@code alpha} (defaults 0.01 and 1.0).
 *
 * <p>NaN rule, the same on every backend (as PyTorch): the piecewise functions test {@code x <= 0} for their
 * negative branch, so NaN takes the identity branch. RELU, LEAKY_RELU and ELU of NaN are NaN, and their derivative
 * at NaN is 1 (the output gradient passes through); +0 and -0 take the negative branch ({@code relu(-0) = +0},
 * {@code leaky_relu(-0) = -0}). A diverging run therefore shows NaN at the same step on every backend.
 */
public enum Activation {
    IDENTITY(0), RELU(0), LEAKY_RELU(0.01), SIGMOID(0), TANH(0), ELU(1.0), SOFTPLUS(0), GELU(0);

    public final double defaultAlpha;

    Activation(double defaultAlpha) {
        this.defaultAlpha = defaultAlpha;
    }

    /** Parses names as written in model specs: {@code relu}, {@code leaky_relu}, {@code leakyrelu}, {@code linear}... */
    public static Activation parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT).replace("-", "_");
        switch (n) {
            case "linear": case "identity": case "none": return IDENTITY;
            case "relu": return RELU;
            case "leaky_relu": case "leakyrelu": case "lrelu": return LEAKY_RELU;
            case "sigmoid": case "logistic": return SIGMOID;
            case "tanh": return TANH;
            case "elu": return ELU;
            case "softplus": return SOFTPLUS;
            case "gelu": return GELU;
            default:
                throw new dev.bottleneck.BottleneckException("unknown activation '" + name
                        + "': expected one of linear, relu, leaky_relu, sigmoid, tanh, elu, softplus, gelu");
        }
    }

    public String specName() {
        return this == IDENTITY ? "linear" : name().toLowerCase(Locale.ROOT);
    }

    private static final double GELU_C = Math.sqrt(2.0 / Math.PI);

    /** Reference value in double precision; backends must match it. */
    public double apply(double x, double alpha) {
        switch (this) {
            case IDENTITY: return x;
            case RELU: return x <= 0 ? 0.0 : x;
            case LEAKY_RELU: return x <= 0 ? alpha * x : x;
            case SIGMOID: return x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
            case TANH: return Math.tanh(x);
            case ELU: return x <= 0 ? alpha * Math.expm1(x) : x;
            case SOFTPLUS: return x > 20 ? x : Math.log1p(Math.exp(x));
            case GELU: {
                double u = GELU_C * (x + 0.044715 * x * x * x);
                return 0.5 * x * (1.0 + Math.tanh(u));
            }
            default: throw new AssertionError(this);
        }
    }

    /** Derivative dy/dx given the input x and the output y = f(x). */
    public double derivative(double x, double y, double alpha) {
        switch (this) {
            case IDENTITY: return 1.0;
            case RELU: return x <= 0 ? 0.0 : 1.0;
            case LEAKY_RELU: return x <= 0 ? alpha : 1.0;
            case SIGMOID: return y * (1.0 - y);
            case TANH: return 1.0 - y * y;
            case ELU: return x <= 0 ? y + alpha : 1.0;
            case SOFTPLUS: return x > 20 ? 1.0 : 1.0 / (1.0 + Math.exp(-x));
            case GELU: {
                double x2 = x * x;
                double u = GELU_C * (x + 0.044715 * x2 * x);
                double t = Math.tanh(u);
                double du = GELU_C * (1.0 + 3 * 0.044715 * x2);
                return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du;
            }
            default: throw new AssertionError(this);
        }
    }
}
