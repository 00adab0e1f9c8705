package dev.bottleneck.backend.cpu;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.MemoryOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/** {@link MemoryOps} of the {@link CpuBackend}. */
final class CpuMemory implements MemoryOps {
    private final CpuBackend be;

    CpuMemory(CpuBackend be) {
        this.be = be;
    }

    private final Map<Long, ArrayDeque<CpuBuffer>> free = new HashMap<>();
    private final java.util.Set<CpuBuffer> all = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private long held, peak;

    @Override
    public synchronized Tensor allocate(int... shape) {
        long n = Tensor.sizeOf(shape);
        ArrayDeque<CpuBuffer> q = free.get(n);
        CpuBuffer b = q == null ? null : q.poll();
        if (b == null) {
            try {
                b = new CpuBuffer(be.dtype, n);
            } catch (OutOfMemoryError e) {
                throw new BottleneckException("out of memory allocating a tensor of " + Shapes.str(shape) + " ("
                        + (n * be.dtype.bytes >> 20) + " MiB): reduce --batch or raise -Xmx / org.bytedeco.javacpp.maxBytes", e);
            }
            all.add(b);
            held += n * be.dtype.bytes;
            peak = Math.max(peak, held);
        }
        return new Tensor(b, 0, shape);
    }

    @Override
    public synchronized void release(Tensor t) {
        CpuBuffer b = be.buf(t);
        if (t.offset() != 0 || t.size() != b.capacity) throw new IllegalArgumentException("release of a view: " + t);
        if (!all.contains(b)) return;
        free.computeIfAbsent(b.capacity, k -> new ArrayDeque<>()).push(b);
    }

    synchronized void freeAll() {
        for (CpuBuffer b : all) b.free();
        all.clear();
        free.clear();
        held = 0;
    }

    @Override
    public void upload(float[] src, int srcOffset, Tensor dst) {
        CpuBuffer b = be.buf(dst);
        int n = uploadSize(src.length, srcOffset, dst), o = (int) dst.offset();
        if (b.f != null) b.f.put(o, src, srcOffset, n);
        else for (int i = 0; i < n; i++) b.d.put(o + i, src[srcOffset + i]);
    }

    @Override
    public void upload(double[] src, int srcOffset, Tensor dst) {
        CpuBuffer b = be.buf(dst);
        int n = uploadSize(src.length, srcOffset, dst), o = (int) dst.offset();
        if (b.d != null) b.d.put(o, src, srcOffset, n);
        else for (int i = 0; i < n; i++) b.f.put(o + i, (float) src[srcOffset + i]);
    }

    /** The element count of an upload into {@code dst}, checked against what the source holds from its offset. */
    private static int uploadSize(int srcLength, int srcOffset, Tensor dst) {
        int n = (int) dst.size();
        if (srcOffset + n > srcLength) throw new IllegalArgumentException("upload: source has " + (srcLength - srcOffset) + " elements, tensor needs " + n);
        return n;
    }

    @Override
    public void download(Tensor src, float[] dst, int dstOffset) {
        CpuBuffer b = be.buf(src);
        int n = (int) src.size(), o = (int) src.offset();
        if (b.f != null) b.f.get(o, dst, dstOffset, n);
        else for (int i = 0; i < n; i++) dst[dstOffset + i] = (float) b.d.get(o + i);
    }

    @Override
    public void download(Tensor src, double[] dst, int dstOffset) {
        CpuBuffer b = be.buf(src);
        int n = (int) src.size(), o = (int) src.offset();
        if (b.d != null) b.d.get(o, dst, dstOffset, n);
        else for (int i = 0; i < n; i++) dst[dstOffset + i] = b.f.get(o + i);
    }

    @Override
    public double readScalar(Tensor scalar) {
        return be.buf(scalar).get(scalar.offset());
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        CpuBackend.sameSize(src, dst, "copy");
        CpuBuffer s = be.buf(src), d = be.buf(dst);
        int n = (int) src.size();
        if (s.f != null) d.f.put((int) dst.offset(), s.f, (int) src.offset(), n);
        else d.d.put((int) dst.offset(), s.d, (int) src.offset(), n);
    }

    @Override
    public void fill(Tensor t, double value) {
        CpuBuffer b = be.buf(t);
        int o = (int) t.offset();
        if (value == 0 && Double.doubleToRawLongBits(value) == 0) { // +0: all-zero bytes in either dtype
            long bytes = t.size() * (b.f != null ? Float.BYTES : Double.BYTES);
            // memset takes a typed pointer's position as a byte count: position a byte view instead
            long at = (long) o * (b.f != null ? Float.BYTES : Double.BYTES);
            if (bytes > 0) org.bytedeco.javacpp.Pointer.memset(new org.bytedeco.javacpp.BytePointer(b.pointer).position(at), 0, bytes);
        } else if (b.f != null) {
            float v = (float) value;
            FloatBuffer f = b.f;
            be.par.range(t.size(), (lo, hi) -> { for (int i = lo; i < hi; i++) f.put(o + i, v); });
        } else {
            DoubleBuffer d = b.d;
            be.par.range(t.size(), (lo, hi) -> { for (int i = lo; i < hi; i++) d.put(o + i, value); });
        }
    }

    @Override
    public void gatherRows(Tensor src, int[] rows, int from, Tensor dst) {
        CpuBuffer s = be.buf(src), d = be.buf(dst);
        int cols = src.cols();
        if (dst.cols() != cols) throw new IllegalArgumentException("gatherRows: " + cols + " columns into " + dst.cols());
        int count = dst.rows(), nRows = src.rows();
        if (from + count > rows.length) throw new IllegalArgumentException("gatherRows: index range past the end");
        int so = (int) src.offset(), dof = (int) dst.offset();
        for (int i = 0; i < count; i++) {
            int r = rows[from + i];
            if (r < 0 || r >= nRows) throw new IndexOutOfBoundsException("gatherRows: row " + r + " of " + nRows);
            if (s.f != null) d.f.put(dof + i * cols, s.f, so + r * cols, cols);
            else d.d.put(dof + i * cols, s.d, so + r * cols, cols);
        }
    }

    @Override public synchronized long bytesInUse() { return held; }
    @Override public synchronized long peakBytes() { return peak; }
}
