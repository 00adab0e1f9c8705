package dev.bottleneck.backend.cuda;

import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import static org.bytedeco.cuda.global.cudart.cudaEventCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaEventDestroy;
import static org.bytedeco.cuda.global.cudart.cudaEventDisableTiming;
import static org.bytedeco.cuda.global.cudart.cudaEventRecord;
import static org.bytedeco.cuda.global.cudart.cudaEventSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaFreeHost;
import static org.bytedeco.cuda.global.cudart.cudaMallocHost;

/**
 * Pinned (page-locked) host staging buffers for asynchronous transfers: a small ring of slots, each grown on
 * demand with {@code cudaMallocHost} and reused. A slot handed to {@code cudaMemcpyAsync} must not be touched
 * until that copy has run (docs/CUDA.md §6), so every use records an event on the stream and the next
 * {@link #acquire} of the same slot waits for that event first. With {@link #SLOTS} slots an upload rarely
 * waits at all: the event is normally long complete by the time the ring comes round.
 */
final class PinnedStaging {
    /** Transfers are split into chunks of at most this many bytes (bounds pinned memory to SLOTS × CHUNK). */
    static final long CHUNK_BYTES = 8L << 20;
    static final int SLOTS = 4;

    /** One pinned buffer and the event that marks the end of its last use. */
    static final class Slot {
        BytePointer host;
        long bytes;
        final CUevent_st event = new CUevent_st();
        boolean pending;

        FloatPointer floats(long count) {
            return new FloatPointer(host).capacity(count).limit(count).position(0);
        }

        IntPointer ints(long count) {
            return new IntPointer(host).capacity(count).limit(count).position(0);
        }
    }

    private final Slot[] slots = new Slot[SLOTS];
    private final CUstream_st stream;
    private int next;

    PinnedStaging(CUstream_st stream) {
        this.stream = stream;
        for (int i = 0; i < SLOTS; i++) {
            Slot s = new Slot();
            CudaCheck.cuda(cudaEventCreateWithFlags(s.event, cudaEventDisableTiming), "cudaEventCreateWithFlags");
            slots[i] = s;
        }
    }

    /** The next slot with at least {@code bytes} of pinned memory, after its previous copy has completed. */
    Slot acquire(long bytes) {
        Slot s = slots[next];
        next = (next + 1) % SLOTS;
        waitFor(s);
        if (s.bytes < bytes) {
            if (s.host != null) CudaCheck.cuda(cudaFreeHost(s.host), "cudaFreeHost");
            long size = Math.max(bytes, 64L << 10);
            BytePointer p = new BytePointer();   // empty: cudaMallocHost fills in the address
            CudaCheck.cuda(cudaMallocHost(p, size), "cudaMallocHost(" + size + " bytes)");
            p.capacity(size).limit(size);        // JavaCPP does not know the size of memory CUDA allocated
            s.host = p;
            s.bytes = size;
        }
        return s;
    }

    /** Marks the slot busy until the work queued on the stream so far has run. */
    void recordUse(Slot s) {
        CudaCheck.cuda(cudaEventRecord(s.event, stream), "cudaEventRecord");
        s.pending = true;
    }

    /** Blocks until the slot's last copy is done (needed before reading a device-to-host result). */
    void waitFor(Slot s) {
        if (s.pending) {
            CudaCheck.cuda(cudaEventSynchronize(s.event), "cudaEventSynchronize (an earlier GPU operation failed)");
            s.pending = false;
        }
    }

    void close() {
        for (Slot s : slots) {
            if (s == null) continue;
            if (s.pending) cudaEventSynchronize(s.event);
            if (s.host != null) cudaFreeHost(s.host);
            s.host = null;
            cudaEventDestroy(s.event);
        }
    }
}
