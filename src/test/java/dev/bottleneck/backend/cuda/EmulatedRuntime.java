package dev.bottleneck.backend.cuda;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.Pointer;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * The CUDA runtime for the kernel emulator's backend: the real {@link CudaMemory}, {@link CudaAllocator} and
 * {@link PinnedStaging} run on it without a GPU. It is stricter than a GPU where a GPU would fail quietly or
 * rarely:
 * <ul>
 *   <li>the stream is <em>lazy</em>: copies, fills and kernel launches are queued and run only when the host
 *       waits (an event's or the stream's synchronisation, {@code cudaFree}), so host code that reads a result
 *       or reuses a pinned buffer without waiting gets stale or wrong data in the tests, not only on a fast day;</li>
 *   <li>a copy's direction is checked against the memory it names ({@code cudaMemcpyHostToDevice} must read
 *       pinned host memory and write device memory, ...), and every device range must lie inside one
 *       allocation; asynchronous copies from pageable host memory are refused;</li>
 *   <li>pinned memory freed while a queued copy still uses it, and {@code cudaFree} of an address that
 *       {@code cudaMalloc} did not return, are errors;</li>
 *   <li>device memory has a budget ({@code cudaMalloc} reports out-of-memory past it), so the allocator's
 *       retry and its error message run too.</li>
 * </ul>
 * An error in queued work (a kernel's fault, for instance) surfaces at the next synchronisation, as on a GPU;
 * the rest of the queue is dropped.
 */
final class EmulatedRuntime implements CudaRuntime {
    private final long budget;
    private long used;
    private final TreeMap<Long, Long> device = new TreeMap<>(), pinned = new TreeMap<>();
    private final ArrayDeque<Op> queue = new ArrayDeque<>();
    private long run;

    /** Queued work; {@code hostStart}/{@code hostEnd} is the pinned range it reads or writes (or empty). */
    private record Op(Runnable work, long hostStart, long hostEnd, String what) {}

    EmulatedRuntime(long budgetBytes) {
        this.budget = budgetBytes;
    }

    /** Operations run so far (copies, fills, launches, event records). */
    synchronized long operationsRun() {
        return run;
    }

    /** Queues device work (a kernel launch, a GEMM) behind what the stream holds. */
    synchronized void enqueue(String what, Runnable work) {
        queue.add(new Op(work, 0, 0, what));
    }

    /** Queues a kernel launch with a copy of its arguments, as cuLaunchKernel takes them. */
    void enqueueLaunch(String kernel, int grid, int block, LaunchArgs args) {
        LaunchArgs copy = args.copy();
        enqueue(kernel, () -> {
            try {
                String error = KernelEmulator.launch(kernel, grid, block, copy.params.address(), copy.count());
                if (error != null) throw new IllegalStateException("kernel emulator: " + error);
            } finally {
                copy.close();
            }
        });
    }

    /** Runs every queued operation, in order (the stream catches up). */
    private synchronized void drain() {
        drainUntil(null);
    }

    private synchronized void drainUntil(Op last) {
        while (!queue.isEmpty()) {
            Op op = queue.poll();
            try {
                synchronized (KernelEmulator.DEVICE) {
                    op.work().run();
                }
            } catch (RuntimeException e) {
                queue.clear();   // a failed stream runs nothing more
                throw e;
            }
            run++;
            if (op == last) return;
        }
    }

    @Override
    public synchronized long malloc(long bytes) {
        if (used + bytes > budget) return 0;
        long a = KernelEmulator.alloc(bytes);
        if (a == 0) return 0;
        device.put(a, bytes);
        used += bytes;
        return a;
    }

    @Override
    public synchronized void free(long address) {
        drain();   // cudaFree waits for the device
        Long b = device.remove(address);
        if (b == null) throw new IllegalStateException("cudaFree of 0x" + Long.toHexString(address) + ", which cudaMalloc did not return");
        KernelEmulator.free(address);
        used -= b;
    }

    @Override
    public synchronized long[] memInfo() {
        return new long[] {budget - used, budget};
    }

    @Override
    public synchronized long mallocHost(long bytes) {
        Pointer p = Pointer.malloc(bytes);
        if (p == null || p.isNull()) throw new OutOfMemoryError("cudaMallocHost(" + bytes + " bytes)");
        Pointer.memset(p, 0xFF, bytes);
        pinned.put(p.address(), bytes);
        return p.address();
    }

    @Override
    public synchronized void freeHost(long address) {
        Long b = pinned.get(address);
        if (b == null) throw new IllegalStateException("cudaFreeHost of 0x" + Long.toHexString(address) + ", which cudaMallocHost did not return");
        for (Op op : queue) {
            if (op.hostStart() < address + b && address < op.hostEnd()) {
                throw new IllegalStateException("cudaFreeHost of pinned memory that a queued " + op.what() + " still uses");
            }
        }
        pinned.remove(address);
        Pointer.free(DevicePointers.at(address));
    }

    @Override
    public Event eventCreate() {
        return new Event() {
            private Op marker;
            private boolean destroyed;

            @Override
            public void record(CUstream_st stream) {
                check();
                synchronized (EmulatedRuntime.this) {
                    marker = new Op(() -> { }, 0, 0, "cudaEventRecord");
                    queue.add(marker);
                }
            }

            @Override
            public void synchronize() {
                check();
                synchronized (EmulatedRuntime.this) {
                    if (marker != null && queue.contains(marker)) drainUntil(marker);
                }
            }

            @Override
            public void destroy() {
                destroyed = true;
            }

            private void check() {
                if (destroyed) throw new IllegalStateException("use of a destroyed CUDA event");
            }
        };
    }

    /** Which allocation of {@code blocks} holds [address, address + bytes), or -1. */
    private static long holder(TreeMap<Long, Long> blocks, long address, long bytes) {
        Map.Entry<Long, Long> e = blocks.floorEntry(address);
        if (e == null || address + bytes > e.getKey() + e.getValue()) return -1;
        return e.getKey();
    }

    private void deviceRange(long address, long bytes, String role, String what) {
        if (holder(device, address, bytes) < 0) {
            throw new IllegalStateException(what + ": the " + role + " [0x" + Long.toHexString(address) + ", +" + bytes
                    + " bytes) is not inside one device allocation");
        }
    }

    private void pinnedRange(long address, long bytes, String role, String what) {
        if (holder(pinned, address, bytes) < 0) {
            throw new IllegalStateException(what + ": the " + role + " [0x" + Long.toHexString(address) + ", +" + bytes
                    + " bytes) is not pinned host memory (an asynchronous copy needs cudaMallocHost memory)");
        }
    }

    @Override
    public synchronized void memcpyAsync(long dst, long src, long bytes, int kind, CUstream_st stream, String what) {
        long hostStart = 0, hostEnd = 0;
        switch (kind) {
            case 1 -> {   // cudaMemcpyHostToDevice
                pinnedRange(src, bytes, "source", what);
                deviceRange(dst, bytes, "destination", what);
                hostStart = src;
                hostEnd = src + bytes;
            }
            case 2 -> {   // cudaMemcpyDeviceToHost
                deviceRange(src, bytes, "source", what);
                pinnedRange(dst, bytes, "destination", what);
                hostStart = dst;
                hostEnd = dst + bytes;
            }
            case 3 -> {   // cudaMemcpyDeviceToDevice
                deviceRange(src, bytes, "source", what);
                deviceRange(dst, bytes, "destination", what);
                if (src < dst + bytes && dst < src + bytes && src != dst) {
                    throw new IllegalStateException(what + ": source and destination overlap (cudaMemcpy does not allow it)");
                }
            }
            default -> throw new IllegalStateException(what + ": copy kind " + kind + " (the backend names every direction)");
        }
        queue.add(new Op(() -> Pointer.memcpy(DevicePointers.at(dst), DevicePointers.at(src), bytes), hostStart, hostEnd, what));
    }

    @Override
    public synchronized void memcpy2DAsync(long dst, long dpitch, long src, long spitch, long width, long height, int kind,
                                           CUstream_st stream, String what) {
        if (kind != 3) throw new IllegalStateException(what + ": only device-to-device 2-D copies are emulated, got kind " + kind);
        if (height == 0 || width == 0) return;
        if (width > dpitch || width > spitch) throw new IllegalStateException(what + ": width " + width + " is wider than a pitch");
        deviceRange(src, (height - 1) * spitch + width, "source", what);
        deviceRange(dst, (height - 1) * dpitch + width, "destination", what);
        queue.add(new Op(() -> {
            for (long r = 0; r < height; r++) {
                Pointer.memmove(DevicePointers.at(dst + r * dpitch), DevicePointers.at(src + r * spitch), width);
            }
        }, 0, 0, what));
    }

    @Override
    public synchronized void memsetAsync(long dst, int value, long bytes, CUstream_st stream, String what) {
        deviceRange(dst, bytes, "destination", what);
        queue.add(new Op(() -> Pointer.memset(DevicePointers.at(dst), value, bytes), 0, 0, what));
    }

    @Override
    public void streamSynchronize(CUstream_st stream, String what) {
        drain();
    }
}
