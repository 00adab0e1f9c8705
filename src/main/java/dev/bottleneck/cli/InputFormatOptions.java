package dev.bottleneck.cli;

import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.ImageFolderReader;
import picocli.CommandLine.Option;

import java.util.List;

/** How a CSV table or an image folder is read: the options {@code train} and {@code shard} share. */
final class InputFormatOptions {
    @Option(names = "--csv-label", paramLabel = "COLUMN", description = "CSV label column (name or 0-based index); not used as a feature.")
    String csvLabel;

    @Option(names = "--csv-delimiter", paramLabel = "CHAR", description = "CSV delimiter (default: detected).")
    Character csvDelimiter;

    @Option(names = "--csv-skip", split = ",", paramLabel = "COLUMNS", description = "CSV columns to ignore.")
    List<String> csvSkip;

    @Option(names = "--image-size", paramLabel = "HxW", description = "Resize the images of an image folder to this size (default: the first image's).")
    String imageSize;

    @Range(min = 0)
    @Option(names = "--channels", defaultValue = "0", paramLabel = "1|3",
            description = "Image folder channels: 1 gray, 3 RGB (default: 1 when every image file is gray, else 3).")
    int channels;

    /** True when any CSV option was given. */
    boolean csvGiven() {
        return csvLabel != null || csvDelimiter != null || csvSkip != null;
    }

    /** The CSV reading options (label column, delimiter, skipped columns). */
    CsvReader.Options csv() {
        CsvReader.Builder b = CsvReader.options();
        if (csvLabel != null) b.labelColumnSpec(csvLabel);
        if (csvDelimiter != null) b.delimiter(csvDelimiter);
        if (csvSkip != null) b.skipColumns(csvSkip);
        return b.build();
    }

    /** The image folder reading options (size and channels; 0 = as found). */
    ImageFolderReader.Options images() {
        return imageSize != null ? ImageFolderReader.Options.parseSize(imageSize, channels) : new ImageFolderReader.Options(channels, 0, 0);
    }
}
