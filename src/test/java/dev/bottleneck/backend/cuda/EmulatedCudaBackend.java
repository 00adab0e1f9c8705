package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.ActivationOps;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BlasOps;
import dev.bottleneck.backend.ConvOps;
import dev.bottleneck.backend.ElementwiseOps;
import dev.bottleneck.backend.LossOps;
import dev.bottleneck.backend.MemoryOps;
import dev.bottleneck.backend.NormOps;
import dev.bottleneck.backend.OptimizerOps;
import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.backend.PoolOps;
import dev.bottleneck.backend.RandomOps;
import dev.bottleneck.backend.ReduceOps;
import dev.bottleneck.backend.RnnOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.backend.Upsample;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The CUDA backend's own op groups ({@link CudaElementwise}, {@link CudaReduce}, {@link CudaActivations},
 * {@link CudaLosses}, {@link CudaRandom}, {@link CudaOptimizer}, and the max-pooling, index and up-sampling
 * parts of {@link CudaPool}) with their kernels run by the {@link KernelEmulator} on host memory: the same Java
 * code, the same launch shapes and argument blocks, the same {@code kernels/*.cu} as on a GPU, checked by the
 * conformance tests without one. GEMM (cuBLAS), convolution, batch norm, RNNs and average pooling (cuDNN) are
 * not here; a test that reaches them fails with a message that says so.
 *
 * <p>The grid is capped at {@link #MAX_GRID} blocks (a GPU allows thousands), so that every grid-stride loop
 * takes several turns; memory handed out is filled with NaN bytes, as uninitialised device memory may be, and ends
 * where an inaccessible page begins, so that a kernel reading or writing past a tensor's end fails its launch.
 */
public final class EmulatedCudaBackend implements Backend {
    public static final String NAME = "cuda-emulated";
    static final int MAX_GRID = 5;

    private final EmulatedKernelSink sink = new EmulatedKernelSink();
    private final HostMemory memory = new HostMemory();
    private final long partials = memory.block(8L * CudaBackend.MAX_PARTIALS);
    private final CudaBackend core = new CudaBackend(sink, MAX_GRID, partials, memory, EmulatedCudaBackend::sgemm);
    private final PoolOps pool = new EmulatedPool(core.pool());
    private boolean closed;

    /** The emulated backend, or null with the reason in {@link KernelEmulator#unavailable()}. */
    public static EmulatedCudaBackend createOrNull() {
        return KernelEmulator.unavailable() == null ? new EmulatedCudaBackend() : null;
    }

    private EmulatedCudaBackend() {}

    @Override public String name() { return NAME; }
    @Override public DType dtype() { return DType.F32; }

    @Override
    public String describe() {
        return NAME + ": the CUDA backend's kernels (kernels/*.cu) run by the kernel emulator on the host, grid <= "
                + MAX_GRID + " blocks (no GPU; a float64 SGEMM in cuBLAS's place; no cuDNN)";
    }

    @Override public MemoryOps memory() { return memory; }
    @Override public ElementwiseOps elementwise() { return core.elementwise(); }
    @Override public ReduceOps reduce() { return core.reduce(); }
    @Override public ActivationOps activations() { return core.activations(); }
    @Override public LossOps losses() { return core.losses(); }
    @Override public RandomOps random() { return core.random(); }
    @Override public OptimizerOps optimizer() { return core.optimizer(); }
    @Override public PoolOps pool() { return pool; }
    @Override public BlasOps blas() { return core.blas(); }
    @Override public ConvOps conv() { throw absent("convolution runs in cuDNN"); }
    @Override public NormOps norm() { throw absent("batch norm runs in cuDNN"); }
    @Override public RnnOps rnn() { throw absent("RNNs run in cuDNN"); }

    @Override public void synchronize() { }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        memory.freeAll();
        sink.close();
    }

    /** The device address of t's first element (a host address here). */
    long address(Tensor t) {
        return core.addr(t);
    }

    /** Where launches go: for the emulator's own tests, which launch kernels without an entry point in Kernels. */
    KernelSink sink() {
        return sink;
    }

    /** Launches so far, per kernel. */
    public Map<String, Integer> launches() {
        return sink.launches();
    }

    /** Every kernel the emulator holds (the extern "C" __global__ functions of kernels/*.cu). */
    public static String[] kernels() {
        return KernelEmulator.kernels().split(",");
    }

    /**
     * {@code cublasSgemm_v2}'s definition, column-major: C = alpha op(A) op(B) + beta C, A m x k (k x m stored when
     * transposed) with leading dimension lda, likewise B and C; with beta == 0 the old C is not read.
     */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                      float beta, long c, int ldc) {
        float[] av = new float[(transA ? m - 1 : k - 1) * lda + (transA ? k : m)];
        float[] bv = new float[(transB ? k - 1 : n - 1) * ldb + (transB ? n : k)];
        float[] cv = new float[(n - 1) * ldc + m];
        floats(a).get(av, 0, av.length);
        floats(b).get(bv, 0, bv.length);
        floats(c).get(cv, 0, cv.length);
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    double x = transA ? av[p + i * lda] : av[i + p * lda];
                    double y = transB ? bv[j + p * ldb] : bv[p + j * ldb];
                    sum += x * y;
                }
                double old = beta == 0 ? 0 : (double) beta * cv[i + j * ldc];
                cv[i + j * ldc] = (float) (alpha * sum + old);
            }
        }
        floats(c).put(cv, 0, cv.length);
    }

    private static UnsupportedOperationException absent(String what) {
        return new UnsupportedOperationException(NAME + ": " + what + ", which the kernel emulator does not have (a GPU test)");
    }

    private static FloatPointer floats(long address) {
        return new FloatPointer(DevicePointers.at(address));
    }

    /** Host memory standing in for device memory: what CudaMemory does, with memcpy for cudaMemcpyAsync. */
    private final class HostMemory implements MemoryOps {
        // core is created after this (it takes it): the methods below run only once it exists
        private final Map<Long, Long> blocks = new HashMap<>();
        private long inUse, peak;
        private long indexBlock, indexCapacity;

        /** A block of emulated device memory of at least {@code bytes}, filled with 0xFF bytes (NaN floats). */
        synchronized long block(long bytes) {
            long b = Math.max(bytes, 4);
            long a = KernelEmulator.alloc(b);
            if (a == 0) throw new OutOfMemoryError("kernel emulator: no memory for a block of " + b + " bytes");
            blocks.put(a, b);
            inUse += b;
            peak = Math.max(peak, inUse);
            return a;
        }

        synchronized void free(long address) {
            Long b = blocks.remove(address);
            if (b == null || !KernelEmulator.free(address)) throw new IllegalStateException("kernel emulator: free of an unknown block");
            inUse -= b;
        }

        synchronized void freeAll() {
            for (Long a : blocks.keySet().toArray(new Long[0])) free(a);
        }

        @Override
        public Tensor allocate(int... shape) {
            core.enter();
            long n = Tensor.sizeOf(shape);
            return new Tensor(new CudaBuffer(core, block(4L * Math.max(1, n)), n, 4L * Math.max(1, n)), 0, shape);
        }

        @Override
        public void release(Tensor t) {
            CudaBuffer b = core.buf(t);
            if (t.offset() != 0 || t.size() != b.capacity) throw new IllegalArgumentException("release of a view: " + t);
            synchronized (core) {
                if (b.released) return;
                b.released = true;
                free(b.address);
            }
        }

        @Override
        public void upload(float[] src, int srcOffset, Tensor dst) {
            check(src.length, srcOffset, dst);
            floats(core.addr(dst)).put(src, srcOffset, (int) dst.size());
        }

        @Override
        public void upload(double[] src, int srcOffset, Tensor dst) {
            check(src.length, srcOffset, dst);
            float[] f = new float[(int) dst.size()];
            for (int i = 0; i < f.length; i++) f[i] = (float) src[srcOffset + i];
            upload(f, 0, dst);
        }

        @Override
        public void download(Tensor src, float[] dst, int dstOffset) {
            check(dst.length, dstOffset, src);
            floats(core.addr(src)).get(dst, dstOffset, (int) src.size());
        }

        @Override
        public void download(Tensor src, double[] dst, int dstOffset) {
            check(dst.length, dstOffset, src);
            float[] f = new float[(int) src.size()];
            download(src, f, 0);
            for (int i = 0; i < f.length; i++) dst[dstOffset + i] = f[i];
        }

        private void check(int length, int offset, Tensor t) {
            if (offset < 0 || offset + t.size() > length) {
                throw new IllegalArgumentException("host array of " + (length - offset) + " elements for " + t.size());
            }
        }

        @Override
        public double readScalar(Tensor scalar) {
            float[] one = new float[1];
            floats(core.addr(scalar)).get(one, 0, 1);
            return one[0];
        }

        @Override
        public void copy(Tensor src, Tensor dst) {
            Shapes.sameSize(src, dst, "copy");
            if (src.size() == 0) return;
            Pointer.memmove(DevicePointers.at(core.addr(dst)), DevicePointers.at(core.addr(src)), 4L * src.size());
        }

        @Override
        public void fill(Tensor t, double value) {
            long n = t.size();
            float v = (float) value;
            core.launch(n, grid -> {
                if (Float.floatToRawIntBits(v) == 0) Pointer.memset(DevicePointers.at(core.addr(t)), 0, 4L * n);
                else core.kernels().ew_fill(grid, CudaBackend.BLOCK, core.addr(t), v, n);
            });
        }

        @Override
        public void gatherRows(Tensor src, int[] rows, int from, Tensor dst) {
            int cols = src.cols(), count = dst.rows();
            if (dst.cols() != cols) throw new IllegalArgumentException("gatherRows: " + cols + " columns into " + dst.cols());
            for (int i = 0; i < count; i++) {
                int r = rows[from + i];
                if (r < 0 || r >= src.rows()) throw new IndexOutOfBoundsException("gatherRows: row " + r + " of " + src.rows());
            }
            if (count == 0 || cols == 0) return;
            synchronized (core) {
                if (indexCapacity < count) {
                    if (indexBlock != 0) free(indexBlock);
                    indexCapacity = Math.max(count, 1024);
                    indexBlock = block(4L * indexCapacity);
                }
                new IntPointer(DevicePointers.at(indexBlock)).put(rows, from, count);
                long n = (long) count * cols;
                core.kernels().gather_rows(core.gridFor(n), CudaBackend.BLOCK, core.addr(src), indexBlock, core.addr(dst), count, cols);
            }
        }

        @Override public synchronized long bytesInUse() { return inUse; }
        @Override public synchronized long peakBytes() { return peak; }
    }

    /** CudaPool without cuDNN: max pooling, its index ops and up-sampling; average pooling is absent. */
    private record EmulatedPool(PoolOps cuda) implements PoolOps {
        @Override public void maxForward(Pool2dGeometry g, Tensor x, Tensor y) { cuda.maxForward(g, x, y); }
        @Override public void maxBackward(Pool2dGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean acc) { cuda.maxBackward(g, x, y, dy, dx, acc); }
        @Override public void avgForward(Pool2dGeometry g, Tensor x, Tensor y) { throw absent("average pooling runs in cuDNN"); }
        @Override public void avgBackward(Pool2dGeometry g, Tensor dy, Tensor dx, boolean acc) { throw absent("average pooling runs in cuDNN"); }
        @Override public void upsampleForward(Upsample m, int sh, int sw, Tensor x, Tensor y) { cuda.upsampleForward(m, sh, sw, x, y); }
        @Override public void upsampleBackward(Upsample m, int sh, int sw, Tensor dy, Tensor dx, boolean acc) { cuda.upsampleBackward(m, sh, sw, dy, dx, acc); }
        @Override public void maxPoolIndicesForward(Pool2dGeometry g, Tensor x, Tensor y, Tensor idx) { cuda.maxPoolIndicesForward(g, x, y, idx); }
        @Override public void maxPoolIndicesBackward(Pool2dGeometry g, Tensor idx, Tensor dy, Tensor dx, boolean acc) { cuda.maxPoolIndicesBackward(g, idx, dy, dx, acc); }
        @Override public void maxUnpoolForward(Tensor x, Tensor idx, Tensor y) { cuda.maxUnpoolForward(x, idx, y); }
        @Override public void maxUnpoolBackward(Tensor idx, Tensor dy, Tensor dx, boolean acc) { cuda.maxUnpoolBackward(idx, dy, dx, acc); }
    }

    @Override
    public String toString() {
        return describe() + " " + Arrays.toString(kernels());
    }
}
