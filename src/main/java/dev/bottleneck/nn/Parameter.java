package dev.bottleneck.nn;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.tensor.Tensor;

import java.util.Arrays;

/**
 * A trainable tensor. Its value and gradient are views into the {@link ParameterStore}'s two arenas once the
 * model is bound to a backend.
 */
public final class Parameter {
    private final int[] shape;
    private final Init init;
    private final int fanIn, fanOut;
    String name = "?";
    Tensor value, grad;

    public Parameter(Init init, int fanIn, int fanOut, int... shape) {
        this.shape = shape.clone();
        this.init = init;
        this.fanIn = fanIn;
        this.fanOut = fanOut;
    }

    public String name() { return name; }
    public int[] shape() { return shape.clone(); }
    public long size() { return Tensor.sizeOf(shape); }
    public Init init() { return init; }
    public int fanIn() { return fanIn; }
    public int fanOut() { return fanOut; }

    public Tensor value() {
        if (value == null) throw new IllegalStateException("parameter " + name + " is not bound to a backend");
        return value;
    }

    public Tensor grad() { return grad; }

    /** This parameter as a variable of the graph (its gradient accumulates into the arena). */
    public Var in(Graph g) {
        return g.parameter(value(), grad);
    }

    @Override
    public String toString() { return name + Arrays.toString(shape); }
}
