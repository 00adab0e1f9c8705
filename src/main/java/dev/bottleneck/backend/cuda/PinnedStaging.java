package dev.bottleneck.backend.cuda;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

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
        CudaRuntime.Event event;
        boolean pending;

        FloatPointer floats(long count) {
            return new FloatPointer(host).capacity(count).limit(count).position(0);
        }

        IntPointer ints(long count) {
            return new IntPointer(host).capacity(count).limit(count).position(0);
        }
    }

    private final Slot[] slots = new Slot[SLOTS];
    private final CudaRuntime rt;
    private final CUstream_st stream;
    private int next;

    PinnedStaging(CudaRuntime rt, CUstream_st stream) {
        this.rt = rt;
        this.stream = stream;
        for (int i = 0; i < SLOTS; i++) {
            Slot s = new Slot();
            slots[i] = s;
            s.event = rt.eventCreate();
        }
    }

    /** The next slot with at least {@code bytes} of pinned memory, after its previous copy has completed. */
    Slot acquire(long bytes) {
        Slot s = slots[next];
        next = (next + 1) % SLOTS;
        waitFor(s);
        if (s.bytes < bytes) {
            if (s.host != null) rt.freeHost(s.host.address());
            s.host = null;
            s.bytes = 0;
            long size = Math.max(bytes, 64L << 10);
            // JavaCPP does not know the size of memory CUDA allocated: a view with it
            s.host = new BytePointer(DevicePointers.at(rt.mallocHost(size))).capacity(size).limit(size);
            s.bytes = size;
        }
        return s;
    }

    /** Marks the slot busy until the work queued on the stream so far has run. */
    void recordUse(Slot s) {
        s.event.record(stream);
        s.pending = true;
    }

    /** Blocks until the slot's last copy is done (needed before reading a device-to-host result). */
    void waitFor(Slot s) {
        if (s.pending) {
            s.event.synchronize();
            s.pending = false;
        }
    }

    /** Frees the pinned buffers and the events; errors are ignored (closing goes on after a failed kernel). */
    void close() {
        for (Slot s : slots) {
            if (s == null || s.event == null) continue;
            try {
                if (s.pending) s.event.synchronize();
            } catch (RuntimeException ignored) {
                // the stream failed earlier; the buffer is freed anyway
            }
            try {
                if (s.host != null) rt.freeHost(s.host.address());
            } catch (RuntimeException ignored) {
                // as above
            }
            s.host = null;
            s.event.destroy();
        }
    }
}
