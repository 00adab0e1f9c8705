package dev.bottleneck.train;

import dev.bottleneck.autograd.Graph;

/**
 * The objective of one optimisation step: given a batch already in backend memory and a fresh graph, build the
 * forward pass and return its loss. The {@link TrainingLoop} does everything around it (zeroing gradients, the
 * backward pass, gradient hooks, the optimizer update, loss accumulation, listeners).
 *
 * <p>The same step also scores held-out data ({@link StepValidator}): there the graph is not training
 * ({@link Graph#training()} is false: no dropout, no input noise) and records no backward pass, so a step may skip
 * work that only the gradient needs, such as a weight penalty that is not part of the reported loss.
 *
 * <p>A step must not read values back to the host: the loop accumulates the reported loss on the backend and reads
 * it only at its sync points. Per-sample facts the step needs on the host (counts, weights) can be looked up
 * through {@link Batch#row}.
 */
@FunctionalInterface
public interface TrainStep {
    StepLoss loss(Graph g, Batch batch);

    /**
     * Called before the first step of every epoch (0-based, also when resuming mid-run), for objectives with a
     * schedule such as a KL warm-up.
     */
    default void beginEpoch(int epoch) {
    }
}
