package dev.bottleneck.backend;

/** Element-wise unary maths that are not activations. */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, SQUARE, ABS, SIGN, RECIPROCAL;

    public double apply(double x) {
        switch (this) {
            case NEG: return -x;
            case EXP: return Math.exp(x);
            case LOG: return Math.log(x);
            case SQRT: return Math.sqrt(x);
            case SQUARE: return x * x;
            case ABS: return Math.abs(x);
            case SIGN: return Math.signum(x);
            case RECIPROCAL: return 1.0 / x;
            default: throw new AssertionError(this);
        }
    }
}
