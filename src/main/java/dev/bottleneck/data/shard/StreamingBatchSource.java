package dev.bottleneck.data.shard;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.train.Batch;
import dev.bottleneck.train.BatchSource;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link BatchSource} over {@link Samples} that stay on disk: background loader threads assemble the next batches
 * of the loop's order into reusable host buffers while the current step runs, and {@link #gather} only uploads a
 * finished buffer (on CUDA into the backend's pinned staging ring, an asynchronous copy queued behind the previous
 * step's work).
 *
 * <p>Read-ahead follows the loop: after {@link #position}{@code (order, from, batch)} (or after any gather) the
 * loaders fill the ring with the slices the loop will ask for next — consecutive by default, or with the stride of
 * the last two requests, as when ranks take interleaved slices of one permutation. A request that does not match
 * what was read ahead is still served correctly: the ring restarts there. The batches are exactly those an
 * in-memory {@link dev.bottleneck.train.AlignedArrays} gives for the same order: same samples, same floats, same
 * order, one array {@code x} of shape [count, features].
 *
 * <p>With 0 threads everything is read on the caller's thread (no read-ahead).
 */
public final class StreamingBatchSource implements BatchSource {
    private static final List<String> NAMES = List.of("x");
    private static final AtomicInteger POOLS = new AtomicInteger();

    private enum State { IDLE, QUEUED, RUNNING, READY, FAILED }

    /** One buffer of the read-ahead ring and the slice it holds (or is being filled with). */
    private static final class Slot {
        float[] buf = new float[0];
        int[] rows = new int[0];
        int[] order;
        int from;
        int count;
        long gen;
        State state = State.IDLE;
        Throwable error;
    }

    private final Backend backend;
    private final Samples samples;
    private final int features;
    private final ExecutorService pool;
    private final Slot[] slots;
    private int head;
    private int[] order;
    private int nextFrom;
    private int stride;
    private int count;
    private int lastFrom = -1;
    private int[] lastOrder;
    private long waitNanos;
    private long gathers;
    private long misses;

    /**
     * @param threads loader threads (0: read on the caller's thread)
     * @param depth   batches read ahead (at least 1; ignored without threads)
     */
    public StreamingBatchSource(Backend backend, Samples samples, int threads, int depth) {
        if (threads < 0) throw new BottleneckException("--loader-threads must be 0 or more, got " + threads);
        if (depth < 1) throw new BottleneckException("--prefetch must be at least 1 batch, got " + depth);
        this.backend = backend;
        this.samples = samples;
        this.features = samples.features();
        if (threads == 0) {
            pool = null;
            slots = new Slot[] {new Slot()};
        } else {
            int id = POOLS.incrementAndGet();
            AtomicInteger k = new AtomicInteger();
            ThreadFactory tf = r -> {
                Thread t = new Thread(r, "bottleneck-loader-" + id + "-" + k.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            pool = Executors.newFixedThreadPool(threads, tf);
            slots = new Slot[Math.max(depth, 1)];
            for (int i = 0; i < slots.length; i++) slots[i] = new Slot();
        }
    }

    /** Loader threads 1, read-ahead of 4 batches. */
    public StreamingBatchSource(Backend backend, Samples samples) {
        this(backend, samples, 1, 4);
    }

    @Override
    public int size() {
        return samples.size();
    }

    public Samples samples() {
        return samples;
    }

    /** Seconds {@link #gather} spent waiting for loaders so far (0 when the loaders keep ahead). */
    public double waitSeconds() {
        return waitNanos / 1e9;
    }

    /** Gathers so far, and how many of them were not what had been read ahead. */
    public long gathers() { return gathers; }

    public long misses() { return misses; }

    /**
     * Starts read-ahead at step {@code step} of epoch {@code epoch} of the loop's order
     * ({@link dev.bottleneck.data.Dataset#epochPermutation}{@code (size(), seed, epoch)}): what a run resumed from a
     * mid-epoch checkpoint calls before its first step. Returns the order, which the loop then gathers from.
     */
    public int[] startAt(long seed, int epoch, int step, int batch) {
        int[] perm = dev.bottleneck.data.Dataset.epochPermutation(size(), seed, epoch);
        int b = Math.min(batch, size());
        position(perm, Math.min(size(), step * b), b);
        return perm;
    }

    @Override
    public void position(int[] order, int from, int batch) {
        if (batch < 1 || from < 0 || from > order.length) {
            throw new IllegalArgumentException("position: sample " + from + " of an order of " + order.length + ", batch " + batch);
        }
        restart(order, from, batch, batch);
    }

    @Override
    public Batch gather(int[] order, int from, int count) {
        if (count < 1 || from < 0 || from + count > order.length) {
            throw new IllegalArgumentException("gather: samples [" + from + ", " + (from + count) + ") of an order of " + order.length);
        }
        gathers++;
        Slot s;
        if (pool == null) {
            s = slots[0];
            s.order = order;
            s.from = from;
            s.count = count;
            ensure(s, count);
            fill(s);
        } else {
            s = slots[head];
            boolean hit;
            synchronized (s) {
                hit = s.state != State.IDLE && s.order == order && s.from == from && s.count == count;
            }
            if (!hit) {
                misses++;
                int st = order == lastOrder && lastFrom >= 0 && from > lastFrom ? from - lastFrom : count;
                restart(order, from, count, st);
                s = slots[head];
            }
            long t0 = System.nanoTime();
            awaitDone(s);
            waitNanos += System.nanoTime() - t0;
            if (s.state == State.FAILED) {
                Throwable e = s.error;
                restartEmpty();
                if (e instanceof RuntimeException re) throw re;
                if (e instanceof Error er) throw er;
                throw new BottleneckException("loading a batch failed: " + e, e);
            }
        }
        lastOrder = order;
        lastFrom = from;
        Tensor t = backend.memory().allocate(count, features);
        int[] rows;
        try {
            backend.memory().upload(s.buf, 0, t);
            rows = java.util.Arrays.copyOf(s.rows, count);
        } catch (RuntimeException e) {
            backend.memory().release(t);
            throw e;
        }
        if (pool != null) {
            synchronized (s) {
                s.state = State.IDLE;
            }
            Slot done = s;
            head = (head + 1) % slots.length;
            // the slot just emptied takes the next slice in line (the ring's last)
            if (this.order != null && nextFrom < this.order.length) {
                schedule(done, this.order, nextFrom, Math.min(this.count, this.order.length - nextFrom));
                nextFrom += stride;
            }
        }
        return new Batch(backend, NAMES, new Tensor[] {t}, rows);
    }

    /** Empties the ring and fills it with slices {@code from, from + stride, ...} of {@code order}. */
    private void restart(int[] order, int from, int count, int stride) {
        if (pool == null) return;
        restartEmpty();
        this.order = order;
        this.count = count;
        this.stride = stride;
        this.nextFrom = from;
        for (int k = 0; k < slots.length && nextFrom < order.length; k++) {
            schedule(slots[(head + k) % slots.length], order, nextFrom, Math.min(count, order.length - nextFrom));
            nextFrom += stride;
        }
    }

    private void restartEmpty() {
        for (Slot s : slots) {
            synchronized (s) {
                while (s.state == State.RUNNING) waitOn(s);
                s.gen++;
                s.state = State.IDLE;
                s.error = null;
            }
        }
        order = null;
    }

    private void schedule(Slot s, int[] order, int from, int count) {
        long gen;
        synchronized (s) {
            s.order = order;
            s.from = from;
            s.count = count;
            ensure(s, count);
            s.state = State.QUEUED;
            s.error = null;
            gen = ++s.gen;
        }
        long g = gen;
        pool.execute(() -> load(s, g));
    }

    private void load(Slot s, long gen) {
        synchronized (s) {
            if (s.gen != gen || s.state != State.QUEUED) return;
            s.state = State.RUNNING;
        }
        Throwable err = null;
        try {
            fill(s);
        } catch (Throwable e) {
            err = e;
        }
        synchronized (s) {
            s.state = err == null ? State.READY : State.FAILED;
            s.error = err;
            s.notifyAll();
        }
    }

    private void fill(Slot s) {
        samples.read(s.order, s.from, s.count, s.buf, 0);
        for (int k = 0; k < s.count; k++) s.rows[k] = samples.sourceRow(s.order[s.from + k]);
    }

    private void ensure(Slot s, int count) {
        if (s.buf.length < count * features) s.buf = new float[Math.multiplyExact(count, features)];
        if (s.rows.length < count) s.rows = new int[count];
    }

    private static void awaitDone(Slot s) {
        synchronized (s) {
            while (s.state == State.QUEUED || s.state == State.RUNNING) waitOn(s);
        }
    }

    private static void waitOn(Object o) {
        try {
            o.wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BottleneckException("interrupted while waiting for the data loader");
        }
    }

    @Override
    public void close() {
        if (pool == null) return;
        for (Slot s : slots) {
            synchronized (s) {
                s.gen++;
                if (s.state == State.QUEUED) s.state = State.IDLE;
            }
        }
        pool.shutdownNow();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
