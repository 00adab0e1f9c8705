package dev.bottleneck.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a loop over [0, n) into a fixed number of contiguous chunks and runs them on persistent worker threads.
 * Chunk boundaries depend only on n and the thread count, and partial results are combined in chunk order, so
 * reductions are deterministic run to run whichever thread ran which chunk.
 *
 * <p>A training step issues hundreds of short parallel loops (a few microseconds each on W1). Handing each to a
 * {@code ForkJoinPool} cost a futex wake-up per loop (10% of W1's step on 2 cores), so the workers here spin for
 * {@link #SPIN_NANOS} after their last job before they park, and the caller claims chunks itself: a loop that
 * follows another within that time starts without a system call. A loop started from inside a chunk, or from a
 * second thread while one runs, runs on its caller alone (same boundaries, same results).
 */
final class Parallel {
    /** Below this many elements a loop runs on the calling thread (forking costs more than it saves). */
    static final long GRAIN = 1L << 15;

    /** How long an idle worker spins before it parks: long enough to bridge the gaps between a step's loops. */
    static final long SPIN_NANOS = 200_000;

    interface Body {
        void run(int lo, int hi);
    }

    interface Partial {
        double run(int lo, int hi);
    }

    interface Task {
        void run(int part);
    }

    private final int threads;
    private final Worker[] workers;
    /** Held by the thread whose job the workers serve; others (and nested calls) run alone. */
    private final AtomicInteger owner = new AtomicInteger();

    /** The current job; a worker still finishing an older one holds that one, whose parts are all claimed. */
    private volatile Job job;
    private volatile boolean stopped;

    /** One call of {@link #tasks}: its parts are claimed through {@code next} and counted in {@code done}. */
    private static final class Job {
        final Task task;
        final int parts;
        final Thread waiter;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(Task task, int parts, Thread waiter) {
            this.task = task;
            this.parts = parts;
            this.waiter = waiter;
        }
    }

    Parallel(int threads) {
        this.threads = Math.max(1, threads);
        this.workers = new Worker[this.threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i);
            workers[i].start();
        }
    }

    int threads() { return threads; }

    int chunks(long n) {
        if (workers.length == 0 || n < 2 * GRAIN) return 1;
        return (int) Math.min(threads, n / GRAIN);
    }

    void range(long n, Body body) {
        int c = chunks(n);
        if (c == 1) {
            body.run(0, (int) n);
            return;
        }
        tasks(c, k -> body.run((int) (n * k / c), (int) (n * (k + 1) / c)));
    }

    /** Sum of per-chunk partial results, added in chunk order. */
    double sum(long n, Partial body) {
        int c = chunks(n);
        if (c == 1) return body.run(0, (int) n);
        double[] part = new double[c];
        tasks(c, k -> part[k] = body.run((int) (n * k / c), (int) (n * (k + 1) / c)));
        double s = 0;
        for (double v : part) s += v;
        return s;
    }

    /** How many parts to split a GEMM into: 1 below ~2 MFLOP or when no dimension is worth splitting. */
    int gemmParts(int m, int n, int k) {
        if (workers.length == 0 || 2.0 * m * n * k < 4e6) return 1;
        int largest = Math.max(m, n);
        return largest >= 32 * threads ? threads : 1;
    }

    /** Runs parts 0..parts-1 (in any order, on any of the threads); returns when all have finished. */
    void tasks(int parts, Task task) {
        if (parts <= 1 || workers.length == 0 || stopped || !owner.compareAndSet(0, 1)) {
            for (int p = 0; p < parts; p++) task.run(p);
            return;
        }
        try {
            Job j = new Job(task, parts, Thread.currentThread());
            job = j;
            for (Worker w : workers) if (w.parked) LockSupport.unpark(w);
            work(j);
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (j.done.get() < parts) {
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else LockSupport.parkNanos(this, 50_000);
            }
            Throwable f = j.failure;
            if (f != null) {
                if (f instanceof RuntimeException) throw (RuntimeException) f;
                if (f instanceof Error) throw (Error) f;
                throw new IllegalStateException(f);
            }
        } finally {
            owner.set(0);
        }
    }

    /** Claims and runs parts of {@code j} until none is left. */
    private static void work(Job j) {
        for (int p; (p = j.next.getAndIncrement()) < j.parts; ) {
            try {
                j.task.run(p);
            } catch (Throwable e) {
                if (j.failure == null) j.failure = e;
            }
            if (j.done.incrementAndGet() == j.parts && j.waiter != Thread.currentThread()) LockSupport.unpark(j.waiter);
        }
    }

    void shutdown() {
        stopped = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }

    private final class Worker extends Thread {
        volatile boolean parked;
        private Job seen;

        Worker(int index) {
            super("bottleneck-cpu-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            while (!stopped) {
                long spinUntil = System.nanoTime() + SPIN_NANOS;
                while (job == seen && !stopped) {
                    if (System.nanoTime() < spinUntil) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        if (job == seen && !stopped) LockSupport.park(this);
                        parked = false;
                    }
                }
                if (stopped) return;
                seen = job;
                work(seen);
            }
        }
    }
}
