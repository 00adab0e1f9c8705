package dev.bottleneck.cli;

import picocli.CommandLine.Option;

/** Batch size and Adam learning rate of the commands with fixed ones; defaults per command in {@link CommandDefaults}. */
final class StepOptions {
    @Range(min = 1)
    @Option(names = {"-b", "--batch"}, description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Range(min = 0, minExclusive = true)
    @Option(names = "--lr", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    double lr;
}
