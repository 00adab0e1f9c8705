package dev.bottleneck.io;

import dev.bottleneck.BottleneckException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that a reader never sees a half-written file: the content goes to a temporary file
 * in the same directory, is flushed and fsynced, then renamed over the target in one step. If anything
 * fails, the temporary file is removed and an existing target is left as it was.
 */
public final class AtomicFiles {

    /** Produces the content of a file. */
    @FunctionalInterface
    public interface IoWriter {
        void write(OutputStream out) throws IOException;
    }

    /** Produces the content of a file through a channel (for large buffers written with ByteBuffers). */
    @FunctionalInterface
    public interface ChannelWriter {
        void write(FileChannel channel) throws IOException;
    }

    private AtomicFiles() {
    }

    /** Writes {@code target} atomically with the bytes {@code writer} produces. */
    public static void write(Path target, IoWriter writer) {
        writeChannel(target, channel -> {
            // not closed here: closing would close the channel before it is forced
            OutputStream out = new java.io.BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
            writer.write(out);
            out.flush();
        });
    }

    /** Writes {@code target} atomically, handing {@code writer} the temporary file's channel. */
    public static void writeChannel(Path target, ChannelWriter writer) {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Path tmp = null;
        try {
            if (dir != null) {
                Files.createDirectories(dir);
            }
            String name = "." + absolute.getFileName() + ".tmp-"
                    + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
            tmp = dir == null ? Path.of(name) : dir.resolve(name);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                writer.write(channel);
                channel.force(true);
            }
            try {
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            fsyncDirectory(dir);
        } catch (IOException e) {
            throw new BottleneckException("cannot write " + target + ": " + describe(e)
                    + " (check that the directory exists and is writable, and that the disk is not full)", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the original error is what matters
                }
            }
        }
    }

    /** Writes a UTF-8 string atomically. */
    public static void writeString(Path target, String text) {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes bytes atomically. */
    public static void writeBytes(Path target, byte[] bytes) {
        write(target, out -> out.write(bytes));
    }

    /** Makes the rename durable where the platform allows opening a directory; ignored elsewhere. */
    private static void fsyncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | RuntimeException ignored) {
            // not supported on some platforms (Windows); the file itself is already on disk
        }
    }

    static String describe(IOException e) {
        String kind = e.getClass().getSimpleName();
        String msg = e.getMessage();
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied" + (msg == null ? "" : " (" + msg + ")");
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory" + (msg == null ? "" : " (" + msg + ")");
        }
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            return fse.getReason() + (fse.getFile() == null ? "" : " (" + fse.getFile() + ")");
        }
        return msg == null ? kind : msg;
    }
}
