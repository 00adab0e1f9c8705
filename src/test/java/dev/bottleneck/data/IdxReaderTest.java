package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class IdxReaderTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void readsImagesAndLabels(boolean gzip) throws Exception {
        // the name never says gzip: detection is by magic bytes
        Path img = IdxFiles.write(dir.resolve("imgs"), IdxFiles.images(5, 3, 4), gzip);
        Path lab = IdxFiles.write(dir.resolve("labs"), IdxFiles.labels(5), gzip);
        assertEquals(gzip, IdxReader.isGzip(img));
        Dataset d = IdxReader.readImages(img, lab, "tiny");
        assertEquals(5, d.n());
        assertArrayEquals(new int[] {1, 3, 4}, d.sampleShape());
        assertEquals(12, d.features());
        assertEquals("tiny", d.name());
        for (int i = 0; i < 5 * 12; i++) assertEquals(IdxFiles.pixel(i) / 255f, d.x()[i], 0f);
        for (int i = 0; i < 5; i++) assertEquals(IdxFiles.label(i), d.labels()[i]);
        assertArrayEquals(d.labels(), IdxReader.readLabels(lab));
    }

    @Test
    void labelsAreOptional() throws Exception {
        Path img = IdxFiles.write(dir.resolve("imgs"), IdxFiles.images(2, 2, 2), false);
        Dataset d = IdxReader.readImages(img, null, "x");
        assertFalse(d.hasLabels());
        assertNull(d.labels());
    }

    @Test
    void pixelRangeIsZeroToOne() throws Exception {
        byte[] b = IdxFiles.images(1, 1, 2);
        b[16] = 0;
        b[17] = (byte) 255;
        Dataset d = IdxReader.readImages(IdxFiles.write(dir.resolve("i"), b, false), null, "x");
        assertEquals(0f, d.x()[0]);
        assertEquals(1f, d.x()[1]);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void truncatedPixelData(boolean gzip) throws Exception {
        byte[] full = IdxFiles.images(4, 5, 5);
        byte[] cut = Arrays.copyOf(full, full.length - 30);
        Path img = IdxFiles.write(dir.resolve("train-images-idx3-ubyte"), cut, gzip);
        BottleneckException e = assertThrows(BottleneckException.class, () -> IdxReader.readImages(img, null, "x"));
        assertTrue(e.getMessage().contains(img.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("expected 100 bytes of pixel data"), e.getMessage());
        assertTrue(e.getMessage().contains("found 70"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("scripts/fetch-data.sh"), e.getMessage());
    }

    @Test
    void truncatedGzipStream() throws Exception {
        byte[] gz = IdxFiles.gzip(IdxFiles.images(50, 10, 10));
        Path img = dir.resolve("cut.gz");
        Files.write(img, Arrays.copyOf(gz, gz.length / 2));
        BottleneckException e = assertThrows(BottleneckException.class, () -> IdxReader.readImages(img, null, "x"));
        assertTrue(e.getMessage().contains(img.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedHeader() throws Exception {
        Path img = IdxFiles.write(dir.resolve("h"), Arrays.copyOf(IdxFiles.images(1, 2, 2), 10), false);
        BottleneckException e = assertThrows(BottleneckException.class, () -> IdxReader.readImages(img, null, "x"));
        assertTrue(e.getMessage().contains(img.toString()) && e.getMessage().contains("header"), e.getMessage());
    }

    @Test
    void emptyFile() throws Exception {
        Path img = Files.write(dir.resolve("empty"), new byte[0]);
        BottleneckException e = assertThrows(BottleneckException.class, () -> IdxReader.readImages(img, null, "x"));
        assertTrue(e.getMessage().contains("empty or truncated"), e.getMessage());
    }

    @Test
    void labelFileGivenAsImages() throws Exception {
        Path lab = IdxFiles.write(dir.resolve("train-labels-idx1-ubyte"), IdxFiles.labels(3), false);
        BottleneckException e = assertThrows(BottleneckException.class, () -> IdxReader.readImages(lab, null, "x"));
        String m = e.getMessage();
        assertTrue(m.contains(lab.toString()), m);
        assertTrue(m.contains("2049"), m);
        assertTrue(m.contains("expected 2051"), m);
        assertTrue(m.contains("label file"), m);
    }

    @Test
    void imagesFileGivenAsLabels() throws Exception {
        Path img = IdxFiles.write(dir.resolve("im"), IdxFiles.images(1, 1, 1), true);
        BottleneckException e = assertThrows(BottleneckException.class, () -> IdxReader.readLabels(img));
        assertTrue(e.getMessage().contains("found") || e.getMessage().contains("2051"), e.getMessage());
        assertTrue(e.getMessage().contains("expected 2049"), e.getMessage());
        assertTrue(e.getMessage().contains("images file"), e.getMessage());
    }

    @Test
    void notIdxAtAll() throws Exception {
        Path f = Files.writeString(dir.resolve("notes.txt"), "hello world, this is text");
        BottleneckException e = assertThrows(BottleneckException.class, () -> IdxReader.readImages(f, null, "x"));
        assertTrue(e.getMessage().contains("0x68656c6c"), e.getMessage()); // "hell"
        assertTrue(e.getMessage().contains("not an IDX images file"), e.getMessage());
    }

    @Test
    void labelCountMismatch() throws Exception {
        Path img = IdxFiles.write(dir.resolve("train-images-idx3-ubyte"), IdxFiles.images(6, 2, 2), false);
        Path lab = IdxFiles.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxFiles.labels(4), false);
        BottleneckException e = assertThrows(BottleneckException.class, () -> IdxReader.readImages(img, lab, "x"));
        String m = e.getMessage();
        assertTrue(m.contains(img.toString()) && m.contains(lab.toString()), m);
        assertTrue(m.contains("6 images") && m.contains("4 labels"), m);
    }

    @Test
    void truncatedLabels() throws Exception {
        byte[] l = IdxFiles.labels(10);
        Path lab = IdxFiles.write(dir.resolve("l"), Arrays.copyOf(l, l.length - 3), false);
        BottleneckException e = assertThrows(BottleneckException.class, () -> IdxReader.readLabels(lab));
        assertTrue(e.getMessage().contains("expected 10 bytes of label data") && e.getMessage().contains("found 7"), e.getMessage());
    }

    @Test
    void corruptGzip() throws Exception {
        byte[] gz = IdxFiles.gzip(IdxFiles.images(20, 8, 8));
        for (int i = 20; i < gz.length - 10; i++) gz[i] ^= (byte) 0x5a;
        Path f = Files.write(dir.resolve("bad.gz"), gz);
        BottleneckException e = assertThrows(BottleneckException.class, () -> IdxReader.readImages(f, null, "x"));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("gzip") || e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("nope");
        BottleneckException e = assertThrows(BottleneckException.class, () -> IdxReader.readLabels(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("fetch-data.sh"), e.getMessage());
    }
}
