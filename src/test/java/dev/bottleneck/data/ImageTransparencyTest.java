package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.shard.ImageFolderSamples;
import dev.bottleneck.data.shard.ShardConverter;
import dev.bottleneck.data.shard.ShardSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Images with an alpha channel: composited onto the background before scaling, at native size and resized alike, so
 * the colour hidden under fully transparent pixels never reaches the values; {@code --channels 4} adds the alpha plane;
 * the streamed reader and shards give the same values as the in-memory reader.
 */
class ImageTransparencyTest {
    /** 0xAARRGGBB pixels: the left half opaque blue, the right half fully transparent with red hidden under it. */
    static final int OPAQUE_BLUE = 0xFF0000FF, HIDDEN_RED = 0x00FF0000;

    static void rgba(Path f, int w, int h, int left, int right) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, x < w / 2 ? left : right);
        Files.createDirectories(f.getParent());
        assertTrue(ImageIO.write(img, "png", f.toFile()));
        // the file really stores the hidden colour: what a reader that ignores alpha would see
        BufferedImage back = ImageIO.read(f.toFile());
        assertTrue(back.getColorModel().hasAlpha());
        assertEquals(right, back.getRGB(w - 1, 0), "PNG keeps the RGB under alpha 0");
    }

    private static float at(Dataset d, int sample, int channel, int y, int x) {
        int[] s = d.sampleShape();
        return d.x()[sample * d.features() + channel * s[1] * s[2] + y * s[2] + x];
    }

    @Test
    void transparentPixelsTakeTheBackgroundAtNativeSize(@TempDir Path dir) throws Exception {
        rgba(dir.resolve("a.png"), 8, 4, OPAQUE_BLUE, HIDDEN_RED);
        Dataset white = ImageFolderReader.read(dir, ImageFolderReader.Options.defaults()).dataset();
        assertArrayEquals(new int[] {3, 4, 8}, white.sampleShape());
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 8; x++) {
                float[] want = x < 4 ? new float[] {0, 0, 1} : new float[] {1, 1, 1};
                for (int c = 0; c < 3; c++) assertEquals(want[c], at(white, 0, c, y, x), "white background, channel " + c + " at " + x + "," + y);
            }
        }
        Dataset black = ImageFolderReader.read(dir, new ImageFolderReader.Options(3, 0, 0, 0)).dataset();
        for (int x = 4; x < 8; x++) for (int c = 0; c < 3; c++) assertEquals(0f, at(black, 0, c, 0, x), "black background");
        Dataset grey = ImageFolderReader.read(dir, new ImageFolderReader.Options(3, 0, 0, ImageFolderReader.parseBackground("10,20,30"))).dataset();
        assertEquals(10 / 255f, at(grey, 0, 0, 2, 6));
        assertEquals(20 / 255f, at(grey, 0, 1, 2, 6));
        assertEquals(30 / 255f, at(grey, 0, 2, 2, 6));
    }

    @Test
    void resizingNeverMixesInTheHiddenColour(@TempDir Path dir) throws Exception {
        rgba(dir.resolve("a.png"), 16, 16, OPAQUE_BLUE, HIDDEN_RED);
        // white (255,255,255) and blue (0,0,255) have red = green wherever they blend; hidden red would make red > green
        Dataset white = ImageFolderReader.read(dir, ImageFolderReader.Options.parseSize("5x7", 3)).dataset();
        Dataset black = ImageFolderReader.read(dir, ImageFolderReader.Options.parseSize("5x7", 3).withBackground(0)).dataset();
        boolean blended = false;
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 7; x++) {
                assertEquals(at(white, 0, 1, y, x), at(white, 0, 0, y, x), 1.5 / 255, "red = green on white at " + x + "," + y);
                assertEquals(0f, at(black, 0, 0, y, x), 1.5 / 255, "no red on black at " + x + "," + y);
                assertEquals(0f, at(black, 0, 1, y, x), 1.5 / 255, "no green on black at " + x + "," + y);
                float r = at(white, 0, 0, y, x);
                blended |= r > 0.05 && r < 0.95;
            }
        }
        assertTrue(blended, "the resized image blends the two halves somewhere");
        assertEquals(1f, at(white, 0, 0, 2, 6), 1e-6, "the transparent side is the background");
        assertEquals(0f, at(white, 0, 0, 2, 0), 1e-6, "the opaque side stays blue");
    }

    @Test
    void partialAlphaIsBlendedAndFourChannelsKeepTheAlpha(@TempDir Path dir) throws Exception {
        rgba(dir.resolve("a.png"), 4, 2, 0x80FF0000, HIDDEN_RED);   // left: red at alpha 128
        Dataset three = ImageFolderReader.read(dir, ImageFolderReader.Options.defaults()).dataset();
        // (255 * 128 + 255 * 127) / 255 = 255 for red; (0 * 128 + 255 * 127) / 255 = 127 for green and blue
        assertEquals(1f, at(three, 0, 0, 0, 0));
        assertEquals(127 / 255f, at(three, 0, 1, 0, 0));
        assertEquals(127 / 255f, at(three, 0, 2, 0, 0));
        Dataset four = ImageFolderReader.read(dir, new ImageFolderReader.Options(4, 0, 0)).dataset();
        assertArrayEquals(new int[] {4, 2, 4}, four.sampleShape());
        for (int c = 0; c < 3; c++) {
            for (int x = 0; x < 4; x++) assertEquals(at(three, 0, c, 1, x), at(four, 0, c, 1, x), "RGB planes as with 3 channels");
        }
        assertEquals(128 / 255f, at(four, 0, 3, 0, 0), "alpha plane, semi-transparent side");
        assertEquals(0f, at(four, 0, 3, 0, 3), "alpha plane, transparent side");
        // an opaque image has alpha 1 everywhere
        Path opaque = dir.resolve("opaque");
        ImageFolderReaderTest.png(opaque.resolve("b.png"), 4, 2, 0x00FF00, "png");
        Dataset o4 = ImageFolderReader.read(opaque, new ImageFolderReader.Options(4, 0, 0)).dataset();
        for (int x = 0; x < 4; x++) assertEquals(1f, at(o4, 0, 3, 1, x));
    }

    @Test
    void grayPicturesWithHiddenColourAreStillGray(@TempDir Path dir) throws Exception {
        rgba(dir.resolve("a.png"), 6, 6, 0xFF404040, 0x0000FF00);   // opaque gray, transparent hidden green
        Dataset d = ImageFolderReader.read(dir, ImageFolderReader.Options.defaults()).dataset();
        assertArrayEquals(new int[] {1, 6, 6}, d.sampleShape(), "gray once composited onto white");
        assertEquals(1f, d.x()[5], 1e-6, "the transparent side is white");
    }

    @Test
    void gifTransparencyIsComposited(@TempDir Path dir) throws Exception {
        // a palette of black, white and red, with red the transparent index
        IndexColorModel cm = new IndexColorModel(2, 3, new byte[] {0, (byte) 255, (byte) 255}, new byte[] {0, (byte) 255, 0},
                new byte[] {0, (byte) 255, 0}, 2);
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_INDEXED, cm);
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) img.getRaster().setSample(x, y, 0, x < 2 ? 0 : 2);
        assertTrue(ImageIO.write(img, "gif", dir.resolve("a.gif").toFile()));
        Dataset d = ImageFolderReader.read(dir, new ImageFolderReader.Options(3, 0, 0)).dataset();
        assertEquals(0f, at(d, 0, 0, 0, 0), "opaque black");
        for (int c = 0; c < 3; c++) assertEquals(1f, at(d, 0, c, 0, 3), "transparent red index shown as the white background");
    }

    @Test
    void streamedReaderAndShardsGiveTheSameValues(@TempDir Path dir) throws Exception {
        Path imgs = dir.resolve("imgs");
        for (int i = 0; i < 10; i++) rgba(imgs.resolve((i % 2 == 0 ? "a" : "b") + "/" + i + ".png"), 12, 10, 0xFF000000 | (i * 20) << 8 | 0xFF, HIDDEN_RED);
        for (ImageFolderReader.Options o : new ImageFolderReader.Options[] {
                ImageFolderReader.Options.parseSize("6x5", 4).withBackground(0x336699), ImageFolderReader.Options.parseSize("6x5", 3)}) {
            Dataset mem = ImageFolderReader.read(imgs, o).dataset();
            ImageFolderSamples st = ImageFolderSamples.open(imgs, o);
            assertArrayEquals(mem.sampleShape(), st.sampleShape());
            float[] row = new float[st.features()];
            for (int i = 0; i < st.size(); i++) {
                st.read(i, row, 0);
                for (int j = 0; j < row.length; j++) assertEquals(mem.x()[i * row.length + j], row[j], "streamed image " + i + " value " + j);
            }
            // u8 shards: the same bytes, so the same floats
            Path out = dir.resolve("shards-" + o.channels());
            ShardConverter.convert(imgs.toString(), out, new ShardConverter.Options(1 << 20, null, 7, null, null, o, null), s -> { });
            TrainTest tt = DataSources.resolve(imgs.toString(), null, null, o, 7, DataSources.Environment.system());
            try (ShardSet set = ShardSet.open(out, ShardSet.Verify.FIRST_OPEN, null)) {
                Dataset train = set.split("train").materialize("t");
                assertArrayEquals(tt.train().x(), train.x(), "shards of " + o.channels() + " channels");
            }
            assertEquals(ImageFolderReader.backgroundList(o.background()), tt.reading().get("background"));
        }
    }

    @Test
    void backgroundAndChannelOptionsAreChecked() {
        assertEquals(0xFFFFFF, ImageFolderReader.parseBackground("White"));
        assertEquals(0, ImageFolderReader.parseBackground("black"));
        assertEquals(0x0A141E, ImageFolderReader.parseBackground(" 10, 20,30 "));
        for (String bad : new String[] {"blue", "1,2", "1,2,256", "-1,0,0", "a,b,c", ""}) {
            BottleneckException e = assertThrows(BottleneckException.class, () -> ImageFolderReader.parseBackground(bad));
            assertTrue(e.getMessage().contains("white, black or R,G,B"), e.getMessage());
        }
        BottleneckException e = assertThrows(BottleneckException.class, () -> new ImageFolderReader.Options(2, 0, 0));
        assertTrue(e.getMessage().contains("1 (gray), 3 (RGB) or 4 (RGB and alpha)"), e.getMessage());
    }

    @Test
    void classFoldersMayBeSymbolicLinks(@TempDir Path dir) throws Exception {
        rgba(dir.resolve("real/cats/a.png"), 4, 4, OPAQUE_BLUE, HIDDEN_RED);
        rgba(dir.resolve("real/dogs/b.png"), 4, 4, OPAQUE_BLUE, HIDDEN_RED);
        Path linked = Files.createDirectories(dir.resolve("linked"));
        Files.createSymbolicLink(linked.resolve("cats"), dir.resolve("real/cats"));
        Files.createSymbolicLink(linked.resolve("dogs"), dir.resolve("real/dogs"));
        assertTrue(ImageFolderReader.looksLikeImageFolder(linked));
        assertEquals(java.util.List.of("cats", "dogs"), ImageFolderReader.read(linked, ImageFolderReader.Options.defaults()).classes());
    }
}
