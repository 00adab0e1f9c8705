package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import picocli.CommandLine.Option;

/**
 * {@code --train-limit N}: the {@code --limit} a model was trained with, so that a threshold rule is computed on the
 * same validation hold-out {@code train} used (export and score with a rule).
 */
final class TrainLimitOption {
    @Option(names = "--train-limit", paramLabel = "N",
            description = "With a threshold rule: the --limit the model was trained with, so the validation hold-out is the same.")
    Integer n;

    /** The limit, checked; null when not given. */
    Integer value() {
        if (n != null && n < 1) throw new BottleneckException("--train-limit must be at least 1, got " + n);
        return n;
    }
}
