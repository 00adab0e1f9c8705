package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the IDX files of MNIST and Fashion-MNIST: images (magic 2051 = 0x00000803, then count, rows,
 * columns as big-endian int32, then count × rows × columns unsigned bytes) and labels (magic 2049 =
 * 0x00000801, then count, then count unsigned bytes). Raw and gzip-wrapped files are both accepted;
 * gzip is recognised by its 0x1f 0x8b magic bytes, not by the file name.
 */
public final class IdxReader {
    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;

    private static final String FETCH_HINT = "re-run scripts/fetch-data.sh (or fetch the file again)";
    private static final float[] SCALE = new float[256];

    static {
        for (int i = 0; i < 256; i++) SCALE[i] = i / 255f;
    }

    private IdxReader() {}

    /**
     * Reads an images file (and optionally the matching labels file) as a data set of shape {1, rows, cols}
     * with pixels scaled to [0, 1].
     */
    public static Dataset readImages(Path images, Path labelsOrNull, String name) {
        int[] labels = labelsOrNull == null ? null : readLabels(labelsOrNull);
        try (InputStream in = open(images)) {
            int magic = readInt(in, images, "the magic number");
            if (magic != IMAGES_MAGIC) {
                String hint = magic == LABELS_MAGIC
                        ? " — this is a label file (magic 2049); pass the images file (…-images-idx3-ubyte) here"
                        : " — this is not an IDX images file; check the path";
                throw new BottleneckException(images + ": bad magic number " + describeMagic(magic)
                        + " at byte 0, expected 2051 (0x00000803, IDX images)" + hint);
            }
            int count = readInt(in, images, "the image count");
            int rows = readInt(in, images, "the row count");
            int cols = readInt(in, images, "the column count");
            if (count < 0 || rows <= 0 || cols <= 0) {
                throw new BottleneckException(images + ": bad IDX header (count " + count + ", rows " + rows + ", columns "
                        + cols + "), expected a non-negative count and positive sizes — the file is corrupt; " + FETCH_HINT);
            }
            long total = (long) count * rows * cols;
            if (total > Integer.MAX_VALUE - 8) {
                throw new BottleneckException(images + ": header says " + count + " images of " + rows + "×" + cols
                        + " = " + total + " bytes, more than one Java array can hold; split the file");
            }
            if (labels != null && labels.length != count) {
                throw new BottleneckException(images + " has " + count + " images but " + labelsOrNull + " has "
                        + labels.length + " labels; expected one label per image — pair the matching files "
                        + "(train-images with train-labels, t10k-images with t10k-labels)");
            }
            byte[] raw = readPayload(in, images, (int) total, "pixel data", 16);
            float[] x = new float[(int) total];
            for (int i = 0; i < raw.length; i++) x[i] = SCALE[raw[i] & 0xFF];
            return new Dataset(x, count, new int[] {1, rows, cols}, labels, name);
        } catch (IOException e) {
            throw ioError(images, e);
        }
    }

    /** Reads a labels file; values are 0..255. */
    public static int[] readLabels(Path labelsFile) {
        try (InputStream in = open(labelsFile)) {
            int magic = readInt(in, labelsFile, "the magic number");
            if (magic != LABELS_MAGIC) {
                String hint = magic == IMAGES_MAGIC
                        ? " — this is an images file (magic 2051); pass the labels file (…-labels-idx1-ubyte) here"
                        : " — this is not an IDX labels file; check the path";
                throw new BottleneckException(labelsFile + ": bad magic number " + describeMagic(magic)
                        + " at byte 0, expected 2049 (0x00000801, IDX labels)" + hint);
            }
            int count = readInt(in, labelsFile, "the label count");
            if (count < 0) {
                throw new BottleneckException(labelsFile + ": bad label count " + count + " at byte 4, expected >= 0 — the file is corrupt; "
                        + FETCH_HINT);
            }
            byte[] raw = readPayload(in, labelsFile, count, "label data", 8);
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) labels[i] = raw[i] & 0xFF;
            return labels;
        } catch (IOException e) {
            throw ioError(labelsFile, e);
        }
    }

    /** True if the file starts with the gzip magic bytes 0x1f 0x8b. */
    public static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    private static InputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new BottleneckException(file + ": no such file (expected an IDX file); run scripts/fetch-data.sh, or pass --data DIR");
        }
        BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            try {
                return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
            } catch (IOException e) {
                raw.close();
                throw new BottleneckException(file + ": corrupt gzip header (" + e.getMessage() + "); expected a gzip-wrapped IDX file — "
                        + FETCH_HINT, e);
            }
        }
        return raw;
    }

    private static int readInt(InputStream in, Path file, String what) throws IOException {
        byte[] b = new byte[4];
        int got = in.readNBytes(b, 0, 4);
        if (got < 4) {
            throw new BottleneckException(file + ": file ends before the IDX header is complete (while reading " + what
                    + "); expected a 16-byte (images) or 8-byte (labels) header — the file is empty or truncated; " + FETCH_HINT);
        }
        return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
    }

    private static byte[] readPayload(InputStream in, Path file, int expected, String what, int headerBytes) throws IOException {
        byte[] buf = new byte[expected];
        int got = 0;
        try {
            while (got < expected) {
                int r = in.read(buf, got, expected - got);
                if (r < 0) break;
                got += r;
            }
        } catch (EOFException e) {
            // a gzip stream that ends early: report how far it got, like a truncated raw file
        }
        if (got < expected) {
            throw new BottleneckException(file + ": expected " + expected + " bytes of " + what + " after the " + headerBytes
                    + "-byte header, found " + got + " — file truncated; " + FETCH_HINT);
        }
        return buf;
    }

    private static BottleneckException ioError(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new BottleneckException(file + ": no such file; run scripts/fetch-data.sh, or pass --data DIR", e);
        }
        if (e instanceof ZipException) {
            return new BottleneckException(file + ": corrupt gzip data (" + e.getMessage() + "); expected a valid gzip-wrapped IDX file — "
                    + FETCH_HINT, e);
        }
        if (e instanceof EOFException) {
            return new BottleneckException(file + ": gzip stream ends early (" + e.getMessage() + ") — file truncated; " + FETCH_HINT, e);
        }
        return new BottleneckException(file + ": cannot read (" + e + "); check the path and permissions", e);
    }

    private static String describeMagic(int magic) {
        return magic + " (0x" + String.format("%08x", magic) + ")";
    }
}
