package dev.bottleneck.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --data DIR}: where the data files named by a command's DATA argument are looked for. */
final class DataFolderOption {
    @Option(names = "--data", paramLabel = "DIR",
            description = "Folder holding the data files (default: $BOTTLENECK_DATA, ~/.cache/bottleneck/data, /usr/share/datasets).")
    Path dir;
}
