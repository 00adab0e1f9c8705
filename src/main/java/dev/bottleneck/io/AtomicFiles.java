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
 *
 * <p>Temporary files are named {@code .NAME.tmp-RANDOM} beside their target ({@link #isTemporary}), so that a
 * process killed in the middle of a write leaves something the next run can recognise and remove.
 *
 * <p>{@link #injectFaults} lets a test fail or stop a write at a chosen point (a full disk, a crash between two
 * renames) without a special file system.
 */
public final class AtomicFiles {
    /** Where {@link #injectFaults} can intervene: before a file's content is written, and around each rename. */
    public interface FaultHook {
        /** Before the content of {@code target} is written; throw to make the write fail (e.g. a full disk). */
        default void beforeWrite(Path target) throws IOException {
        }

        /** Before {@code from} is renamed to {@code to}; throw to stop there. */
        default void beforeRename(Path from, Path to) throws IOException {
        }

        /** After {@code from} was renamed to {@code to} (and the directory synced); throw to stop there. */
        default void afterRename(Path from, Path to) throws IOException {
        }
    }

    /** A failed write: names the file and the reason (the message adds advice). */
    public static final class WriteFailed extends BottleneckException {
        private final Path path;
        private final String reason;

        WriteFailed(Path path, String reason, IOException cause) {
            super("cannot write " + path + ": " + reason
                    + " (check that the directory exists and is writable, and that the disk is not full)", cause);
            this.path = path;
            this.reason = reason;
        }

        /** The file that could not be written, as given to the writer. */
        public Path path() { return path; }

        /** Why, in a few words: "No space left on device", "Read-only file system (...)". */
        public String reason() { return reason; }
    }

    private static volatile FaultHook faults;

    /** For tests: routes every write and rename of this class through {@code hook} (null removes it). */
    public static void injectFaults(FaultHook hook) {
        faults = hook;
    }

    /** Whether {@code name} is the name of one of this class's temporary files ({@code .NAME.tmp-RANDOM}). */
    public static boolean isTemporary(String name) {
        return name.startsWith(".") && name.matches("\\..+\\.tmp-[0-9a-z]+");
    }

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
            FaultHook hook = faults;
            if (hook != null) hook.beforeWrite(absolute);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                writer.write(channel);
                channel.force(true);
            }
            Path from = tmp;
            if (hook != null) hook.beforeRename(from, absolute);
            rename(tmp, absolute);
            tmp = null;
            fsyncDirectory(dir);
            if (hook != null) hook.afterRename(from, absolute);
        } catch (IOException e) {
            throw new WriteFailed(target, describe(e), e);
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

    /**
     * Renames {@code from} to {@code to} in one step (replacing a file {@code to}; a directory {@code to} must not
     * exist) and syncs the directory, so that the rename survives a crash.
     */
    public static void move(Path from, Path to) throws IOException {
        FaultHook hook = faults;
        if (hook != null) hook.beforeRename(from, to);
        rename(from, to);
        fsyncDirectory(to.toAbsolutePath().getParent());
        if (hook != null) hook.afterRename(from, to);
    }

    private static void rename(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A fresh temporary name for {@code target} in its directory ({@link #isTemporary} recognises it). */
    public static Path temporaryFor(Path target) {
        Path absolute = target.toAbsolutePath();
        return absolute.resolveSibling("." + absolute.getFileName() + ".tmp-"
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
    }

    /** Forces a file's content to disk. */
    public static void fsyncFile(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
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

    /** Makes a rename in {@code dir} durable where the platform allows opening a directory; ignored elsewhere. */
    public static void fsyncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | RuntimeException ignored) {
            // not supported on some platforms (Windows); the file itself is already on disk
        }
    }

    /** A short reason for an I/O error ("No space left on device (path)", "permission denied ..."). */
    public static String describe(IOException e) {
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
