package dev.bottleneck.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a loop over [0, n) into a fixed number of contiguous chunks. Chunk boundaries depend only on n and
 * the thread count, so reductions combined in chunk order are deterministic run to run.
 */
final class Parallel {
    /** Below this many elements a loop runs on the calling thread (forking costs more than it saves). */
    static final long GRAIN = 1L << 15;

    interface Body {
        void run(int lo, int hi);
    }

    interface Partial {
        double run(int lo, int hi);
    }

    private final int threads;
    private final ForkJoinPool pool;

    Parallel(int threads) {
        this.threads = Math.max(1, threads);
        this.pool = this.threads > 1 ? new ForkJoinPool(this.threads - 1, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setDaemon(true);
            t.setName("bottleneck-cpu-" + t.getPoolIndex());
            return t;
        }, null, false) : null;
    }

    int threads() { return threads; }

    int chunks(long n) {
        if (pool == null || n < 2 * GRAIN) return 1;
        return (int) Math.min(threads, n / GRAIN);
    }

    void range(long n, Body body) {
        int c = chunks(n);
        if (c == 1) {
            body.run(0, (int) n);
            return;
        }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(c - 1);
        for (int k = 1; k < c; k++) {
            int lo = (int) (n * k / c), hi = (int) (n * (k + 1) / c);
            tasks.add(pool.submit(() -> body.run(lo, hi)));
        }
        body.run(0, (int) (n / c));
        for (ForkJoinTask<?> t : tasks) t.join();
    }

    /** Sum of per-chunk partial results, added in chunk order. */
    double sum(long n, Partial body) {
        int c = chunks(n);
        if (c == 1) return body.run(0, (int) n);
        List<ForkJoinTask<Double>> tasks = new ArrayList<>(c - 1);
        for (int k = 1; k < c; k++) {
            int lo = (int) (n * k / c), hi = (int) (n * (k + 1) / c);
            tasks.add(pool.submit(() -> body.run(lo, hi)));
        }
        double s = body.run(0, (int) (n / c));
        for (ForkJoinTask<Double> t : tasks) s += t.join();
        return s;
    }

    interface Task {
        void run(int part);
    }

    /** How many parts to split a GEMM into: 1 below ~2 MFLOP or when no dimension is worth splitting. */
    int gemmParts(int m, int n, int k) {
        if (pool == null || 2.0 * m * n * k < 4e6) return 1;
        int largest = Math.max(m, n);
        return largest >= 32 * threads ? threads : 1;
    }

    /** Runs parts 0..parts-1, part 0 on the calling thread. */
    void tasks(int parts, Task task) {
        List<ForkJoinTask<?>> tasks = new ArrayList<>(parts - 1);
        for (int p = 1; p < parts; p++) {
            int part = p;
            tasks.add(pool.submit(() -> task.run(part)));
        }
        task.run(0);
        for (ForkJoinTask<?> t : tasks) t.join();
    }

    void shutdown() {
        if (pool != null) pool.shutdownNow();
    }
}
