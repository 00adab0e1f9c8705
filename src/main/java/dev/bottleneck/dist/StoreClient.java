package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import static dev.bottleneck.dist.StoreProtocol.*;

/**
 * One rank's connections to the job's store ({@link StoreServer} on rank 0). Every call has a deadline; none can
 * wait forever. The control connection is read by a daemon thread that reports, once, why the job ended early:
 * an abort pushed by the server, or the server itself going away.
 */
final class StoreClient implements AutoCloseable {
    /** Extra time a reply may take beyond the deadline the server works to. */
    private static final int REPLY_MARGIN_MS = 10_000;

    private final String where;
    private final String addr;
    private final int port, rank, world;
    private final Socket request;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final Socket control;
    private final DataOutputStream controlOut;
    private final AtomicBoolean reported = new AtomicBoolean();
    private final Consumer<String> onAbort;
    private volatile boolean leaving;

    private StoreClient(String addr, int port, int rank, int world, Socket request, Socket control, Consumer<String> onAbort)
            throws IOException {
        this.addr = addr;
        this.port = port;
        this.rank = rank;
        this.world = world;
        this.where = addr + ":" + port;
        this.request = request;
        this.in = new DataInputStream(new BufferedInputStream(request.getInputStream()));
        this.out = new DataOutputStream(new BufferedOutputStream(request.getOutputStream()));
        this.control = control;
        this.controlOut = new DataOutputStream(new BufferedOutputStream(control.getOutputStream()));
        this.onAbort = onAbort;
    }

    /**
     * Connects to the store at {@code addr:port} as {@code rank} of {@code world}, retrying while rank 0 is not up
     * yet, until {@code deadlineNanos} ({@link System#nanoTime} time).
     *
     * @param onAbort told (once, from another thread) why the job ends early
     */
    static StoreClient connect(String addr, int port, int rank, int world, long deadlineNanos, Consumer<String> onAbort) {
        String where = addr + ":" + port;
        Socket req = null, ctl = null;
        try {
            req = open(addr, port, deadlineNanos, rank);
            ctl = open(addr, port, deadlineNanos, rank);
            String host = hostName(req);
            hello(req, ROLE_REQUEST, rank, world, host, where);
            hello(ctl, ROLE_CONTROL, rank, world, host, where);
            StoreClient c = new StoreClient(addr, port, rank, world, req, ctl, onAbort);
            Thread t = new Thread(c::watchControl, "bottleneck-store-control");
            t.setDaemon(true);
            t.start();
            return c;
        } catch (IOException e) {
            closeQuietly(req);
            closeQuietly(ctl);
            throw new BottleneckException("rank " + rank + " lost the job's store at " + where + " while joining: " + e.getMessage());
        } catch (RuntimeException e) {
            closeQuietly(req);
            closeQuietly(ctl);
            throw e;
        }
    }

    private static Socket open(String addr, int port, long deadlineNanos, int rank) throws IOException {
        IOException last = null;
        while (true) {
            long left = (deadlineNanos - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                String why = last == null ? "" : " (" + last.getClass().getSimpleName() + ": " + last.getMessage() + ")";
                throw new BottleneckException("rendezvous failed: rank 0 did not arrive: its store at " + addr + ":" + port
                        + " did not answer rank " + rank + " within the rendezvous timeout" + why
                        + "; check that rank 0 runs and that MASTER_ADDR/MASTER_PORT name its host and a free port");
            }
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(addr, port), (int) Math.min(left, 2_000));
                if (s.isConnected()) return s;
            } catch (ConnectException | SocketTimeoutException | NoRouteToHostException | UnknownHostException e) {
                last = e; // rank 0 is not listening yet, or its name does not resolve yet (pods come up one by one)
            } catch (IllegalArgumentException e) {
                last = new IOException(e.getMessage());
            }
            closeQuietly(s);
            sleep(Math.min(200, Math.max(1, left)));
        }
    }

    private static void hello(Socket s, byte role, int rank, int world, String host, String where) throws IOException {
        s.setSoTimeout(30_000);
        DataOutputStream o = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
        o.writeByte(HELLO);
        o.writeInt(MAGIC);
        o.writeInt(VERSION);
        o.writeByte(role);
        o.writeInt(rank);
        o.writeInt(world);
        o.writeUTF(host);
        o.flush();
        DataInputStream i = new DataInputStream(s.getInputStream());
        byte st;
        try {
            st = i.readByte();
        } catch (IOException e) {
            throw new IOException("the store at " + where + " closed the connection at hello (is it a Bottleneck job's store?)");
        }
        if (st == ERR) throw new BottleneckException("rendezvous refused: " + i.readUTF());
        if (st != OK) throw new IOException("unexpected answer " + st + " to hello");
        s.setSoTimeout(0);
    }

    private static String hostName(Socket s) {
        String h = System.getenv("HOSTNAME");
        return h != null && !h.isBlank() ? h : s.getLocalAddress().getHostAddress();
    }

    /** The address other ranks reach this one at: the local end of the connection to rank 0. */
    String localAddress() {
        return request.getLocalAddress().getHostAddress();
    }

    synchronized void set(String key, byte[] value) {
        try {
            request.setSoTimeout(REPLY_MARGIN_MS * 3);
            out.writeByte(SET);
            out.writeUTF(key);
            out.writeInt(value.length);
            out.write(value);
            out.flush();
            expectOk("set " + key);
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /**
     * The value of {@code key} once some rank has set it.
     *
     * @param waitingFor what the value stands for, for the timeout message ("the NCCL id from rank 0")
     */
    synchronized byte[] get(String key, long timeoutMs, String waitingFor) {
        try {
            byte st = waitingRequest(GET, key, timeoutMs);
            switch (st) {
                case OK -> {
                    int n = in.readInt();
                    if (n < 0 || n > MAX_VALUE) throw new IOException("value of " + n + " bytes");
                    byte[] v = new byte[n];
                    in.readFully(v);
                    return v;
                }
                case TIMEOUT -> throw new BottleneckException("waited " + ProcessGroup.seconds(timeoutMs) + " for " + waitingFor
                        + " in the job's store at " + where + " (is that rank stuck?)");
                case ABORT -> throw new BottleneckException(in.readUTF());
                default -> throw new IOException("unexpected answer " + st);
            }
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /**
     * Sends a request that the server may hold for up to {@code timeoutMs} (a get or a barrier) and returns the status
     * byte of its answer; the socket waits that long plus a margin.
     */
    private byte waitingRequest(byte op, String key, long timeoutMs) throws IOException {
        request.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs + REPLY_MARGIN_MS));
        out.writeByte(op);
        out.writeUTF(key);
        out.writeLong(timeoutMs);
        out.flush();
        return in.readByte();
    }

    /** Waits until every rank has called {@code barrier(name)}; else an error naming the ranks that did not. */
    synchronized void barrier(String name, long timeoutMs, String what) {
        try {
            byte st = waitingRequest(BARRIER, name, timeoutMs);
            switch (st) {
                case OK -> { }
                case ERR -> throw new BottleneckException(what + " failed: " + in.readUTF()
                        + "; check that every rank was started with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE");
                case ABORT -> throw new BottleneckException(in.readUTF());
                default -> throw new IOException("unexpected answer " + st);
            }
        } catch (IOException e) {
            throw lost(e);
        }
    }

    /**
     * Tells every rank that this one failed (best effort: the store may be gone already). It uses a connection of
     * its own, so that a watchdog can report while the training thread waits on the request connection.
     */
    void fail(String message) {
        Socket s = null;
        try {
            s = new Socket();
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(addr, port), 5_000);
            hello(s, ROLE_REQUEST, rank, world, hostName(s), where);
            s.setSoTimeout(5_000);
            DataOutputStream o = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
            o.writeByte(FAIL);
            o.writeUTF(message.length() > 2000 ? message.substring(0, 2000) : message);
            o.flush();
            s.getInputStream().read();
        } catch (IOException | RuntimeException ignored) {
            // the store is gone: the others find out from their own connections
        } finally {
            closeQuietly(s);
        }
    }

    private void expectOk(String what) throws IOException {
        byte st = in.readByte();
        if (st == ABORT) throw new BottleneckException(in.readUTF());
        if (st != OK) throw new IOException("unexpected answer " + st + " to " + what);
    }

    private BottleneckException lost(IOException e) {
        return new BottleneckException("lost the connection to the job's store on rank 0 (" + where + "): rank 0 failed or was killed ("
                + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
    }

    private void watchControl() {
        try {
            DataInputStream ci = new DataInputStream(new BufferedInputStream(control.getInputStream()));
            while (true) {
                byte st = ci.readByte();
                if (st == ABORT) {
                    report(ci.readUTF());
                } else if (st == OK && leaving) {
                    return; // the answer to goodbye
                }
            }
        } catch (IOException e) {
            if (!leaving) report("lost the connection to the job's store on rank 0 (" + where + "): rank 0 failed or was killed");
        }
    }

    private void report(String reason) {
        if (leaving) return;
        if (reported.compareAndSet(false, true)) onAbort.accept(reason);
    }

    /** Says goodbye (a clean exit that does not abort the job) and closes both connections. */
    void leave() {
        leaving = true;
        try {
            synchronized (controlOut) {
                controlOut.writeByte(BYE);
                controlOut.flush();
            }
        } catch (IOException ignored) {
            // the store is gone
        }
        close();
    }

    @Override
    public void close() {
        leaving = true;
        closeQuietly(request);
        try {
            control.shutdownOutput();
        } catch (IOException ignored) {
            // closing anyway
        }
        closeQuietly(control);
    }

    static void closeQuietly(java.io.Closeable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BottleneckException("interrupted while joining the job");
        }
    }
}
