package dev.bottleneck.io;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageGridTest {

    @TempDir
    Path dir;

    @Test
    void comparisonGridHasOriginalsOnTopAndReconstructionsBelow() throws Exception {
        int n = 10, h = 28, w = 28, scale = 2;
        float[] originals = new float[n * h * w];
        float[] recon = new float[n * h * w];
        Arrays.fill(originals, 1.0f); // white
        Arrays.fill(recon, 0.0f); // black
        recon[3 * h * w + 5 * w + 7] = 0.5f; // one mid-gray pixel in reconstruction 3, row 5, column 7
        Path out = dir.resolve("plots/comparison.png");
        ImageGrid.writeComparison(out, originals, recon, n, 1, h, w, scale);

        BufferedImage img = ImageIO.read(out.toFile());
        assertEquals(n * w * scale + (n - 1) * ImageGrid.GAP, img.getWidth());
        assertEquals(2 * h * scale + ImageGrid.GAP, img.getHeight());
        Raster r = img.getRaster();
        assertEquals(1, r.getNumBands(), "grayscale PNG");
        assertEquals(255, r.getSample(0, 0, 0));
        assertEquals(255, r.getSample(w * scale - 1, h * scale - 1, 0));
        assertEquals(ImageGrid.GAP_GRAY, r.getSample(w * scale, 0, 0), "gap between cells");
        assertEquals(ImageGrid.GAP_GRAY, r.getSample(0, h * scale, 0), "gap between rows");
        int y0 = h * scale + ImageGrid.GAP;
        assertEquals(0, r.getSample(0, y0, 0));
        int x3 = 3 * (w * scale + ImageGrid.GAP);
        for (int dy = 0; dy < scale; dy++) {
            for (int dx = 0; dx < scale; dx++) {
                assertEquals(128, r.getSample(x3 + 7 * scale + dx, y0 + 5 * scale + dy, 0), "nearest-neighbour");
            }
        }
        assertEquals(0, r.getSample(x3 + 7 * scale + scale, y0 + 5 * scale, 0));
    }

    @Test
    void rgbRowsMapTheRangeAndClip() throws Exception {
        int c = 3, h = 2, w = 3;
        float[] a = new float[c * h * w];
        for (int i = 0; i < h * w; i++) {
            a[i] = 1f; // red plane at hi
            a[h * w + i] = -1f; // green plane at lo
            a[2 * h * w + i] = 0f; // blue plane halfway
        }
        float[] b = new float[c * h * w];
        Arrays.fill(b, 5f); // clipped to 255
        b[0] = Float.NaN;
        Path out = dir.resolve("rgb.png");
        ImageGrid.writeRows(out, List.of(new float[][]{a, b}, new float[][]{b}), c, h, w, 1, -1.0, 1.0);

        BufferedImage img = ImageIO.read(out.toFile());
        assertEquals(2 * w + ImageGrid.GAP, img.getWidth());
        assertEquals(2 * h + ImageGrid.GAP, img.getHeight());
        assertEquals(3, img.getRaster().getNumBands());
        assertEquals(0xff0080, img.getRGB(1, 1) & 0xffffff); // (255, 0, round(127.5) = 128)
        int bx = w + ImageGrid.GAP;
        assertEquals(0x00ffff, img.getRGB(bx, 0) & 0xffffff, "NaN red maps to 0");
        assertEquals(0xffffff, img.getRGB(bx + 1, 0) & 0xffffff);
        int grey = (ImageGrid.GAP_GRAY << 16) | (ImageGrid.GAP_GRAY << 8) | ImageGrid.GAP_GRAY;
        assertEquals(grey, img.getRGB(bx, h + ImageGrid.GAP) & 0xffffff, "missing cell in a short row");
    }

    @Test
    void tilesFillRowsOfTheGivenWidth() throws Exception {
        float[] imgs = new float[7 * 4];
        Path out = dir.resolve("tiles.png");
        ImageGrid.writeTiles(out, imgs, 7, 3, 1, 2, 2, 1, 0, 1);
        BufferedImage img = ImageIO.read(out.toFile());
        assertEquals(3 * 2 + 2 * ImageGrid.GAP, img.getWidth());
        assertEquals(3 * 2 + 2 * ImageGrid.GAP, img.getHeight());
    }

    @Test
    void badInputsNameTheFileAndTheProblem() {
        Path out = dir.resolve("bad.png");
        BottleneckException e = assertThrows(BottleneckException.class,
                () -> ImageGrid.writeRows(out, List.<float[][]>of(new float[][]{new float[5]}), 1, 2, 2, 1, 0, 1));
        assertTrue(e.getMessage().contains(out.toString()) && e.getMessage().contains("row 0, image 0 has 5 values,"
                + " expected 4"), e.getMessage());
        assertThrows(BottleneckException.class,
                () -> ImageGrid.writeRows(out, List.<float[][]>of(new float[][]{new float[8]}), 2, 2, 2, 1, 0, 1));
        assertThrows(BottleneckException.class,
                () -> ImageGrid.writeComparison(out, new float[10], new float[10], 3, 1, 2, 2, 1));
        assertThrows(BottleneckException.class,
                () -> ImageGrid.writeRows(out, List.<float[][]>of(new float[][]{new float[4]}), 1, 2, 2, 1, 1, 1));
    }
}
