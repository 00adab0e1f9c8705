package dev.bottleneck.autograd;

import dev.bottleneck.tensor.Tensor;

/**
 * A value in a computation recorded by a {@link Graph}, with the gradient of the graph's output with respect
 * to it once {@link Graph#backward} has run. Parameter variables accumulate into their slot of the gradient
 * arena; other variables get a gradient tensor on first use.
 */
public final class Var {
    final Tensor value;
    Tensor grad;
    final boolean requiresGrad;
    /** The gradient tensor is a persistent accumulator (a parameter's arena slot): always add into it. */
    final boolean persistentGrad;
    /**
     * When finite, every element of {@link #grad} is known to equal this value (the seed of backward and what
     * flows unchanged through sums and scalings), so consumers can skip reading it back or multiplying by it.
     */
    double gradConstant = Double.NaN;

    Var(Tensor value, boolean requiresGrad, Tensor persistentGrad) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.grad = persistentGrad;
        this.persistentGrad = persistentGrad != null;
    }

    public Tensor value() { return value; }

    /** The gradient, or null when no gradient reached this variable. */
    public Tensor grad() { return grad; }

    public boolean requiresGrad() { return requiresGrad; }

    public int[] shape() { return value.shape(); }

    @Override
    public String toString() {
        return "Var(" + value + (requiresGrad ? ", grad" : "") + ")";
    }
}
