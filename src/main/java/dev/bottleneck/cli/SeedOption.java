package dev.bottleneck.cli;

import picocli.CommandLine.Option;

/** {@code --seed}; its default is the command's own ({@link CommandDefaults}). */
final class SeedOption {
    @Option(names = "--seed", description = "Seed of every random choice: initial weights, shuffling, splits, noise (default: ${DEFAULT-VALUE}).")
    long seed;
}
