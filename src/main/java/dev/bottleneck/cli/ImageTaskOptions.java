package dev.bottleneck.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of the image-to-image applications ({@code segment}, {@code upscale}): how many training and test
 * images, the width of the network, how many test images the picture shows, and where the data lies; defaults per
 * command in {@link CommandDefaults}.
 */
final class ImageTaskOptions {
    @Range(min = 1)
    @Option(names = "--train", description = "Training images (default: ${DEFAULT-VALUE}).")
    int train;

    @Range(min = 1)
    @Option(names = "--test", description = "Test images evaluated (default: ${DEFAULT-VALUE}).")
    int test;

    @Range(min = 1)
    @Option(names = "--channels", description = "Feature maps per conv layer (default: ${DEFAULT-VALUE}).")
    int channels;

    @Range(min = 1)
    @Option(names = {"-n", "--count"}, description = "Test images in the picture (default: ${DEFAULT-VALUE}).")
    int count;

    @Mixin DataFolderOption dataFolder;
}
