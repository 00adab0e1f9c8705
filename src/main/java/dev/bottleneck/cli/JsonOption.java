package dev.bottleneck.cli;

import picocli.CommandLine.Option;

/** {@code --json}: the command prints its results as one JSON object on its last line of standard output. */
final class JsonOption {
    @Option(names = "--json", description = "Print the results as one JSON object on the last line.")
    boolean on;
}
