package dev.bottleneck.cli;

import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.ImageFolderReader;
import picocli.CommandLine.Option;

import java.util.List;

/** How a CSV table or an image folder is read: the options {@code train}, {@code shard} and {@code compare-pca} share. */
final class InputFormatOptions {
    @Option(names = "--csv-label", paramLabel = "COLUMN", description = "CSV label column (name or 0-based index); not used as a feature.")
    String csvLabel;

    @Option(names = "--id-column", paramLabel = "COLUMN",
            description = "CSV id column (name or 0-based index): not a feature; each row's identity in the outputs (detect, score, encode,"
                    + " index, search). Default: the row's line number.")
    String idColumn;

    @Option(names = "--csv-delimiter", paramLabel = "CHAR", description = "CSV delimiter (default: detected).")
    Character csvDelimiter;

    @Option(names = "--csv-skip", split = ",", paramLabel = "COLUMNS", description = "CSV columns to ignore.")
    List<String> csvSkip;

    @Option(names = "--image-size", paramLabel = "HxW", description = "Resize the images of an image folder to this size (default: the first image's).")
    String imageSize;

    @Range(min = 0)
    @Option(names = "--channels", defaultValue = "0", paramLabel = "1|3|4",
            description = "Image folder channels: 1 gray, 3 RGB, 4 RGB and alpha (default: 1 when every image is gray, else 3).")
    int channels;

    @Option(names = "--background", defaultValue = "white", paramLabel = "white|black|R,G,B",
            description = "Colour that images with transparency (PNG/GIF alpha) are composited onto before scaling, as image viewers"
                    + " show them (default: ${DEFAULT-VALUE}); with --channels 4 the alpha is kept as a fourth channel too.")
    String background;

    /** True when any CSV option was given. */
    boolean csvGiven() {
        return csvLabel != null || csvDelimiter != null || csvSkip != null || idColumn != null;
    }

    /** The CSV reading options (label column, delimiter, skipped columns, id column). */
    CsvReader.Options csv() {
        CsvReader.Builder b = CsvReader.options();
        if (csvLabel != null) b.labelColumnSpec(csvLabel);
        if (csvDelimiter != null) b.delimiter(csvDelimiter);
        if (csvSkip != null) b.skipColumns(csvSkip);
        b.idColumnSpec(idColumn);
        return b.build();
    }

    /** The image folder reading options (size and channels, 0 = as found; the background under transparent pixels). */
    ImageFolderReader.Options images() {
        ImageFolderReader.Options o = imageSize != null ? ImageFolderReader.Options.parseSize(imageSize, channels)
                : new ImageFolderReader.Options(channels, 0, 0);
        return o.withBackground(ImageFolderReader.parseBackground(background == null ? "white" : background));
    }
}
