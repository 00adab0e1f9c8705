package dev.bottleneck.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The persistent workers: every part runs once, nested and concurrent calls run on their caller, failures surface. */
class ParallelTest {
    private interface PoolUse {
        void run(Parallel par) throws Exception;
    }

    private static void withPool(int threads, PoolUse use) throws Exception {
        Parallel par = new Parallel(threads);
        try {
            use.run(par);
        } finally {
            par.shutdown();
        }
    }

    @Test
    void everyPartRunsExactlyOnceOverManyBackToBackJobs() throws Exception {
        withPool(4, par -> {
            for (int job = 0; job < 20_000; job++) {
                int parts = 1 + job % 7;
                AtomicIntegerArray ran = new AtomicIntegerArray(parts);
                par.tasks(parts, ran::incrementAndGet);
                for (int p = 0; p < parts; p++) assertEquals(1, ran.get(p), "job " + job + " part " + p);
            }
        });
    }

    @Test
    void sumsAreTheSameWhicheverThreadRanAChunk() throws Exception {
        withPool(3, par -> {
            long n = 10 * Parallel.GRAIN + 17;
            double first = par.sum(n, (lo, hi) -> { double s = 0; for (int i = lo; i < hi; i++) s += 1.0 / (1 + i); return s; });
            for (int k = 0; k < 200; k++) {
                double again = par.sum(n, (lo, hi) -> { double s = 0; for (int i = lo; i < hi; i++) s += 1.0 / (1 + i); return s; });
                assertEquals(Double.doubleToLongBits(first), Double.doubleToLongBits(again));
            }
        });
    }

    @Test
    void aNestedCallRunsOnItsCallerAndAFailureReachesTheCaller() throws Exception {
        withPool(2, par -> {
            AtomicInteger inner = new AtomicInteger();
            par.tasks(2, p -> par.tasks(3, q -> inner.incrementAndGet()));
            assertEquals(6, inner.get());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> par.tasks(4, p -> {
                if (p == 2) throw new IllegalStateException("part 2 failed");
            }));
            assertEquals("part 2 failed", e.getMessage());
            AtomicInteger after = new AtomicInteger();
            par.tasks(4, p -> after.incrementAndGet()); // the pool still works after a failure
            assertEquals(4, after.get());
        });
    }

    @Test
    void twoThreadsSharingOneBackendBothFinish() throws Exception {
        withPool(2, par -> {
            AtomicInteger total = new AtomicInteger();
            Runnable r = () -> { for (int i = 0; i < 5000; i++) par.tasks(2, p -> total.incrementAndGet()); };
            Thread t = new Thread(r);
            t.start();
            r.run();
            t.join();
            assertEquals(20_000, total.get());
        });
    }
}
