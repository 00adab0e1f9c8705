package dev.bottleneck.train;

/** Scores the current weights on held-out data once per epoch, for {@link TrainingLoop#validator}. */
@FunctionalInterface
public interface Validator {
    /** The mean loss over the held-out data, in inference mode; NaN when there is none. */
    double validate();
}
