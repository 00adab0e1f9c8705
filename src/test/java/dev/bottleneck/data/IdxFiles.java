package dev.bottleneck.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests. */
final class IdxFiles {
    private IdxFiles() {}

    static byte[] images(int count, int rows, int cols) {
        try {
            ByteArrayOutputStream bo = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bo);
            out.writeInt(IdxReader.IMAGES_MAGIC);
            out.writeInt(count);
            out.writeInt(rows);
            out.writeInt(cols);
            for (int i = 0; i < count * rows * cols; i++) out.writeByte(pixel(i));
            return bo.toByteArray();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** The pixel value written at flat index i. */
    static int pixel(int i) {
        return (i * 37 + 11) % 256;
    }

    static byte[] labels(int count) {
        try {
            ByteArrayOutputStream bo = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bo);
            out.writeInt(IdxReader.LABELS_MAGIC);
            out.writeInt(count);
            for (int i = 0; i < count; i++) out.writeByte(label(i));
            return bo.toByteArray();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static int label(int i) {
        return (i * 7) % 10;
    }

    static Path write(Path file, byte[] bytes, boolean gzip) throws IOException {
        Files.createDirectories(file.getParent());
        if (!gzip) return Files.write(file, bytes);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(bytes);
        }
        return file;
    }

    static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bo)) {
            out.write(bytes);
        }
        return bo.toByteArray();
    }

    /** Writes the four MNIST-named files (train n1, test n2 images of r×c) into dir. */
    static void writeFolder(Path dir, int n1, int n2, int r, int c, boolean gzip) throws IOException {
        String gz = gzip ? ".gz" : "";
        write(dir.resolve("train-images-idx3-ubyte" + gz), images(n1, r, c), gzip);
        write(dir.resolve("train-labels-idx1-ubyte" + gz), labels(n1), gzip);
        write(dir.resolve("t10k-images-idx3-ubyte" + gz), images(n2, r, c), gzip);
        write(dir.resolve("t10k-labels-idx1-ubyte" + gz), labels(n2), gzip);
    }
}
