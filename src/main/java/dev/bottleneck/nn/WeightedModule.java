package dev.bottleneck.nn;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

import java.util.List;

/** A layer with a weight and an optional bias ({@link Linear}, {@link Conv2d}, {@link ConvTranspose2d}). */
abstract class WeightedModule extends Module {
    final Parameter weight, bias;

    /** @param bias null for a layer without a bias */
    WeightedModule(Parameter weight, Parameter bias) {
        this.weight = weight;
        this.bias = bias;
    }

    public Parameter weight() { return weight; }
    public Parameter bias() { return bias; }

    /** The bias as a variable of g, or null without a bias. */
    final Var biasIn(Graph g) {
        return bias == null ? null : bias.in(g);
    }

    @Override public List<Parameter> ownParameters() { return bias == null ? List.of(weight) : List.of(weight, bias); }
    @Override public List<String> ownParameterNames() { return bias == null ? List.of("weight") : List.of("weight", "bias"); }
    @Override public List<Parameter> parameters() { return ownParameters(); }
}
