package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ImageFolderReaderTest {
    static void png(Path f, int w, int h, int rgb, String format) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, x < w / 2 ? rgb : 0);
        Files.createDirectories(f.getParent());
        assertTrue(ImageIO.write(img, format, f.toFile()));
    }

    @Test
    void classSubfoldersGiveLabelsAndImagesAreResized(@TempDir Path dir) throws Exception {
        png(dir.resolve("cats/a.png"), 8, 6, 0xFFFFFF, "png");
        png(dir.resolve("cats/b.png"), 8, 6, 0x808080, "png");
        png(dir.resolve("dogs/c.jpg"), 16, 12, 0xFFFFFF, "jpg");
        ImageFolderReader.Result r = ImageFolderReader.read(dir, ImageFolderReader.Options.parseSize("3x4", 0));
        assertEquals(List.of("cats", "dogs"), r.classes());
        Dataset d = r.dataset();
        assertEquals(3, d.n());
        assertArrayEquals(new int[] {1, 3, 4}, d.sampleShape(), "gray images give one channel");
        assertArrayEquals(new int[] {0, 0, 1}, d.labels());
        assertEquals(1.0, d.x()[0], 0.02, "white left half");
        assertEquals(0.0, d.x()[3], 0.02, "black right half");
        assertEquals(128 / 255.0, d.x()[12], 0.02, "gray left half of the second image");
    }

    @Test
    void colourImagesGiveThreeChannelsInChwOrder(@TempDir Path dir) throws Exception {
        png(dir.resolve("x.png"), 4, 4, 0xFF0000, "png");
        Dataset d = ImageFolderReader.read(dir, ImageFolderReader.Options.defaults()).dataset();
        assertArrayEquals(new int[] {3, 4, 4}, d.sampleShape());
        assertNull(d.labels());
        assertEquals(1f, d.x()[0]);        // red plane, pixel (0,0)
        assertEquals(0f, d.x()[16]);       // green plane
        assertEquals(0f, d.x()[32]);       // blue plane
    }

    @Test
    void brokenOrMissingImagesNameTheFile(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.write(dir.resolve("a/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        BottleneckException e = assertThrows(BottleneckException.class, () -> ImageFolderReader.read(dir, ImageFolderReader.Options.defaults()));
        assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        e = assertThrows(BottleneckException.class, () -> ImageFolderReader.read(empty, ImageFolderReader.Options.defaults()));
        assertTrue(e.getMessage().contains("no images"), e.getMessage());
        e = assertThrows(BottleneckException.class, () -> ImageFolderReader.Options.parseSize("big", 0));
        assertTrue(e.getMessage().contains("HxW"), e.getMessage());
    }

    @Test
    void dataSourcesTakeAnImageFolderWithATestHoldout(@TempDir Path dir) throws Exception {
        for (int i = 0; i < 20; i++) png(dir.resolve("imgs/" + (i % 2 == 0 ? "even" : "odd") + "/" + i + ".png"), 6, 6, 0x404040 * (1 + i % 3), "png");
        TrainTest tt = DataSources.resolve(dir.resolve("imgs").toString(), null, null, 3);
        assertEquals(16, tt.train().n());
        assertEquals(4, tt.test().n());
        assertArrayEquals(new int[] {1, 6, 6}, tt.train().sampleShape());
    }
}
