package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;

import java.io.BufferedInputStream;
import java.io.Closeable;
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
     *
     * <p>Every size in the header is checked before anything is allocated: the count must be positive, one image
     * must fit {@link Limits#SAMPLE_VALUES}, and the pixel data must match the file: exactly the rest of a raw
     * file, or at most {@link Limits#GZIP_RATIO} times a gzip file's size. A gzip file is read to its end, so its
     * CRC-32 and length are verified; data beyond what the header announces is an error, not ignored.
     */
    public static Dataset readImages(Path images, Path labelsOrNull, String name) {
        int[] labels = labelsOrNull == null ? null : readLabels(labelsOrNull);
        try (Source src = open(images)) {
            InputStream in = src.in;
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
            if (count == 0) {
                throw new BottleneckException(images + ": the header's image count is 0, so the file holds no images; expected"
                        + " at least one — the file is empty or corrupt; " + FETCH_HINT);
            }
            long perImage = (long) rows * cols;
            Limits.SAMPLE_VALUES.check(perImage, images + ": one image of " + rows + "×" + cols);
            long total = count * perImage;
            src.checkClaim(total, "pixel data", 16);
            if (total > Limits.MAX_ARRAY) {
                throw new BottleneckException(images + ": header says " + count + " images of " + rows + "×" + cols
                        + " = " + total + " bytes, more than one Java array can hold; split the file");
            }
            if (labels != null && labels.length != count) {
                throw new BottleneckException(images + " has " + count + " images but " + labelsOrNull + " has "
                        + labels.length + " labels; expected one label per image — pair the matching files "
                        + "(train-images with train-labels, t10k-images with t10k-labels)");
            }
            Limits.checkHeap(4 * total, images + ": " + count + " images of " + rows + "×" + cols);
            float[] x = new float[(int) total];
            byte[] chunk = new byte[(int) Math.min(total, 1 << 16)];
            readPayload(in, images, total, "pixel data", 16, chunk, (off, len) -> {
                for (int i = 0; i < len; i++) x[(int) off + i] = SCALE[chunk[i] & 0xFF];
            });
            src.expectEnd(total, "pixel data");
            return new Dataset(x, count, new int[] {1, rows, cols}, labels, name);
        } catch (IOException e) {
            throw ioError(images, e);
        }
    }

    /** Receives the images of {@link #streamImages} one at a time. */
    public interface ImageSink {
        /** Called once, before the first image, with the header's sizes. */
        void begin(int count, int rows, int cols);

        /** Image {@code index}: {@code rows * cols} unsigned bytes from {@code pixels[off]} (valid only during the call). */
        void image(int index, byte[] pixels, int off);
    }

    /**
     * Reads an images file image by image without holding its pixels: the header checks of {@link #readImages}
     * (magic, sizes, claims against the file's size), then each image in file order, then the end-of-stream check
     * that verifies a gzip file's CRC-32. For files larger than memory (e.g. converting them to shards).
     */
    public static void streamImages(Path images, ImageSink sink) {
        try (Source src = open(images)) {
            InputStream in = src.in;
            int magic = readInt(in, images, "the magic number");
            if (magic != IMAGES_MAGIC) {
                throw new BottleneckException(images + ": bad magic number " + describeMagic(magic)
                        + " at byte 0, expected 2051 (0x00000803, IDX images)" + (magic == LABELS_MAGIC
                        ? " — this is a label file (magic 2049); pass the images file (…-images-idx3-ubyte) here"
                        : " — this is not an IDX images file; check the path"));
            }
            int count = readInt(in, images, "the image count");
            int rows = readInt(in, images, "the row count");
            int cols = readInt(in, images, "the column count");
            if (count <= 0 || rows <= 0 || cols <= 0) {
                throw new BottleneckException(images + ": bad IDX header (count " + count + ", rows " + rows + ", columns "
                        + cols + "), expected positive sizes — the file is empty or corrupt; " + FETCH_HINT);
            }
            long perImage = (long) rows * cols;
            Limits.SAMPLE_VALUES.check(perImage, images + ": one image of " + rows + "×" + cols);
            long total = count * perImage;
            src.checkClaim(total, "pixel data", 16);
            // whole images per chunk, about 64 KiB or one image
            int per = (int) perImage;
            int perChunk = Math.max(1, Math.min(count, (1 << 16) / per));
            byte[] chunk = new byte[per * perChunk];
            sink.begin(count, rows, cols);
            readPayload(in, images, total, "pixel data", 16, chunk, (off, len) -> {
                int first = (int) (off / per);
                for (int k = 0; k < len / per; k++) sink.image(first + k, chunk, k * per);
            });
            src.expectEnd(total, "pixel data");
        } catch (IOException e) {
            throw ioError(images, e);
        }
    }

    /** Reads a labels file; values are 0..255. Sizes are checked against the file as for images. */
    public static int[] readLabels(Path labelsFile) {
        try (Source src = open(labelsFile)) {
            InputStream in = src.in;
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
            if (count == 0) {
                throw new BottleneckException(labelsFile + ": the header's label count is 0, so the file holds no labels; expected"
                        + " at least one — the file is empty or corrupt; " + FETCH_HINT);
            }
            src.checkClaim(count, "label data", 8);
            Limits.checkHeap(4L * count, labelsFile + ": " + count + " labels");
            int[] labels = new int[count];
            byte[] chunk = new byte[Math.min(count, 1 << 16)];
            readPayload(in, labelsFile, count, "label data", 8, chunk, (off, len) -> {
                for (int i = 0; i < len; i++) labels[(int) off + i] = chunk[i] & 0xFF;
            });
            src.expectEnd(count, "label data");
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

    /** An opened IDX file: the (decompressed) stream, whether it is gzip, and the size of the file on disk. */
    private static final class Source implements Closeable {
        final Path file;
        final InputStream in;
        final boolean gzip;
        final long fileSize;

        Source(Path file, InputStream in, boolean gzip, long fileSize) {
            this.file = file;
            this.in = in;
            this.gzip = gzip;
            this.fileSize = fileSize;
        }

        /**
         * Checks a payload size claimed by the header against the file before it is allocated: a raw file must hold
         * exactly that many bytes after the header; a gzip file cannot plausibly expand beyond the ratio limit.
         */
        void checkClaim(long claimed, String what, int headerBytes) {
            if (!gzip) {
                long found = fileSize - headerBytes;
                if (found < claimed) {
                    throw new BottleneckException(file + ": expected " + claimed + " bytes of " + what + " after the " + headerBytes
                            + "-byte header, found " + found + " — file truncated (or its header is corrupt); " + FETCH_HINT);
                }
                if (found > claimed) {
                    throw new BottleneckException(file + ": " + (found - claimed) + " bytes follow the " + claimed + " bytes of " + what
                            + " that the header announces; expected the file to end there — its header count is wrong or"
                            + " data was appended; " + FETCH_HINT);
                }
                return;
            }
            long ratio = Limits.GZIP_RATIO.value();
            if (claimed > Limits.GZIP_SMALL_FILE && claimed > Limits.saturatedMultiply(fileSize, ratio)) {
                throw new BottleneckException(file + ": the header claims " + Limits.group(claimed) + " bytes of " + what + ", "
                        + Limits.group(claimed / Math.max(1, fileSize)) + " times the " + Limits.group(fileSize)
                        + "-byte gzip file, more than " + Limits.GZIP_RATIO.describe()
                        + " — the header is corrupt or the file is a decompression bomb");
            }
        }

        /** After the payload the stream must end; reading to the end makes gzip verify its CRC-32 and length. */
        void expectEnd(long claimed, String what) throws IOException {
            if (in.read() >= 0) {
                throw new BottleneckException(file + ": more data follows the " + claimed + " bytes of " + what
                        + " that the header announces; expected the " + (gzip ? "decompressed stream" : "file")
                        + " to end there — its header count is wrong or data was appended; " + FETCH_HINT);
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static Source open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new BottleneckException(file + ": no such file (expected an IDX file); run scripts/fetch-data.sh, or pass --data DIR");
        }
        long size = Files.size(file);
        BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            try {
                // concatenated gzip members are read as one stream, as gzip(1) does
                return new Source(file, new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16), true, size);
            } catch (IOException e) {
                raw.close();
                throw new BottleneckException(file + ": corrupt gzip header (" + e.getMessage() + "); expected a gzip-wrapped IDX file — "
                        + FETCH_HINT, e);
            }
        }
        return new Source(file, raw, false, size);
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

    /** Receives one chunk of the payload: {@code len} bytes of the chunk buffer, starting at payload byte {@code offset}. */
    private interface ChunkSink {
        void accept(long offset, int len);
    }

    /** Reads {@code expected} bytes chunk by chunk into {@code sink}; fails naming how far it got when the data ends early. */
    private static void readPayload(InputStream in, Path file, long expected, String what, int headerBytes, byte[] chunk,
                                    ChunkSink sink) throws IOException {
        long got = 0;
        int filled = 0;
        try {
            while (got + filled < expected) {
                int want = (int) Math.min(chunk.length, expected - got);
                int r = in.read(chunk, filled, want - filled);
                if (r < 0) break;
                filled += r;
                if (filled == want) {
                    sink.accept(got, filled);
                    got += filled;
                    filled = 0;
                }
            }
        } catch (EOFException e) {
            // a gzip stream that ends early: report how far it got, like a truncated raw file
        }
        got += filled;
        if (got < expected) {
            throw new BottleneckException(file + ": expected " + expected + " bytes of " + what + " after the " + headerBytes
                    + "-byte header, found " + got + " — file truncated; " + FETCH_HINT);
        }
    }

    private static BottleneckException ioError(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new BottleneckException(file + ": no such file; run scripts/fetch-data.sh, or pass --data DIR", e);
        }
        if (e instanceof ZipException && String.valueOf(e.getMessage()).contains("trailer")) {
            return new BottleneckException(file + ": gzip check failed (" + e.getMessage() + "): the data does not match the"
                    + " CRC-32 or length stored in the file — it is corrupt; " + FETCH_HINT, e);
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
