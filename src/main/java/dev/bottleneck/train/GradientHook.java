package dev.bottleneck.train;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.nn.ParameterStore;

/**
 * Runs on the gradient arena after the backward pass and before the optimizer step of every training step:
 * clipping, and in general anything that must see or change the gradients (averaging them across devices, for
 * one). A hook must stay on the backend: reading the gradients back would stall every step.
 */
@FunctionalInterface
public interface GradientHook {
    /**
     * @param g      the step's graph, still open: {@link Graph#temp} gives scratch tensors released with it
     * @param params the parameters, whose {@link ParameterStore#grads()} hold this step's gradients
     */
    void apply(Graph g, ParameterStore params);
}
