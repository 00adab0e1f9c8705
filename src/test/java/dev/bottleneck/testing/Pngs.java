package dev.bottleneck.testing;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks on a written picture: it exists, decodes as a PNG of the expected size, and is not blank. */
public final class Pngs {
    private Pngs() {}

    /**
     * Asserts that {@code png} decodes to {@code width × height} pixels with at least {@code minColours} distinct
     * colours and at least {@code minInk} (a share) of pixels that are not the background (the corner's colour).
     * Returns the image.
     */
    public static BufferedImage assertDrawn(Path png, int width, int height, int minColours, double minInk) throws Exception {
        assertTrue(Files.isRegularFile(png), png + " not written");
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, png + " does not decode as an image");
        assertEquals(width, img.getWidth(), "width of " + png);
        assertEquals(height, img.getHeight(), "height of " + png);
        int background = img.getRGB(0, 0) & 0xffffff;
        Set<Integer> colours = new HashSet<>();
        long ink = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int c = img.getRGB(x, y) & 0xffffff;
                colours.add(c);
                if (c != background) ink++;
            }
        }
        assertTrue(colours.size() >= minColours, png + ": " + colours.size() + " colours, expected at least " + minColours);
        double share = (double) ink / ((long) width * height);
        assertTrue(share >= minInk, png + ": " + share + " of the pixels drawn, expected at least " + minInk);
        return img;
    }
}
