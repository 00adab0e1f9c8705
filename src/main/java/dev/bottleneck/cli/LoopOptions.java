package dev.bottleneck.cli;

import picocli.CommandLine.Option;

/**
 * The training-loop options of the commands that train a model and write checkpoints (train, segment, upscale,
 * autorec): epochs, the validation hold-out and the progress bar; defaults per command in {@link CommandDefaults}.
 */
final class LoopOptions {
    @Range(min = 1)
    @Option(names = {"-e", "--epochs"}, description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Range(min = 0, max = 1, maxExclusive = true)
    @Option(names = "--validation",
            description = "Fraction of the training data held out of training and scored after every epoch (default: ${DEFAULT-VALUE}).")
    double validation;

    @Option(names = "--progress", negatable = true, description = "Progress bar (default: when on a terminal).")
    Boolean progress;
}
