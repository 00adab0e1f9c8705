package dev.bottleneck.model;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.UnaryOp;

/**
 * Losses over the observed entries of a partly known target, composed from autograd ops (so every backend runs them
 * and their gradients come from the ops' own backward steps).
 */
public final class MaskedLoss {
    private MaskedLoss() {}

    /**
     * {@code sum(((pred - target) * mask)^2) / observed}: the mean squared error over the entries where the 0/1
     * {@code mask} is 1. {@code observed} is the number of ones (known on the host where the mask was built); an
     * all-zero mask gives 0 (observed is then taken as 1). The gradient is {@code 2 (pred - target) mask / observed}:
     * unobserved entries get exactly zero.
     */
    public static Var mse(Graph g, Var pred, Var target, Var mask, double observed) {
        Var err = g.mul(g.sub(pred, target), mask);
        return g.scale(g.sum(g.unary(UnaryOp.SQUARE, err)), 1.0 / Math.max(1.0, observed));
    }

    /** {@code 0.5 * lambda * sum(w^2)}: an L2 (weight decay) penalty on one tensor. */
    public static Var l2(Graph g, Var w, double lambda) {
        return g.scale(g.sum(g.unary(UnaryOp.SQUARE, w)), 0.5 * lambda);
    }
}
