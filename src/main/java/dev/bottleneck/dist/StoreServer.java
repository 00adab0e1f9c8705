package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.bottleneck.dist.StoreProtocol.*;

/**
 * The job's key-value store, served by rank 0 on {@code MASTER_ADDR:MASTER_PORT} (see {@link StoreProtocol}). It
 * holds small values (addresses, the NCCL unique id, the training state at start), runs barriers that name the
 * ranks that did not arrive, and watches the ranks: a rank whose control connection closes before it said goodbye
 * aborts the job, and every other rank is told why.
 */
final class StoreServer implements AutoCloseable {
    private final int world;
    private final ServerSocket socket;
    private final Object lock = new Object();
    private final Map<String, byte[]> values = new HashMap<>();
    private final Map<String, Set<Integer>> barriers = new HashMap<>();
    /** Barriers that timed out, with the message naming their missing ranks. */
    private final Map<String, String> failedBarriers = new HashMap<>();
    private final Set<Integer> joined = new HashSet<>();
    private final Set<Integer> live = new HashSet<>();
    private final Set<Integer> done = new HashSet<>();
    private final List<Connection> controls = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private String abortReason;
    private volatile boolean closed;

    private StoreServer(int world, ServerSocket socket) {
        this.world = world;
        this.socket = socket;
    }

    /**
     * Listens on {@code port}: on the loopback interface when {@code masterAddr} is a loopback address, else on every
     * interface (other machines reach it as {@code masterAddr}).
     */
    static StoreServer start(String masterAddr, int port, int world) {
        ServerSocket s = null;
        try {
            InetAddress a = InetAddress.getByName(masterAddr);
            s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(a.isLoopbackAddress() ? new InetSocketAddress(a, port) : new InetSocketAddress(port), 256);
        } catch (BindException e) {
            close(s);
            throw new BottleneckException("rank 0 cannot serve the job's store on port " + port + " (" + e.getMessage()
                    + "): another job may be using it; choose another MASTER_PORT / --master-port");
        } catch (IOException e) {
            close(s);
            throw new BottleneckException("rank 0 cannot serve the job's store on " + masterAddr + ":" + port + ": " + e.getMessage());
        }
        StoreServer server = new StoreServer(world, s);
        Thread t = new Thread(server::acceptLoop, "bottleneck-store-accept");
        t.setDaemon(true);
        t.start();
        return server;
    }

    int port() {
        return socket.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket c = socket.accept();
                synchronized (lock) {
                    if (closed) {
                        close(c);
                        return;
                    }
                    sockets.add(c);
                }
                Thread t = new Thread(() -> serve(c), "bottleneck-store-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    /** One connection: its hello, then requests until it closes. */
    private void serve(Socket s) {
        int rank = -1;
        boolean control = false;
        Connection conn = null;
        boolean saidBye = false;
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout(30_000); // the hello must come quickly
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
            conn = new Connection(out);
            if (in.readByte() != HELLO || in.readInt() != MAGIC) {
                close(s); // not one of ours
                return;
            }
            int version = in.readInt();
            byte role = in.readByte();
            rank = in.readInt();
            int theirWorld = in.readInt();
            String host = in.readUTF();
            String problem = null;
            if (version != VERSION) problem = "rank " + rank + " speaks store protocol " + version + ", rank 0 speaks " + VERSION
                    + ": every rank must run the same Bottleneck version";
            else if (theirWorld != world) problem = "rank " + rank + " (on " + host + ") was started with a world size of " + theirWorld
                    + ", rank 0 with " + world + ": every rank must get the same WORLD_SIZE";
            else if (rank < 0 || rank >= world) problem = "rank " + rank + " (on " + host + ") is not in [0, " + world + ")";
            control = role == ROLE_CONTROL;
            if (problem == null && control) {
                synchronized (lock) {
                    if (joined.contains(rank)) problem = "two processes claim rank " + rank + " (the second on " + host
                            + "): every rank must get its own RANK";
                    else {
                        joined.add(rank);
                        live.add(rank);
                        controls.add(conn);
                    }
                }
            }
            if (problem != null) {
                conn.send(ERR, problem);
                rank = -1;
                control = false;
                return;
            }
            conn.send(OK, null);
            s.setSoTimeout(0); // from here on a rank may be quiet for as long as it trains
            if (control) {
                synchronized (lock) {
                    if (abortReason != null) conn.send(ABORT, abortReason);
                }
                while (true) {
                    byte op = in.readByte();
                    if (op == BYE) {
                        synchronized (lock) {
                            done.add(rank);
                            lock.notifyAll();
                        }
                        saidBye = true;
                        conn.send(OK, null);
                    }
                }
            }
            while (true) {
                byte op = in.readByte();
                switch (op) {
                    case SET -> {
                        String key = in.readUTF();
                        byte[] v = readValue(in);
                        synchronized (lock) {
                            values.put(key, v);
                            lock.notifyAll();
                        }
                        conn.send(OK, null);
                    }
                    case GET -> {
                        String key = in.readUTF();
                        long timeout = in.readLong();
                        get(conn, key, timeout);
                    }
                    case BARRIER -> {
                        String name = in.readUTF();
                        long timeout = in.readLong();
                        barrier(conn, name, rank, timeout);
                    }
                    case FAIL -> {
                        String message = in.readUTF();
                        abort("rank " + rank + " failed: " + message);
                        conn.send(OK, null);
                    }
                    default -> throw new IOException("unknown store request " + op);
                }
            }
        } catch (IOException e) {
            // the connection ended; for a control connection that decides whether the rank left early
        } finally {
            close(s);
            if (control && rank >= 0) {
                boolean early;
                synchronized (lock) {
                    live.remove(rank);
                    controls.remove(conn);
                    early = !done.contains(rank) && !saidBye;
                    lock.notifyAll();
                }
                if (early && !closed) abort("rank " + rank + " left the job before it finished (it failed or was killed; see its own error)");
            }
        }
    }

    private void get(Connection conn, String key, long timeoutMs) throws IOException {
        long deadline = System.nanoTime() + Math.max(0, timeoutMs) * 1_000_000L;
        byte[] v;
        String abort;
        synchronized (lock) {
            while ((v = values.get(key)) == null && abortReason == null && !closed) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) break;
                waitOn(left);
            }
            abort = abortReason;
        }
        if (v != null) {
            conn.sendValue(v);
        } else if (abort != null) {
            conn.send(ABORT, abort);
        } else {
            conn.send(TIMEOUT, null);
        }
    }

    /**
     * Waits until every rank has arrived. The first waiter whose time runs out fails the barrier for everyone with
     * one message naming the missing ranks (and ends the job with it), so every rank reports the same line, whoever
     * gives up first.
     */
    private void barrier(Connection conn, String name, int rank, long timeoutMs) throws IOException {
        long deadline = System.nanoTime() + Math.max(0, timeoutMs) * 1_000_000L;
        String failed = null, abort = null;
        boolean complete;
        synchronized (lock) {
            Set<Integer> arrived = barriers.computeIfAbsent(name, k -> new HashSet<>());
            arrived.add(rank);
            lock.notifyAll();
            while (arrived.size() < world && abortReason == null && !closed) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) break;
                waitOn(left);
            }
            complete = arrived.size() >= world;
            if (!complete) {
                failed = failedBarriers.get(name);
                if (failed == null && abortReason == null && !closed) {
                    List<Integer> missing = new ArrayList<>();
                    for (int r = 0; r < world; r++) if (!arrived.contains(r)) missing.add(r);
                    failed = ProcessGroup.rankList(missing) + " of " + world + " did not arrive within " + ProcessGroup.seconds(timeoutMs);
                    failedBarriers.put(name, failed);
                }
                abort = abortReason;
            }
        }
        if (complete) {
            conn.send(OK, null);
        } else if (failed != null) {
            abort(failed); // the job cannot go on without them; a rank that leaves now changes nothing
            conn.send(ERR, failed);
        } else {
            conn.send(ABORT, abort != null ? abort : "the job's store is closing");
        }
    }

    private void waitOn(long ms) {
        try {
            lock.wait(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends the job: every waiting request and every control connection gets {@code reason} (the first one wins). */
    void abort(String reason) {
        List<Connection> to;
        synchronized (lock) {
            if (abortReason != null) return;
            abortReason = reason;
            lock.notifyAll();
            to = new ArrayList<>(controls);
        }
        for (Connection c : to) {
            try {
                c.send(ABORT, reason);
            } catch (IOException ignored) {
                // that rank is gone already
            }
        }
    }

    /** Waits until no rank that joined is still connected without having said goodbye (at most {@code timeoutMs}). */
    void awaitRanksDone(long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        synchronized (lock) {
            while (true) {
                boolean waiting = false;
                for (int r : live) if (!done.contains(r)) waiting = true;
                if (!waiting || abortReason != null) return;
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) return;
                waitOn(left);
            }
        }
    }

    @Override
    public void close() {
        List<Socket> all;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            lock.notifyAll();
            all = new ArrayList<>(sockets);
        }
        close(socket);
        for (Socket s : all) close(s);
    }

    private static byte[] readValue(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_VALUE) throw new IOException("store value of " + n + " bytes");
        byte[] v = new byte[n];
        in.readFully(v);
        return v;
    }

    private static void close(java.io.Closeable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** The sending side of one connection; replies and pushes may come from different threads. */
    private static final class Connection {
        private final DataOutputStream out;

        Connection(DataOutputStream out) {
            this.out = out;
        }

        synchronized void send(byte status, String message) throws IOException {
            out.writeByte(status);
            if (message != null) out.writeUTF(clip(message));
            out.flush();
        }

        synchronized void sendValue(byte[] v) throws IOException {
            out.writeByte(OK);
            out.writeInt(v.length);
            out.write(v);
            out.flush();
        }

        private static String clip(String s) {
            return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
        }
    }
}
