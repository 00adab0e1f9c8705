package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The right to write a run directory: one process at a time trains into an output directory.
 *
 * <p>{@link #open} takes an OS file lock on {@code DIR/.lock} ({@link FileChannel#tryLock}) and writes the holder's
 * process id and host into it. A second process that opens the same directory fails at once with an error that
 * names the holder. The operating system releases the lock when the holder exits in any way (kill -9 included), so a
 * restarted job never finds a stale lock. The file itself stays; only the lock on it counts.
 *
 * <p>Within one process the lock is shared: opening a directory this process already holds just counts one more
 * user (the command line opens it before loading data, the training code again), and the lock is released when the
 * last one closes. Opening also removes the temporary files and unpublished checkpoints that an interrupted run
 * left ({@link CheckpointStore#removeStrays}), and fails with a clear message when the directory cannot be written
 * (a read-only mount), naming the checkpoint already there.
 */
public final class RunDirectory implements AutoCloseable {
    public static final String LOCK = ".lock";

    private static final Map<Path, Held> HELD = new HashMap<>();

    private static final class Held {
        final FileChannel channel;
        final FileLock lock; // null where the file system has no locks
        int users = 1;

        Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }
    }

    private final Path dir;
    private final Path key;
    private boolean closed;

    private RunDirectory(Path dir, Path key) {
        this.dir = dir;
        this.key = key;
    }

    public Path path() { return dir; }

    /**
     * Creates {@code dir} if needed, takes its lock (or joins this process's hold on it) and removes what an
     * interrupted run left behind.
     *
     * @param log receives a note when something was removed, or when the file system cannot lock
     */
    public static RunDirectory open(Path dir, Consumer<String> log) {
        Path key = dir.toAbsolutePath().normalize();
        synchronized (HELD) {
            Held h = HELD.get(key);
            if (h != null) {
                h.users++;
                return new RunDirectory(dir, key);
            }
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw unwritable(dir, e);
            }
            FileChannel ch;
            try {
                ch = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw unwritable(dir, e);
            }
            FileLock lock;
            boolean unsupported = false;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                close(ch);
                throw new BottleneckException(dir + " is in use by another training in this process; use another --out");
            } catch (IOException e) {
                lock = null; // no locks on this file system (some network mounts): train unprotected, but say so
                unsupported = true;
                log.accept("note: cannot lock " + dir.resolve(LOCK) + " (" + AtomicFiles.describe(e)
                        + "); nothing stops a second process from writing into " + dir);
            }
            if (lock == null && !unsupported) {
                String holder = read(ch);
                close(ch);
                throw new BottleneckException(dir + " is in use by another training (" + (holder.isEmpty() ? "a process that just started" : holder)
                        + ", lock " + dir.resolve(LOCK) + "): wait for it to finish or stop it, or train into another --out");
            }
            try {
                ch.truncate(0);
                ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + " on " + host() + " since " + Instant.now() + "\n")
                        .getBytes(StandardCharsets.UTF_8)), 0);
                ch.force(true);
            } catch (IOException e) {
                close(ch);
                throw unwritable(dir, e);
            }
            HELD.put(key, new Held(ch, lock));
            int removed = new CheckpointStore(dir).removeStrays();
            if (removed > 0) log.accept("removed " + removed + " temporary " + (removed == 1 ? "file" : "files")
                    + " left in " + dir + " by an interrupted write");
            return new RunDirectory(dir, key);
        }
    }

    /** Whether this process holds {@code dir}. */
    public static boolean heldByThisProcess(Path dir) {
        synchronized (HELD) {
            return HELD.containsKey(dir.toAbsolutePath().normalize());
        }
    }

    private static BottleneckException unwritable(Path dir, IOException e) {
        CheckpointStore.Unit last = new CheckpointStore(dir).latestQuietly();
        return new BottleneckException("cannot write to " + dir + ": " + AtomicFiles.describe(e)
                + (last == null ? "" : "; the checkpoint there, " + last.describe() + ", is untouched"), e);
    }

    private static String read(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(512);
            ch.read(b, 0);
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static String host() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            if (!h.isEmpty()) return h;
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        String h = System.getenv("HOSTNAME");
        if (h != null && !h.isBlank()) return h;
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "this host";
        }
    }

    private static void close(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Gives up this user's hold; the lock goes with the last one. */
    @Override
    public void close() {
        synchronized (HELD) {
            if (closed) return;
            closed = true;
            Held h = HELD.get(key);
            if (h == null) return;
            if (--h.users > 0) return;
            HELD.remove(key);
            try {
                if (h.lock != null) h.lock.release();
            } catch (IOException ignored) {
                // closing the channel releases it too
            }
            close(h.channel);
        }
    }
}
