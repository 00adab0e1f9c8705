package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;


/**
 * A caching device allocator. Requests are rounded up to size classes of 2^k/4 steps (2^k, 1.25·2^k, 1.5·2^k,
 * 1.75·2^k; at most 25% waste, 256 bytes minimum); released blocks go to a free list per class and are handed
 * out again by later requests of the same class, so a training step that allocates the same shapes every
 * step calls {@code cudaMalloc} only in its first step and never calls {@code cudaFree}.
 *
 * <p>Reuse is safe without events because the backend runs all work on one stream: work queued after a block
 * is handed out again runs after all work queued while it was in use. When {@code cudaMalloc} runs out of
 * memory the free lists are returned to the driver and the request is retried once; a second failure is a
 * {@link BottleneckException} with the sizes involved.
 */
final class CudaAllocator {
    static final long MIN_BLOCK = 256;

    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    /** address → block bytes of every block obtained from cudaMalloc and not yet given back. */
    private final Map<Long, Long> blocks = new HashMap<>();
    private long held, peak, cachedBytes;
    private long mallocCalls;
    private final CudaRuntime rt;

    CudaAllocator(CudaRuntime rt) {
        this.rt = rt;
    }

    /** The size class of a request: rounded up to a multiple of 2^(k-2) where 2^k <= bytes < 2^(k+1). */
    static long sizeClass(long bytes) {
        long b = Math.max(bytes, MIN_BLOCK);
        int k = 63 - Long.numberOfLeadingZeros(b);
        long step = 1L << (k - 2);
        return (b + step - 1) & -step;
    }

    /** A block of at least {@code bytes}; returns its address (the class size is {@link #sizeClass}). */
    synchronized long allocate(long bytes, String what) {
        long cls = sizeClass(bytes);
        ArrayDeque<Long> q = free.get(cls);
        if (q != null && !q.isEmpty()) {
            cachedBytes -= cls;
            return q.pop();
        }
        long address = rt.malloc(cls);
        if (address == 0) {   // out of memory: give the cache back, try once more
            trim();
            address = rt.malloc(cls);
        }
        if (address == 0) throw outOfMemory(bytes, what);
        mallocCalls++;
        blocks.put(address, cls);
        held += cls;
        peak = Math.max(peak, held);
        return address;
    }

    /** Returns a block to its free list (no driver call). */
    synchronized void release(long address) {
        Long cls = blocks.get(address);
        if (cls == null) throw new IllegalStateException("release of an unknown device block 0x" + Long.toHexString(address));
        free.computeIfAbsent(cls, k -> new ArrayDeque<>()).push(address);
        cachedBytes += cls;
    }

    /** Gives every cached (free) block back to the driver. Synchronises the device (cudaFree does). */
    synchronized void trim() {
        for (Map.Entry<Long, ArrayDeque<Long>> e : free.entrySet()) {
            for (long address : e.getValue()) {
                rt.free(address);
                blocks.remove(address);
                held -= e.getKey();
            }
        }
        free.clear();
        cachedBytes = 0;
    }

    /** Frees every block, live or cached (backend close). */
    synchronized void freeAll() {
        for (long address : blocks.keySet()) {
            rt.free(address);
        }
        blocks.clear();
        free.clear();
        held = 0;
        cachedBytes = 0;
    }

    synchronized long bytesInUse() {
        return held;
    }

    synchronized long peakBytes() {
        return peak;
    }

    synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** Number of cudaMalloc calls so far (tests check that a steady-state step adds none). */
    synchronized long mallocCalls() {
        return mallocCalls;
    }

    private BottleneckException outOfMemory(long bytes, String what) {
        long[] info = rt.memInfo();
        String freeTotal = info != null ? mib(info[0]) + " free of " + mib(info[1]) + " total" : "free/total unknown";
        return new BottleneckException("GPU out of memory allocating " + what + " (" + mib(bytes) + "): " + freeTotal
                + " on the device, " + mib(held) + " held by Bottleneck"
                + "; reduce --batch (or the model size) or free the GPU from other processes");
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
}
