package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.CollectiveOps;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclConfig_t;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.PointerPointer;

import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.nccl.NCCL_API_MAGIC;
import static org.bytedeco.cuda.global.nccl.NCCL_VERSION_CODE;
import static org.bytedeco.cuda.global.nccl.ncclAllReduce;
import static org.bytedeco.cuda.global.nccl.ncclBroadcast;
import static org.bytedeco.cuda.global.nccl.ncclCommAbort;
import static org.bytedeco.cuda.global.nccl.ncclCommDestroy;
import static org.bytedeco.cuda.global.nccl.ncclCommFinalize;
import static org.bytedeco.cuda.global.nccl.ncclCommGetAsyncError;
import static org.bytedeco.cuda.global.nccl.ncclCommInitRankConfig;
import static org.bytedeco.cuda.global.nccl.ncclFloat32;
import static org.bytedeco.cuda.global.nccl.ncclInProgress;
import static org.bytedeco.cuda.global.nccl.ncclSuccess;
import static org.bytedeco.cuda.global.nccl.ncclSum;

/**
 * One rank's NCCL communicator, bound to the backend's device and queued on its stream (docs/CUDA.md §21).
 *
 * <ul>
 *   <li><b>Non-blocking</b> ({@code config.blocking = 0}): no NCCL call waits for the other ranks. Initialisation
 *       returns {@code ncclInProgress} and is polled with {@code ncclCommGetAsyncError} until it is done or the
 *       timeout passes (then the communicator is aborted and the error names the timeout), so a rank that never
 *       joins cannot hang this one. A collective may return {@code ncclInProgress} too; it is polled the same way.</li>
 *   <li><b>Ordering</b>: every call is made under the backend's lock, on its stream, so an all-reduce runs after
 *       the backward pass queued before it and before the optimizer step queued after it.</li>
 *   <li><b>Failure</b>: {@link #asyncError} and {@link #abort} take only this object's lock, never the backend's
 *       (the training thread may hold that one while it waits in a device sync), so a watchdog can abort a
 *       communicator whose kernels wait for a dead peer; the kernels then return and the sync ends.</li>
 * </ul>
 */
final class NcclCommunicator implements CollectiveOps {
    private static final int UNDEF = Integer.MIN_VALUE; // NCCL_CONFIG_UNDEF_INT: let NCCL choose

    private final CudaBackend be;
    private final ncclComm comm;
    private final int rank, world;
    private final long timeoutMs;
    private final Object lock = new Object();
    private volatile boolean aborted, closed;

    private NcclCommunicator(CudaBackend be, ncclComm comm, int rank, int world, long timeoutMs) {
        this.be = be;
        this.comm = comm;
        this.rank = rank;
        this.world = world;
        this.timeoutMs = timeoutMs;
    }

    static NcclCommunicator join(CudaBackend be, byte[] uniqueId, int rank, int world, long timeoutMs) {
        ncclUniqueId id = new ncclUniqueId();
        ncclConfig_t config = new ncclConfig_t();
        PointerPointer<?> out = new PointerPointer<>(1);
        try {
            for (int i = 0; i < uniqueId.length; i++) id.internal(i, uniqueId[i]);
            // NCCL_CONFIG_INITIALIZER by hand: size, magic, version, then every field undefined except blocking
            config.size(config.sizeof()).magic(NCCL_API_MAGIC).version(NCCL_VERSION_CODE).blocking(0)
                    .cgaClusterSize(UNDEF).minCTAs(UNDEF).maxCTAs(UNDEF).splitShare(UNDEF).trafficClass(UNDEF)
                    .collnetEnable(UNDEF).CTAPolicy(UNDEF).shrinkShare(UNDEF).nvlsCTAs(UNDEF).nChannelsPerNetPeer(UNDEF)
                    .nvlinkCentricSched(UNDEF).graphUsageMode(UNDEF).numRmaCtx(UNDEF);
            int rc;
            synchronized (be) {
                be.enter(); // NCCL binds the communicator to the current device
                rc = ncclCommInitRankConfig(out, world, id, rank, config);
            }
            ncclComm comm = new ncclComm(out.get(0));
            if (comm.isNull()) {
                Nccl.check(rc, "ncclCommInitRankConfig", null);
                throw new BottleneckException("NCCL call ncclCommInitRankConfig returned no communicator (status " + rc + ")");
            }
            NcclCommunicator c = new NcclCommunicator(be, comm, rank, world, timeoutMs);
            try {
                Nccl.check(rc, "ncclCommInitRankConfig", comm);
                c.settle("ncclCommInitRankConfig (" + world + " ranks)");
            } catch (RuntimeException e) {
                c.abort();
                throw e;
            }
            return c;
        } finally {
            id.deallocate();
            config.deallocate();
            out.deallocate();
        }
    }

    /** Polls a non-blocking operation until NCCL reports it done; aborts and fails after the timeout. */
    private void settle(String what) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        int[] st = {ncclInProgress};
        while (true) {
            synchronized (lock) {
                if (aborted) throw new BottleneckException("NCCL communicator of rank " + rank + " was aborted during " + what);
                Nccl.check(ncclCommGetAsyncError(comm, st), "ncclCommGetAsyncError", comm);
            }
            if (st[0] == ncclSuccess) return;
            if (st[0] != ncclInProgress) throw new BottleneckException("NCCL " + what + " failed on rank " + rank + ": " + Nccl.describe(st[0], comm));
            if (System.nanoTime() > deadline) {
                abort();
                throw new BottleneckException("NCCL " + what + " did not finish on rank " + rank + " within " + timeoutMs / 1000.0
                        + " s: another rank did not join or is stuck");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abort();
                throw new BottleneckException("interrupted during NCCL " + what);
            }
        }
    }

    private void requireOpen(String what) {
        if (aborted) throw new BottleneckException("NCCL " + what + " on rank " + rank + ": the communicator was aborted");
        if (closed) throw new IllegalStateException("NCCL communicator closed");
    }

    @Override
    public void allReduceSum(Tensor t) {
        inPlace(t, "all-reduce", "ncclAllReduce",
                a -> ncclAllReduce(DevicePointers.at(a), DevicePointers.at(a), t.size(), ncclFloat32, ncclSum, comm, be.stream));
    }

    @Override
    public void broadcast(Tensor t, int root) {
        inPlace(t, "broadcast", "ncclBroadcast",
                a -> ncclBroadcast(DevicePointers.at(a), DevicePointers.at(a), t.size(), ncclFloat32, root, comm, be.stream));
    }

    /**
     * An in-place collective on t: {@code enqueue} gets t's device address and queues the NCCL call {@code call} on the
     * backend's stream (under the backend lock, then the communicator's); its status is checked, and a non-blocking
     * communicator's pending call is settled.
     */
    private void inPlace(Tensor t, String what, String call, java.util.function.LongToIntFunction enqueue) {
        int rc;
        synchronized (be) {
            be.enter();
            long a = be.addr(t);
            synchronized (lock) {
                requireOpen(what);
                rc = enqueue.applyAsInt(a);
            }
        }
        Nccl.check(rc, call, comm);
        if (rc == ncclInProgress) settle(what);
    }

    @Override
    public String asyncError() {
        synchronized (lock) {
            if (aborted || closed) return null;
            int[] st = {ncclSuccess};
            int rc = ncclCommGetAsyncError(comm, st);
            if (rc != ncclSuccess) return Nccl.describe(rc, comm);
            return st[0] == ncclSuccess || st[0] == ncclInProgress ? null : Nccl.describe(st[0], comm);
        }
    }

    @Override
    public void abort() {
        synchronized (lock) {
            if (aborted || closed) return;
            aborted = true;
            cudaSetDevice(be.device); // this may be a watchdog thread that never touched the device
            ncclCommAbort(comm);
        }
    }

    @Override
    public void close() {
        if (aborted || closed) return;
        try {
            be.synchronize(); // everything queued on the stream, collectives included, has run
            int rc;
            synchronized (lock) {
                rc = ncclCommFinalize(comm);
            }
            Nccl.check(rc, "ncclCommFinalize", comm);
            settle("finalize");
            synchronized (lock) {
                closed = true;
                cudaSetDevice(be.device);
                ncclCommDestroy(comm);
            }
        } catch (RuntimeException e) {
            abort(); // frees the communicator without waiting for anyone
        }
    }

    @Override
    public String toString() {
        return "NCCL communicator, rank " + rank + " of " + world + " on device " + be.device;
    }
}
