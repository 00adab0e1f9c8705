package dev.bottleneck.backend.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The {@code kernelParams} array of {@code cuLaunchKernel}, built without per-launch native allocations:
 * one native block holds the argument values (each aligned to 8 bytes) and one {@code void*[]} points at them,
 * element i at the value of argument i (docs/CUDA.md §8). {@code cuLaunchKernel} copies the values, so the same
 * block is rewritten for the next launch. Not thread-safe: the backend launches under its own lock.
 *
 * <p>Argument types must match the kernel signature exactly: {@link #ptr} for pointers (a device address or 0),
 * {@link #i32} for {@code int}, {@link #i64} for {@code long long}/{@code u64}, {@link #f32}, {@link #f64},
 * and {@link #struct} for the by-value shape structs of elementwise.cu and reduce.cu.
 */
final class LaunchArgs {
    static final int MAX_ARGS = 32;
    static final int VALUE_BYTES = 4096;

    private final BytePointer values = new BytePointer(VALUE_BYTES);
    final PointerPointer<?> params = new PointerPointer<>(MAX_ARGS);
    private int count;
    private long used;

    LaunchArgs reset() {
        count = 0;
        used = 0;
        return this;
    }

    int count() {
        return count;
    }

    private long slot(long bytes) {
        if (count >= MAX_ARGS || used + bytes > VALUE_BYTES) {
            throw new IllegalStateException("too many kernel arguments");
        }
        long off = used;
        used += (bytes + 7) & ~7L;
        params.put(count++, DevicePointers.at(values.address() + off));
        return off;
    }

    /** A pointer argument: a device address (0 for a null pointer). */
    LaunchArgs ptr(long address) { values.putLong(slot(8), address); return this; }
    LaunchArgs i32(int v) { values.putInt(slot(4), v); return this; }
    LaunchArgs i64(long v) { values.putLong(slot(8), v); return this; }
    LaunchArgs f32(float v) { values.putFloat(slot(4), v); return this; }
    LaunchArgs f64(double v) { values.putDouble(slot(8), v); return this; }

    /** A by-value struct laid out as {@code long long longs[]; int ints[];} (natural alignment, 8-byte end). */
    LaunchArgs struct(long[] longs, int[] ints) {
        long bytes = 8L * longs.length + 4L * ints.length;
        long off = slot((bytes + 7) & ~7L);
        for (int i = 0; i < longs.length; i++) values.putLong(off + 8L * i, longs[i]);
        for (int i = 0; i < ints.length; i++) values.putInt(off + 8L * longs.length + 4L * i, ints[i]);
        return this;
    }

    /**
     * A copy with its own value block and pointer array: what {@code cuLaunchKernel} keeps of a launch that has not
     * run yet (the kernel emulator's stream queues these). Close it when the launch has run.
     */
    LaunchArgs copy() {
        LaunchArgs c = new LaunchArgs();
        Pointer.memcpy(c.values, values, Math.max(used, 1));
        c.used = used;
        c.count = count;
        for (int i = 0; i < count; i++) {
            c.params.put(i, DevicePointers.at(c.values.address() + (params.get(i).address() - values.address())));
        }
        return c;
    }

    /** Host-side view for tests: the value bytes of argument slot at byte offset {@code off}. */
    long longAt(long off) {
        return values.getLong(off);
    }

    void close() {
        values.deallocate();
        params.deallocate();
    }
}
