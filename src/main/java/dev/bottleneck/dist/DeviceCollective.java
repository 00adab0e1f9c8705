package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.CollectiveOps;
import dev.bottleneck.backend.CollectiveSupport;
import dev.bottleneck.tensor.Tensor;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * The backend's own collectives (NCCL on CUDA) as a {@link Collective}: tensors never leave the device and the
 * all-reduce is queued on the backend's stream like any other op. The unique id comes from rank 0 through the job's
 * store; the host sums (losses at sync points) go through the store too.
 *
 * <p>A device collective cannot time out by itself: a kernel waiting for a dead peer waits forever, and so would the
 * host at its next sync. So a watchdog thread aborts the communicator when the job's store reports that a rank left,
 * when the library reports an asynchronous error, or when no training step has finished for the collective timeout
 * ({@link #progress}); the process then exits with one error line if the training thread does not get out by itself
 * within {@link #EXIT_GRACE_MS}.
 */
public final class DeviceCollective implements Collective {
    /** After an abort, the training thread has this long to fail by itself before the process is ended. */
    static final long EXIT_GRACE_MS = 15_000;

    private final ProcessGroup group;
    private final CollectiveOps ops;
    private final String library;
    private final Consumer<String> fatal;
    private final Thread watchdog;
    private volatile long lastProgress = System.nanoTime();
    private volatile boolean watching;
    private volatile String abortReason;
    private volatile boolean closed;

    private DeviceCollective(ProcessGroup group, CollectiveOps ops, String library, Consumer<String> fatal) {
        this.group = group;
        this.ops = ops;
        this.library = library;
        this.fatal = fatal;
        this.watchdog = new Thread(this::watch, "bottleneck-collective-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        group.onAbort(this::abort);
    }

    /**
     * Rank 0 makes the id, every rank joins with it.
     *
     * @param fatal ends the process with one error line (the last resort of the watchdog)
     */
    public static DeviceCollective open(ProcessGroup group, Backend backend, Consumer<String> fatal) {
        CollectiveSupport support = backend.collectives();
        if (support == null || support.unavailable() != null) {
            throw new BottleneckException("the " + backend.name() + " backend has no collectives"
                    + (support == null ? "" : ": " + support.unavailable()));
        }
        byte[] id = group.broadcastBytes(group.rank() == 0 ? support.newUniqueId() : new byte[0], 0, "the " + support.library() + " id");
        group.barrier("before " + support.library() + " starts");
        CollectiveOps ops = support.join(id, group.rank(), group.worldSize(), group.timeouts().rendezvousMs());
        return new DeviceCollective(group, ops, support.library(), fatal);
    }

    @Override public int rank() { return group.rank(); }
    @Override public int worldSize() { return group.worldSize(); }

    @Override
    public String describe() {
        return library + " over " + worldSize() + (worldSize() == 1 ? " rank" : " ranks");
    }

    @Override
    public void allReduceSum(Tensor t) {
        check();
        try {
            ops.allReduceSum(t);
        } catch (RuntimeException e) {
            throw why(e);
        }
    }

    @Override
    public void broadcast(Tensor t, int root) {
        check();
        try {
            ops.broadcast(t, root);
        } catch (RuntimeException e) {
            throw why(e);
        }
    }

    /**
     * After an abort, the library's own complaint matters less than the reason for the abort. A collective broken by
     * another rank's abort fails here a moment before the job's store says why, so that news is waited for briefly.
     */
    private RuntimeException why(RuntimeException e) {
        long until = System.nanoTime() + 2_000_000_000L;
        while (abortReason == null && group.abortReason() == null && System.nanoTime() < until) pause(20);
        String r = abortReason != null ? abortReason : group.abortReason();
        return r == null ? e : new BottleneckException(r, e);
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Why the collectives were aborted, or null. */
    String abortReason() {
        return abortReason;
    }

    @Override
    public double[] sumHost(double[] values) {
        check();
        return group.sumThroughStore(values, group.timeouts().collectiveMs());
    }

    /** The training thread is alive: a step (or a sync, a validation, a checkpoint) has just finished. */
    public void progress() {
        lastProgress = System.nanoTime();
    }

    /** Whether a missing {@link #progress} counts as a hang (during the steps of a fit), or not (before and after). */
    public void watching(boolean on) {
        lastProgress = System.nanoTime();
        watching = on;
    }

    private void check() {
        String r = abortReason;
        if (r != null) throw new BottleneckException(r);
    }

    private void watch() {
        long timeoutNs = group.timeouts().collectiveMs() * 1_000_000L;
        while (!closed && abortReason == null) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) return;
            String err;
            try {
                err = ops.asyncError();
            } catch (RuntimeException e) {
                err = e.getMessage();
            }
            if (err != null) {
                // a peer's failure shows up here as a remote error; the store's word on it is usually a moment behind
                long until = System.nanoTime() + 1_000_000_000L;
                while (group.abortReason() == null && System.nanoTime() < until) pause(20);
                abortHere(group.abortReason() != null ? group.abortReason() : library + " failed on rank " + rank() + ": " + err);
            } else if (watching && System.nanoTime() - lastProgress > timeoutNs) {
                abortHere(String.format(Locale.ROOT, "rank %d finished no training step for %s: a collective is stuck (another rank"
                        + " hangs, or its machine is unreachable; see --collective-timeout)", rank(), ProcessGroup.seconds(group.timeouts().collectiveMs())));
            }
        }
    }

    /** An abort this rank decided on: the other ranks are told at once, so that none waits for its own timeout. */
    private void abortHere(String reason) {
        abort(reason);
        group.fail(reason);
    }

    @Override
    public void abort(String reason) {
        synchronized (this) {
            if (abortReason != null || closed) return;
            abortReason = reason;
        }
        try {
            ops.abort();
        } catch (RuntimeException ignored) {
            // aborting anyway
        }
        // during the steps the training thread may sit in a device sync that only the abort can end; if it does not
        // come out, end the process (before and after the steps it is not waiting on other ranks)
        if (!watching) return;
        Thread exit = new Thread(() -> {
            try {
                Thread.sleep(EXIT_GRACE_MS);
            } catch (InterruptedException e) {
                return;
            }
            if (!closed) fatal.accept(reason);
        }, "bottleneck-collective-exit");
        exit.setDaemon(true);
        exit.start();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        watchdog.interrupt();
        if (abortReason == null) ops.close();
    }
}
