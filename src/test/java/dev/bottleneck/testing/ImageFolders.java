package dev.bottleneck.testing;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/** Image folders ({@code dir/<class>/<i>.png}) written for tests. */
public final class ImageFolders {
    private ImageFolders() {}

    /** Makes picture {@code i} of class {@code cls}. */
    @FunctionalInterface
    public interface Picture {
        BufferedImage make(String cls, int i);
    }

    /** Writes {@code count} PNG pictures per class into {@code dir/<class>/<i>.png}; returns dir. */
    public static Path write(Path dir, List<String> classes, int count, Picture picture) throws IOException {
        for (String cls : classes) {
            Path folder = Files.createDirectories(dir.resolve(cls));
            for (int i = 0; i < count; i++) {
                if (!ImageIO.write(picture.make(cls, i), "png", folder.resolve(i + ".png").toFile())) {
                    throw new IOException("no PNG writer for the picture type");
                }
            }
        }
        return dir;
    }

    /** A w x h RGB picture of random colours drawn from r. */
    public static BufferedImage randomRgb(int w, int h, SplittableRandom r) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt(1 << 24));
        return img;
    }
}
