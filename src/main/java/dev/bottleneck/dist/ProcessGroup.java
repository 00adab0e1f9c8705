package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The ranks of one job after their rendezvous: rank 0 serves the job's store ({@link StoreServer}) on
 * {@code MASTER_ADDR:MASTER_PORT}, every rank (rank 0 too) is a client of it. {@link #join} returns once every rank
 * has arrived, or fails, on every rank that did arrive, with an error naming those that did not.
 *
 * <p>From then on the group watches the job: when a rank leaves without saying goodbye, or reports a failure, or
 * rank 0 goes away, every other rank learns why ({@link #onAbort}); the collectives use that to fail at once
 * instead of waiting for their timeout.
 *
 * <p>Every rank must make the same calls in the same order (keys are numbered by a per-rank counter).
 */
public final class ProcessGroup implements AutoCloseable {
    private final DistEnv env;
    private final Timeouts timeouts;
    private final StoreServer server;
    private final StoreClient client;
    private final List<Consumer<String>> abortListeners = new CopyOnWriteArrayList<>();
    private volatile String abortReason;
    private long sequence;
    private boolean closed;

    private ProcessGroup(DistEnv env, Timeouts timeouts, StoreServer server, StoreClient client) {
        this.env = env;
        this.timeouts = timeouts;
        this.server = server;
        this.client = client;
    }

    /** Meets the other ranks of {@code env}'s job; see the class comment. */
    public static ProcessGroup join(DistEnv env, Timeouts timeouts) {
        long deadline = System.nanoTime() + timeouts.rendezvousMs() * 1_000_000L;
        StoreServer server = env.rank() == 0 ? StoreServer.start(env.masterAddr(), env.masterPort(), env.worldSize()) : null;
        ProcessGroup[] self = new ProcessGroup[1];
        String[] early = new String[1];
        StoreClient client;
        try {
            client = StoreClient.connect(env.masterAddr(), env.masterPort(), env.rank(), env.worldSize(), deadline, reason -> {
                synchronized (self) {
                    if (self[0] == null) early[0] = reason;
                    else self[0].aborted(reason);
                }
            });
        } catch (RuntimeException e) {
            if (server != null) server.close();
            throw e;
        }
        ProcessGroup pg = new ProcessGroup(env, timeouts, server, client);
        synchronized (self) {
            self[0] = pg;
            if (early[0] != null) pg.aborted(early[0]);
        }
        try {
            // every rank waits the rendezvous timeout from its arrival; rank 0 arrives first (the others cannot reach
            // the store before it is up), so its verdict, which it passes on to all, comes first
            client.barrier("rendezvous", timeouts.rendezvousMs(), "rendezvous at " + env.masterAddr() + ":" + env.masterPort());
        } catch (RuntimeException e) {
            if (server != null) {
                // the others hear rank 0's verdict (it names the missing ranks) before its store goes away
                server.abort(e.getMessage());
                StoreClient.sleep(300);
            }
            pg.closeAfterFailure();
            throw e;
        }
        return pg;
    }

    public DistEnv env() { return env; }
    public int rank() { return env.rank(); }
    public int worldSize() { return env.worldSize(); }
    public Timeouts timeouts() { return timeouts; }

    /** The address other ranks can reach this one at (the interface that routes to rank 0). */
    String localAddress() {
        return client.localAddress();
    }

    /** Adds a callback told (once, from another thread) why the job ends early; at once if it already has. */
    void onAbort(Consumer<String> listener) {
        abortListeners.add(listener);
        String r = abortReason;
        if (r != null) listener.accept(r);
    }

    /** Why the job ended early, or null while it runs. */
    public String abortReason() {
        return abortReason;
    }

    private void aborted(String reason) {
        synchronized (this) {
            if (abortReason != null) return;
            abortReason = reason;
        }
        for (Consumer<String> l : abortListeners) {
            try {
                l.accept(reason);
            } catch (RuntimeException ignored) {
                // a listener must not stop the others from hearing about it
            }
        }
    }

    private String nextKey(String what) {
        return what + "/" + (sequence++);
    }

    /** Waits until every rank calls it too; else an error naming the ranks that did not come within the rendezvous timeout. */
    public void barrier(String what) {
        String key = nextKey("barrier/" + what);
        call(() -> {
            client.barrier(key, timeouts.rendezvousMs(), what);
            return null;
        });
    }

    /**
     * Runs a store request; when it fails because the store went away, the reason the job ended (pushed on the
     * control connection, usually a moment earlier) is the better message.
     */
    private <T> T call(java.util.function.Supplier<T> request) {
        try {
            return request.get();
        } catch (BottleneckException e) {
            long until = System.nanoTime() + 1_000_000_000L;
            while (abortReason == null && System.nanoTime() < until) StoreClient.sleep(10);
            String r = abortReason;
            if (r != null && !r.equals(e.getMessage())) throw new BottleneckException(r, e);
            throw e;
        }
    }

    /** Rank {@code root}'s bytes, on every rank ({@code value} is ignored elsewhere). */
    public byte[] broadcastBytes(byte[] value, int root, String what) {
        String key = nextKey("bcast/" + what);
        if (rank() == root) {
            call(() -> {
                client.set(key, value);
                return null;
            });
            return value.clone();
        }
        return call(() -> client.get(key, timeouts.rendezvousMs(), what + " from rank " + root));
    }

    /**
     * The sum over the ranks of small vectors through the store, added in rank order (so the same bits everywhere).
     * One round trip per rank; meant for values read once in a while (losses at sync points), not for gradients.
     */
    public double[] sumThroughStore(double[] values, long timeoutMs) {
        String key = nextKey("sum");
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) b.putDouble(v);
        call(() -> {
            client.set(key + "/" + rank(), b.array());
            return null;
        });
        double[] sum = new double[values.length];
        for (int r = 0; r < worldSize(); r++) {
            int from = r;
            byte[] got = r == rank() ? b.array() : call(() -> client.get(key + "/" + from, timeoutMs, "the values of rank " + from));
            if (got.length != 8 * values.length) throw new BottleneckException("rank " + r + " sent " + got.length / 8 + " values, expected " + values.length);
            ByteBuffer g = ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < values.length; i++) sum[i] += g.getDouble(8 * i);
        }
        return sum;
    }

    void set(String key, byte[] value) {
        call(() -> {
            client.set(key, value);
            return null;
        });
    }

    byte[] get(String key, String waitingFor) {
        return call(() -> client.get(key, timeouts.rendezvousMs(), waitingFor));
    }

    /** Tells every rank that this one failed with {@code message}; then {@link #close} ends the group. */
    public void fail(String message) {
        if (abortReason == null) client.fail(message);
    }

    void closeAfterFailure() {
        closed = true;
        client.close();
        if (server != null) server.close();
    }

    /**
     * Leaves the job: says goodbye, and on rank 0 keeps the store up until every other rank has left too (at most the
     * rendezvous timeout), so that none of them takes rank 0's exit for a failure.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        client.leave();
        if (server != null) {
            server.awaitRanksDone(timeouts.rendezvousMs());
            server.close();
        }
    }

    /** {@code [1, 3]} → {@code "ranks 1 and 3"}; {@code [2]} → {@code "rank 2"}. */
    static String rankList(List<Integer> ranks) {
        if (ranks.size() == 1) return "rank " + ranks.get(0);
        if (ranks.size() > 12) {
            return "ranks " + ranks.subList(0, 12).stream().map(String::valueOf).collect(Collectors.joining(", ")) + " and "
                    + (ranks.size() - 12) + " more";
        }
        String all = ranks.stream().map(String::valueOf).collect(Collectors.joining(", "));
        int last = all.lastIndexOf(", ");
        return "ranks " + (last < 0 ? all : all.substring(0, last) + " and " + all.substring(last + 2));
    }

    static String seconds(long ms) {
        return ms % 1000 == 0 ? (ms / 1000) + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
}
