package dev.bottleneck.backend.cpu;

import dev.bottleneck.tensor.Buffer;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Off-heap memory for the CPU backend: OpenBLAS reads it in place (no JNI array copies), Java loops read it
 * through a direct NIO view. Exactly one of {@link #f}/{@link #d} is set, by dtype.
 */
final class CpuBuffer implements Buffer {
    final DType dtype;
    final long capacity;
    final Pointer pointer;
    final FloatBuffer f;
    final DoubleBuffer d;
    /** The bytes of {@link #f} in native order, for the vector kernels (null for F64). */
    final ByteBuffer bytes;

    CpuBuffer(DType dtype, long capacity) {
        this.dtype = dtype;
        this.capacity = capacity;
        long n = Math.max(1, capacity);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor too large for the CPU backend: " + capacity);
        if (dtype == DType.F32) {
            FloatPointer p = new FloatPointer(n);
            this.pointer = p;
            this.bytes = p.asByteBuffer().order(ByteOrder.nativeOrder());
            this.f = bytes.asFloatBuffer();
            this.d = null;
        } else {
            DoublePointer p = new DoublePointer(n);
            this.pointer = p;
            this.d = p.asBuffer();
            this.f = null;
            this.bytes = null;
        }
    }

    @Override public long capacity() { return capacity; }
    @Override public DType dtype() { return dtype; }

    double get(long i) { return f != null ? f.get((int) i) : d.get((int) i); }

    void set(long i, double v) {
        if (f != null) f.put((int) i, (float) v); else d.put((int) i, v);
    }

    static CpuBuffer of(Tensor t) {
        return (CpuBuffer) t.buffer();
    }

    /** An element-typed pointer positioned at the tensor's first element, for OpenBLAS. */
    FloatPointer floatAt(long offset) {
        return new FloatPointer((FloatPointer) pointer).position(offset);
    }

    DoublePointer doubleAt(long offset) {
        return new DoublePointer((DoublePointer) pointer).position(offset);
    }

    void free() {
        pointer.deallocate();
    }
}
