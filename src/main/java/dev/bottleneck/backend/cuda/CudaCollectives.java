package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.CollectiveOps;
import dev.bottleneck.backend.CollectiveSupport;
import org.bytedeco.cuda.nccl.ncclUniqueId;

import static org.bytedeco.cuda.global.nccl.NCCL_UNIQUE_ID_BYTES;
import static org.bytedeco.cuda.global.nccl.ncclGetUniqueId;

/**
 * NCCL for the {@link CudaBackend} (docs/CUDA.md §21): the unique id rank 0 makes, and the communicator each rank
 * joins with it ({@link NcclCommunicator}). Unavailable, with the probe's reason, where NCCL did not load.
 */
final class CudaCollectives implements CollectiveSupport {
    private final CudaBackend backend;
    private final CudaProbe.Result probe;
    private final java.util.List<NcclCommunicator> open = new java.util.ArrayList<>();

    CudaCollectives(CudaBackend backend, CudaProbe.Result probe) {
        this.backend = backend;
        this.probe = probe;
    }

    @Override
    public String unavailable() {
        return probe.ncclProblem();
    }

    @Override
    public String library() {
        return "NCCL " + (probe.ncclVersion().isEmpty() ? "(missing)" : probe.ncclVersion());
    }

    private void requireAvailable() {
        if (probe.ncclProblem() != null) throw new BottleneckException("NCCL cannot be used: " + probe.ncclProblem());
    }

    @Override
    public byte[] newUniqueId() {
        requireAvailable();
        ncclUniqueId id = new ncclUniqueId();
        try {
            Nccl.check(ncclGetUniqueId(id), "ncclGetUniqueId", null);
            byte[] out = new byte[NCCL_UNIQUE_ID_BYTES];
            for (int i = 0; i < out.length; i++) out[i] = id.internal(i); // host memory: the struct itself
            return out;
        } finally {
            id.deallocate();
        }
    }

    @Override
    public CollectiveOps join(byte[] uniqueId, int rank, int worldSize, long timeoutMs) {
        requireAvailable();
        if (uniqueId.length != NCCL_UNIQUE_ID_BYTES) {
            throw new BottleneckException("an NCCL id has " + NCCL_UNIQUE_ID_BYTES + " bytes, rank 0 sent " + uniqueId.length);
        }
        NcclCommunicator c = NcclCommunicator.join(backend, uniqueId, rank, worldSize, timeoutMs);
        synchronized (open) {
            open.add(c);
        }
        return c;
    }

    /** Finalizes (or aborts) every communicator, before the backend's stream and context go away. */
    void closeAll() {
        synchronized (open) {
            for (NcclCommunicator c : open) c.close();
            open.clear();
        }
    }
}
