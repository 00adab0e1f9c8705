package dev.bottleneck.cli;

import dev.bottleneck.testing.ImageFolders;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/** Small labelled data sets of the kinds users bring, written by the tests themselves. */
final class LabelledData {
    private LabelledData() {}

    /** The classes of {@link #table}, in order of first appearance in the file (the reader numbers them so). */
    static final String[] TABLE_CLASSES = {"usual", "rare, odd", "normal"};

    /**
     * A CSV table of {@code n} rows: 12 correlated features (three hidden factors plus noise, centred near 5, so neither
     * in [0, 1] nor standardised) and a text class column {@code kind}. Class "rare, odd" (quoted: it holds a comma)
     * is the rows whose first factor is large; they lie away from the others. Rows 0..2 hold one class each, in
     * {@link #TABLE_CLASSES} order.
     */
    static Path table(Path file, int n, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] w = new double[3][12];
        for (double[] row : w) for (int j = 0; j < 12; j++) row[j] = r.nextGaussian();
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < 12; j++) sb.append("f").append(j).append(',');
        sb.append("kind\n");
        for (int i = 0; i < n; i++) {
            double[] z = {r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
            int cls = i < 3 ? i : z[0] > 0.9 ? 1 : z[1] > 0 ? 2 : 0;
            if (i == 1) z[0] = 2.5;
            for (int j = 0; j < 12; j++) {
                double v = 5 + z[0] * w[0][j] + z[1] * w[1][j] + z[2] * w[2][j] + 0.1 * r.nextGaussian();
                sb.append(String.format(Locale.ROOT, "%.5f", v)).append(',');
            }
            sb.append(cls == 1 ? "\"" + TABLE_CLASSES[1] + "\"" : TABLE_CLASSES[cls]).append('\n');
        }
        Files.writeString(file, sb.toString());
        return file;
    }

    /** The classes of {@link #shapes}: sub-folder names, which the reader sorts. */
    static final String[] SHAPES = {"circle", "cross", "square"};

    /**
     * A folder of gray PNG images ({@code size} × {@code size}) in class sub-folders circle, cross and square,
     * {@code perClass} of each: a bright filled disc, a thin cross or a filled square at a jittered place.
     */
    static Path shapes(Path dir, int perClass, int size, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        return ImageFolders.write(dir, List.of(SHAPES), perClass, (cls, i) -> {
            BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
            int cx = size / 3 + r.nextInt(size / 3 + 1), cy = size / 3 + r.nextInt(size / 3 + 1), rad = size / 5 + r.nextInt(2);
            int level = 200 + r.nextInt(56);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    boolean on = switch (cls) {
                        case "circle" -> (x - cx) * (x - cx) + (y - cy) * (y - cy) <= rad * rad;
                        case "square" -> Math.abs(x - cx) <= rad && Math.abs(y - cy) <= rad;
                        default -> x == cx || y == cy;
                    };
                    img.getRaster().setSample(x, y, 0, on ? level : 0);
                }
            }
            return img;
        });
    }
}
