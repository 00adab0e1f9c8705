package dev.bottleneck.dist;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Runs the ranks of a job as threads of the test JVM, on localhost and a free port. */
final class Ranks {
    private Ranks() {}

    /** The outcome of one rank: its value, or what it threw. */
    record Outcome<T>(T value, Throwable error) {
        T get() {
            if (error != null) throw new AssertionError("the rank failed: " + error, error);
            return value;
        }
    }

    interface Body<T> {
        T run(int rank) throws Exception;
    }

    /**
     * A port for rank 0's store that is free now, chosen below the kernel's ephemeral range (32768 and up on Linux),
     * so that no outgoing connection or other test's {@code bind(0)} takes it before rank 0 binds it.
     */
    static int freePort() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = r.nextInt(20_000, 32_000);
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException e) {
                // taken: try another
            }
        }
        throw new AssertionError("no free port in [20000, 32000)");
    }

    /** Runs {@code body} for each rank in {@code ranks} at once and waits (at most {@code limitS} seconds) for all of them. */
    static <T> List<Outcome<T>> run(int[] ranks, double limitS, Body<T> body) {
        ExecutorService pool = Executors.newFixedThreadPool(ranks.length);
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int r : ranks) fs.add(pool.submit(() -> body.run(r)));
            List<Outcome<T>> out = new ArrayList<>();
            long deadline = System.nanoTime() + (long) (limitS * 1e9);
            for (Future<T> f : fs) {
                try {
                    out.add(new Outcome<>(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS), null));
                } catch (java.util.concurrent.ExecutionException e) {
                    out.add(new Outcome<>(null, e.getCause()));
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("a rank hung for more than " + limitS + " s");
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static <T> List<Outcome<T>> all(int world, double limitS, Body<T> body) {
        int[] r = new int[world];
        for (int i = 0; i < world; i++) r[i] = i;
        return run(r, limitS, body);
    }
}
