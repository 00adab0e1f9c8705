package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Collectives over TCP between the ranks, on host copies of the tensors: every rank connects to the next one
 * ({@code (r + 1) mod W}) and accepts the previous one, and data only ever flows that way round the ring.
 *
 * <p><b>All-reduce</b> is the bandwidth-optimal ring: the vector is cut into W chunks; in W - 1 reduce-scatter steps
 * each rank sends one chunk to the next rank and adds the chunk it receives from the previous one, so chunk c is
 * summed as {@code ((x_c + x_(c+1)) + x_(c+2)) + ...} round the ring, always in that order; in W - 1 all-gather steps
 * the finished chunks travel on and are copied. Each rank sends and receives 2 (W - 1) / W of the vector. The order
 * of the additions depends only on W, so a run repeats bit for bit, and every rank ends with the same bits (each
 * chunk is summed once, then copied). Sums are float32 for float32 tensors, float64 for host vectors.
 *
 * <p>Every message carries the collective's number and step, so ranks that call different collectives fail with an
 * error instead of mixing data. Reads time out after the collective timeout, sends are watched for as long; a closed
 * connection or an abort from the job's store ({@link ProcessGroup#onAbort}) fails the call in progress at once.
 */
public final class TcpRing implements Collective {
    private static final int MAGIC = 0x424E5247; // "BNRG"
    private static final int HEADER = 16;
    private static final int REDUCE = 1, GATHER = 2, BROADCAST = 3;
    private static final int SOCKET_BUFFER = 4 << 20;

    private final ProcessGroup group;
    private final Backend backend;
    private final int rank, world;
    private final long timeoutMs;
    private final Socket next, prev;
    private final OutputStream nextOut;
    private final InputStream prevIn;
    private final ExecutorService sender;
    private byte[] sendBuf = new byte[HEADER], recvBuf = new byte[HEADER];
    private float[] hostFloats = new float[0];
    private double[] hostDoubles = new double[0];
    private long sequence;
    private volatile String abortReason;

    private TcpRing(ProcessGroup group, Backend backend, Socket next, Socket prev) throws IOException {
        this.group = group;
        this.backend = backend;
        this.rank = group.rank();
        this.world = group.worldSize();
        this.timeoutMs = group.timeouts().collectiveMs();
        this.next = next;
        this.prev = prev;
        this.nextOut = next == null ? null : next.getOutputStream();
        this.prevIn = prev == null ? null : new BufferedInputStream(prev.getInputStream(), 1 << 16);
        this.sender = next == null ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bottleneck-ring-send");
            t.setDaemon(true);
            return t;
        });
        group.onAbort(this::abort);
    }

    /**
     * Connects the ring of {@code group}; {@code backend} is the one whose tensors {@link #allReduceSum} and
     * {@link #broadcast} take (copied through the host).
     */
    public static TcpRing open(ProcessGroup group, Backend backend) {
        int rank = group.rank(), world = group.worldSize();
        try {
            if (world == 1) return new TcpRing(group, backend, null, null);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        long rendezvous = group.timeouts().rendezvousMs();
        int nextRank = (rank + 1) % world, prevRank = (rank + world - 1) % world;
        ServerSocket listen = null;
        Socket out = null, in = null;
        try {
            listen = new ServerSocket();
            listen.setReceiveBufferSize(SOCKET_BUFFER);
            String host = group.localAddress();
            listen.bind(new InetSocketAddress(host, 0), 8);
            listen.setSoTimeout((int) Math.min(Integer.MAX_VALUE, rendezvous));
            group.set("ring/" + rank, (host + ":" + listen.getLocalPort()).getBytes(StandardCharsets.UTF_8));
            String addr = new String(group.get("ring/" + nextRank, "the ring address of rank " + nextRank), StandardCharsets.UTF_8);
            int colon = addr.lastIndexOf(':');
            out = new Socket();
            out.setTcpNoDelay(true);
            out.setSendBufferSize(SOCKET_BUFFER);
            out.connect(new InetSocketAddress(addr.substring(0, colon), Integer.parseInt(addr.substring(colon + 1))),
                    (int) Math.min(Integer.MAX_VALUE, rendezvous));
            DataOutputStream hello = new DataOutputStream(out.getOutputStream());
            hello.writeInt(MAGIC);
            hello.writeInt(rank);
            hello.flush();
            while (true) {
                in = listen.accept();
                in.setTcpNoDelay(true);
                in.setSoTimeout(30_000);
                DataInputStream h = new DataInputStream(in.getInputStream());
                int magic = h.readInt(), from = h.readInt();
                if (magic == MAGIC && from == prevRank) break;
                StoreClient.closeQuietly(in); // not our neighbour: keep waiting for it
                in = null;
            }
            in.setSoTimeout((int) Math.min(Integer.MAX_VALUE, group.timeouts().collectiveMs()));
            return new TcpRing(group, backend, out, in);
        } catch (SocketTimeoutException e) {
            StoreClient.closeQuietly(out);
            StoreClient.closeQuietly(in);
            throw new BottleneckException("rank " + prevRank + " did not connect its ring to rank " + rank + " within the rendezvous timeout");
        } catch (IOException | RuntimeException e) {
            StoreClient.closeQuietly(out);
            StoreClient.closeQuietly(in);
            if (e instanceof BottleneckException b) throw b;
            throw new BottleneckException("rank " + rank + " cannot connect its ring to rank " + nextRank + ": " + e.getMessage());
        } finally {
            StoreClient.closeQuietly(listen);
        }
    }

    @Override public int rank() { return rank; }
    @Override public int worldSize() { return world; }

    @Override
    public String describe() {
        return "TCP ring over " + world + (world == 1 ? " rank" : " ranks") + " (host copies)";
    }

    @Override
    public void allReduceSum(Tensor t) {
        check();
        if (world == 1) return;
        int n = Math.toIntExact(t.size());
        if (backend.dtype() == DType.F64) {
            if (hostDoubles.length != n) hostDoubles = new double[n];
            backend.memory().download(t, hostDoubles, 0);
            allReduce(new DoubleVec(hostDoubles));
            backend.memory().upload(hostDoubles, 0, t);
        } else {
            if (hostFloats.length != n) hostFloats = new float[n];
            backend.memory().download(t, hostFloats, 0);
            allReduce(new FloatVec(hostFloats));
            backend.memory().upload(hostFloats, 0, t);
        }
    }

    /** The ring all-reduce of host floats, in place (public for tests and benchmarks). */
    public void allReduceSum(float[] data) {
        check();
        if (world > 1) allReduce(new FloatVec(data));
    }

    @Override
    public double[] sumHost(double[] values) {
        check();
        double[] v = values.clone();
        if (world > 1) allReduce(new DoubleVec(v));
        return v;
    }

    @Override
    public void broadcast(Tensor t, int root) {
        check();
        if (world == 1) return;
        int n = Math.toIntExact(t.size());
        if (backend.dtype() == DType.F64) {
            double[] h = new double[n];
            if (rank == root) backend.memory().download(t, h, 0);
            chain(new DoubleVec(h), root);
            if (rank != root) backend.memory().upload(h, 0, t);
        } else {
            float[] h = new float[n];
            if (rank == root) backend.memory().download(t, h, 0);
            chain(new FloatVec(h), root);
            if (rank != root) backend.memory().upload(h, 0, t);
        }
    }

    private int mod(int i) {
        return ((i % world) + world) % world;
    }

    private static int start(int chunk, int n, int w) {
        return (int) ((long) chunk * n / w);
    }

    private void allReduce(Vec v) {
        long s = ++sequence;
        int n = v.length();
        for (int k = 0; k < world - 1; k++) {
            int send = mod(rank - k), recv = mod(rank - k - 1);
            exchange(v, s, REDUCE << 16 | k, start(send, n, world), start(send + 1, n, world), start(recv, n, world),
                    start(recv + 1, n, world), true, true, true);
        }
        for (int k = 0; k < world - 1; k++) {
            int send = mod(rank + 1 - k), recv = mod(rank - k);
            exchange(v, s, GATHER << 16 | k, start(send, n, world), start(send + 1, n, world), start(recv, n, world),
                    start(recv + 1, n, world), false, true, true);
        }
    }

    /** Root's vector passed along the ring: root → root + 1 → ... → root - 1. */
    private void chain(Vec v, int root) {
        long s = ++sequence;
        int n = v.length();
        boolean receives = rank != root, sends = mod(rank + 1) != root;
        exchange(v, s, BROADCAST << 16, 0, n, 0, n, false, sends && !receives, receives);
        if (receives && sends) exchange(v, s, BROADCAST << 16, 0, n, 0, n, false, true, false);
    }

    /**
     * One step: sends elements [sFrom, sTo) to the next rank while receiving [rFrom, rTo) from the previous one,
     * added to or copied over the local ones.
     */
    private void exchange(Vec v, long seq, int tag, int sFrom, int sTo, int rFrom, int rTo, boolean add, boolean send, boolean receive) {
        int eb = v.elementBytes();
        Future<?> sent = null;
        if (send) {
            int sCount = sTo - sFrom, bytes = HEADER + sCount * eb;
            if (sendBuf.length < bytes) sendBuf = new byte[bytes];
            ByteBuffer sb = ByteBuffer.wrap(sendBuf, 0, bytes).order(ByteOrder.LITTLE_ENDIAN);
            sb.putInt(tag).putLong(seq).putInt(sCount);
            v.write(sb, sFrom, sCount);
            byte[] buf = sendBuf;
            try {
                sent = sender.submit(() -> {
                    nextOut.write(buf, 0, bytes);
                    nextOut.flush();
                    return null;
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                throw failure("the collectives of rank " + rank + " were closed"); // aborted a moment ago
            }
        }
        int peer = mod(rank - 1);
        try {
            if (receive) {
                int rCount = rTo - rFrom, bytes = HEADER + rCount * eb;
                if (recvBuf.length < bytes) recvBuf = new byte[bytes];
                readFully(prevIn, recvBuf, 0, HEADER);
                ByteBuffer hb = ByteBuffer.wrap(recvBuf, 0, HEADER).order(ByteOrder.LITTLE_ENDIAN);
                int gotTag = hb.getInt();
                long gotSeq = hb.getLong();
                int gotCount = hb.getInt();
                if (gotTag != tag || gotSeq != seq || gotCount != rCount) {
                    throw broken("the ranks are out of step: rank " + peer + " sent collective " + gotSeq + " (" + describeTag(gotTag)
                            + ", " + gotCount + " values) while rank " + rank + " expected collective " + seq + " (" + describeTag(tag)
                            + ", " + rCount + " values): every rank must make the same collective calls");
                }
                readFully(prevIn, recvBuf, HEADER, rCount * eb);
                ByteBuffer rb = ByteBuffer.wrap(recvBuf, HEADER, rCount * eb).slice().order(ByteOrder.LITTLE_ENDIAN);
                if (add) v.add(rb, rFrom, rCount);
                else v.set(rb, rFrom, rCount);
            }
            if (sent != null) sent.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (SocketTimeoutException e) {
            throw failure("rank " + peer + " sent nothing to rank " + rank + " for " + ProcessGroup.seconds(timeoutMs)
                    + " during a collective: it is stuck or its machine is unreachable (see --collective-timeout)");
        } catch (TimeoutException e) {
            throw failure("rank " + mod(rank + 1) + " took no data from rank " + rank + " for " + ProcessGroup.seconds(timeoutMs)
                    + " during a collective: it is stuck or its machine is unreachable (see --collective-timeout)");
        } catch (EOFException e) {
            throw failure("rank " + peer + " closed its connection to rank " + rank + " during a collective: it failed or was killed");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw failure("lost the connection from rank " + rank + " to rank " + mod(rank + 1) + " (" + c.getClass().getSimpleName()
                    + (c.getMessage() == null ? "" : ": " + c.getMessage()) + "): it failed or was killed");
        } catch (IOException e) {
            throw failure("lost the connection from rank " + peer + " to rank " + rank + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "): it failed or was killed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted during a collective");
        } catch (BottleneckException e) {
            throw e;
        }
    }

    private static String describeTag(int tag) {
        int op = tag >>> 16;
        return (op == REDUCE ? "all-reduce" : op == GATHER ? "all-reduce" : op == BROADCAST ? "broadcast" : "op " + op)
                + " step " + (tag & 0xFFFF);
    }

    private static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int r = in.read(b, off, len);
            if (r < 0) throw new EOFException();
            off += r;
            len -= r;
        }
    }

    /**
     * A failure seen on this rank's own connections. When a rank dies, the job's store usually says so first (and
     * names it), so that reason is preferred if it comes within a moment.
     */
    private BottleneckException failure(String local) {
        String reason = abortReason;
        long until = System.nanoTime() + 2_000_000_000L;
        while (reason == null && group.abortReason() == null && System.nanoTime() < until) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            reason = abortReason;
        }
        if (reason == null) reason = group.abortReason();
        return broken(reason != null ? reason : local);
    }

    private BottleneckException broken(String reason) {
        abort(reason);
        return new BottleneckException(abortReason);
    }

    private void check() {
        String r = abortReason;
        if (r != null) throw new BottleneckException(r);
    }

    @Override
    public void abort(String reason) {
        synchronized (this) {
            if (abortReason != null) return;
            abortReason = reason;
        }
        closeSockets();
    }

    private void closeSockets() {
        StoreClient.closeQuietly(next);
        StoreClient.closeQuietly(prev);
        if (sender != null) sender.shutdownNow();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (abortReason == null) abortReason = "the collectives of this rank are closed";
        }
        closeSockets();
    }

    /** Elements of one vector as seen by the ring: written to, added from and copied from little-endian bytes. */
    private interface Vec {
        int length();

        int elementBytes();

        void write(ByteBuffer b, int from, int count);

        void add(ByteBuffer b, int from, int count);

        void set(ByteBuffer b, int from, int count);
    }

    private record FloatVec(float[] a) implements Vec {
        public int length() { return a.length; }
        public int elementBytes() { return 4; }
        public void write(ByteBuffer b, int from, int count) { b.asFloatBuffer().put(a, from, count); }
        public void set(ByteBuffer b, int from, int count) { b.asFloatBuffer().get(a, from, count); }

        public void add(ByteBuffer b, int from, int count) {
            java.nio.FloatBuffer f = b.asFloatBuffer();
            for (int i = 0; i < count; i++) a[from + i] = f.get(i) + a[from + i];
        }
    }

    private record DoubleVec(double[] a) implements Vec {
        public int length() { return a.length; }
        public int elementBytes() { return 8; }
        public void write(ByteBuffer b, int from, int count) { b.asDoubleBuffer().put(a, from, count); }
        public void set(ByteBuffer b, int from, int count) { b.asDoubleBuffer().get(a, from, count); }

        public void add(ByteBuffer b, int from, int count) {
            java.nio.DoubleBuffer f = b.asDoubleBuffer();
            for (int i = 0; i < count; i++) a[from + i] = f.get(i) + a[from + i];
        }
    }
}
