package dev.bottleneck.train;

import dev.bottleneck.autograd.Var;

/**
 * What a {@link TrainStep} returns.
 *
 * @param objective the one-element value back-propagated (the loss plus any penalties)
 * @param reported  the one-element value accumulated into the epoch's training loss (often {@code objective}
 *                  itself; AutoRec reports its masked error without the weight penalty)
 * @param weight    how much this batch counts in the epoch mean: the loop adds {@code weight * reported} on the
 *                  backend and divides by the sum of the weights, so the number of samples gives a per-sample
 *                  mean and the number of observed entries a per-entry mean
 */
public record StepLoss(Var objective, Var reported, double weight) {
    public StepLoss {
        if (objective == null || reported == null) throw new IllegalArgumentException("a step must return a loss");
        if (objective.value().size() != 1 || reported.value().size() != 1) {
            throw new IllegalArgumentException("a step's loss must be a single value, got " + objective + " and " + reported);
        }
        if (!(weight >= 0) || Double.isInfinite(weight)) throw new IllegalArgumentException("bad loss weight " + weight);
    }

    /** A loss that is both optimised and reported, weighted by {@code weight} (usually the batch size). */
    public static StepLoss of(Var loss, double weight) {
        return new StepLoss(loss, loss, weight);
    }
}
