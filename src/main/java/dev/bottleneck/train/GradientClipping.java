package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BinaryOp;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.tensor.Tensor;

/**
 * Scales the whole gradient by {@code min(1, maxNorm / ||g||)} (global L2 norm), entirely on the backend:
 * ||g||² → ||g|| → 1 / ||g|| → times maxNorm → clamped to at most 1 (a zero norm gives +inf, clamped to 1) →
 * one broadcast multiply of the arena. {@link TrainingLoop} applies it after every other gradient hook when
 * {@link FitConfig#clipNorm()} is positive.
 */
public final class GradientClipping implements GradientHook {
    private final double maxNorm;

    public GradientClipping(double maxNorm) {
        if (!(maxNorm > 0)) throw new BottleneckException("the clipping norm must be positive, got " + maxNorm);
        this.maxNorm = maxNorm;
    }

    public double maxNorm() { return maxNorm; }

    @Override
    public void apply(Graph g, ParameterStore params) {
        Backend be = params.backend();
        Tensor grads = params.grads();
        Tensor scale = g.temp(1);
        be.reduce().sumSquares(grads, scale);
        be.elementwise().unary(UnaryOp.SQRT, scale, scale);
        be.elementwise().unary(UnaryOp.RECIPROCAL, scale, scale);
        be.elementwise().affine(scale, maxNorm, 0.0, scale);
        be.elementwise().clamp(scale, 0.0, 1.0, scale);
        be.elementwise().binary(BinaryOp.MUL, grads, scale, grads);
    }
}
