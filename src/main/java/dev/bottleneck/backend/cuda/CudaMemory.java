package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.MemoryOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.javacpp.IntPointer;
import java.util.Arrays;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

/** {@link MemoryOps} of the {@link CudaBackend}. */
final class CudaMemory extends CudaOps implements MemoryOps {
    CudaMemory(CudaBackend be) {
        super(be);
    }

    @Override
    public Tensor allocate(int... shape) {
        be.enter();
        long n = Tensor.sizeOf(shape);
        long bytes = Math.max(1, n) * 4L;
        long address = be.allocator.allocate(bytes, "a tensor of " + Arrays.toString(shape));
        CudaBuffer b = new CudaBuffer(be, address, n, CudaAllocator.sizeClass(bytes));
        return new Tensor(b, 0, shape);
    }

    @Override
    public void release(Tensor t) {
        if (!(t.buffer() instanceof CudaBuffer) || ((CudaBuffer) t.buffer()).owner != be) {
            throw new IllegalArgumentException("release of a tensor that does not belong to this cuda backend: " + t);
        }
        CudaBuffer b = (CudaBuffer) t.buffer();
        if (t.offset() != 0 || t.size() != b.capacity) {
            throw new IllegalArgumentException("release of a view: " + t + " (only whole allocations can be released)");
        }
        synchronized (be) {
            if (b.released) return;   // a second release is a no-op; later use of the tensor throws
            b.released = true;
            be.allocator.release(b.address);
        }
    }

    @Override
    public void upload(float[] src, int srcOffset, Tensor dst) {
        long n = hostRange("upload: source has ", src.length, srcOffset, " elements, tensor needs ", dst);
        uploadFloats(src, srcOffset, be.addr(dst), n);
    }

    @Override
    public void upload(double[] src, int srcOffset, Tensor dst) {
        long n = hostRange("upload: source has ", src.length, srcOffset, " elements, tensor needs ", dst);
        long base = be.addr(dst);
        synchronized (be) {
            float[] tmp = scratch((int) Math.min(n, CHUNK));
            chunks(n, (done, len) -> {
                for (int i = 0; i < len; i++) tmp[i] = (float) src[(int) (srcOffset + done + i)];
                uploadFloats(tmp, 0, base + 4L * done, len);
            });
        }
    }

    /** Host floats → device, through pinned be.staging slots, in chunks; asynchronous. */
    private void uploadFloats(float[] src, int srcOffset, long dstAddress, long n) {
        be.locked(() -> chunks(n, (done, len) -> {
            PinnedStaging.Slot s = be.staging.acquire(4L * len);
            s.floats(len).put(src, (int) (srcOffset + done), len);
            be.memcpyAsync(dstAddress + 4L * done, s.host.address(), 4L * len, cudaMemcpyHostToDevice, "cudaMemcpyAsync(host to device)");
            be.staging.recordUse(s);
        }));
    }

    @Override
    public void download(Tensor src, float[] dst, int dstOffset) {
        long n = hostRange("download: destination has ", dst.length, dstOffset, " elements, tensor has ", src);
        downloadFloats(be.addr(src), n, dst, dstOffset);
    }

    @Override
    public void download(Tensor src, double[] dst, int dstOffset) {
        long n = hostRange("download: destination has ", dst.length, dstOffset, " elements, tensor has ", src);
        long base = be.addr(src);
        synchronized (be) {
            float[] tmp = scratch((int) Math.min(n, CHUNK));
            chunks(n, (done, len) -> {
                downloadFloats(base + 4L * done, len, tmp, 0);
                for (int i = 0; i < len; i++) dst[(int) (dstOffset + done + i)] = tmp[i];
            });
        }
    }

    /** Device → host floats; waits for the stream (everything queued before, then the copy). */
    private void downloadFloats(long srcAddress, long n, float[] dst, int dstOffset) {
        be.locked(() -> chunks(n, (done, len) -> {
            PinnedStaging.Slot s = be.staging.acquire(4L * len);
            be.memcpyAsync(s.host.address(), srcAddress + 4L * done, 4L * len, cudaMemcpyDeviceToHost, "cudaMemcpyAsync(device to host)");
            be.staging.recordUse(s);
            be.staging.waitFor(s);
            s.floats(len).get(dst, (int) (dstOffset + done), len);
        }));
    }

    /** Floats per host-device copy: one pinned staging slot. */
    private static final int CHUNK = (int) (PinnedStaging.CHUNK_BYTES / 4);

    /** One piece of a chunked copy: elements [done, done + len). */
    private interface Chunk {
        void copy(long done, int len);
    }

    /** Runs {@code chunk} over [0, n) in pieces of at most {@link #CHUNK} elements, in order. */
    private static void chunks(long n, Chunk chunk) {
        for (long done = 0; done < n; done += CHUNK) chunk.copy(done, (int) Math.min(CHUNK, n - done));
    }

    /**
     * The size of tensor t, after checking that a host array of {@code length} elements holds that many from
     * {@code offset}; else the error {@code what + available + counted + n}.
     */
    private static long hostRange(String what, int length, int offset, String counted, Tensor t) {
        long n = t.size();
        if (offset < 0 || offset + n > length) throw new IllegalArgumentException(what + (length - offset) + counted + n);
        return n;
    }

    @Override
    public double readScalar(Tensor scalar) {
        if (scalar.size() < 1) throw new IllegalArgumentException("readScalar of an empty tensor");
        float[] one = new float[1];
        downloadFloats(be.addr(scalar), 1, one, 0);
        return one[0];
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        Shapes.sameSize(src, dst, "copy");
        be.enter();
        long n = src.size();
        if (n == 0) return;
        long s = be.addr(src), d = be.addr(dst), bytes = 4L * n;
        if (s == d) return;
        synchronized (be) {
            if (s < d + bytes && d < s + bytes) {   // overlapping views of one buffer: go through a temporary block
                long tmp = be.allocator.allocate(bytes, "a temporary copy");
                be.memcpyAsync(tmp, s, bytes, cudaMemcpyDeviceToDevice, "cudaMemcpyAsync(device to device)");
                be.memcpyAsync(d, tmp, bytes, cudaMemcpyDeviceToDevice, "cudaMemcpyAsync(device to device)");
                be.allocator.release(tmp);   // be.stream-ordered: later users of the block run after these copies
            } else {
                be.memcpyAsync(d, s, bytes, cudaMemcpyDeviceToDevice, "cudaMemcpyAsync(device to device)");
            }
        }
    }

    @Override
    public void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int width) {
        MemoryOps.checkColumns(src, srcCol, dst, dstCol, width);
        if (width == 0 || src.rows() == 0) return;
        if (src.buffer() == dst.buffer()) {   // possibly overlapping: row by row through copy()
            MemoryOps.super.copyColumns(src, srcCol, dst, dstCol, width);
            return;
        }
        be.enter();
        long s = be.addr(src) + 4L * srcCol, d = be.addr(dst) + 4L * dstCol;
        synchronized (be) {
            be.rt.memcpy2DAsync(d, 4L * dst.cols(), s, 4L * src.cols(), 4L * width, src.rows(), cudaMemcpyDeviceToDevice,
                    be.stream, "cudaMemcpy2DAsync(device to device)");
        }
    }

    @Override
    public void fill(Tensor t, double value) {
        long n = t.size();
        float v = (float) value;
        be.launch(n, grid -> {
            if (Float.floatToRawIntBits(v) == 0) {
                be.rt.memsetAsync(be.addr(t), 0, 4L * n, be.stream, "cudaMemsetAsync");
            } else {
                be.kernels().ew_fill(grid, CudaBackend.BLOCK, be.addr(t), v, n);
            }
        });
    }

    @Override
    public void gatherRows(Tensor src, int[] rows, int from, Tensor dst) {
        be.enter();
        int cols = src.cols();
        if (dst.cols() != cols) throw new IllegalArgumentException("gatherRows: " + cols + " columns into " + dst.cols());
        int count = dst.rows(), nRows = src.rows();
        if (from < 0 || from + count > rows.length) throw new IllegalArgumentException("gatherRows: index range past the end");
        for (int i = 0; i < count; i++) {
            int r = rows[from + i];
            if (r < 0 || r >= nRows) throw new IndexOutOfBoundsException("gatherRows: row " + r + " of " + nRows);
        }
        if (count == 0 || cols == 0) return;
        synchronized (be) {
            if (be.indexCapacity < count) {
                if (be.indexBlock != 0) be.allocator.release(be.indexBlock);
                be.indexCapacity = Math.max(count, 1024);
                be.indexBlock = be.allocator.allocate(4L * be.indexCapacity, "gather indices");
            }
            PinnedStaging.Slot s = be.staging.acquire(4L * count);
            IntPointer ip = s.ints(count);
            ip.put(rows, from, count);
            be.memcpyAsync(be.indexBlock, s.host.address(), 4L * count, cudaMemcpyHostToDevice, "cudaMemcpyAsync(gather indices)");
            be.staging.recordUse(s);
            long n = (long) count * cols;
            be.kernels().gather_rows(be.gridFor(n), CudaBackend.BLOCK, be.addr(src), be.indexBlock, be.addr(dst), count, cols);
        }
    }

    @Override public long bytesInUse() { return be.allocator.bytesInUse(); }
    @Override public long peakBytes() { return be.allocator.peakBytes(); }

    private float[] scratch(int n) {
        if (be.convert == null || be.convert.length < n) be.convert = new float[Math.max(n, 1)];
        return be.convert;
    }
}
