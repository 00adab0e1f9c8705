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
import dev.bottleneck.backend.Upsample;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;

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
 * takes several turns; device memory is handed out filled with NaN bytes, as uninitialised device memory may be,
 * and ends where an inaccessible page begins, so that a kernel reading or writing past a block's end fails.
 */
public final class EmulatedCudaBackend implements Backend {
    public static final String NAME = "cuda-emulated";
    static final int MAX_GRID = 5;

    /** Device memory of the emulated GPU (cudaMalloc reports out-of-memory past it). */
    static final long DEVICE_BYTES = 2L << 30;

    private final EmulatedRuntime rt = new EmulatedRuntime(DEVICE_BYTES);
    private final EmulatedKernelSink sink = new EmulatedKernelSink(rt);
    private final CudaBackend core = new CudaBackend(rt, sink, MAX_GRID, this::sgemm);
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

    @Override public MemoryOps memory() { return core.memory(); }
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

    @Override public void synchronize() { core.synchronize(); }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        core.close();
        sink.close();
    }

    /** cudaMalloc calls so far (the allocator's cache should make a steady state add none). */
    long mallocCalls() {
        return core.mallocCalls();
    }

    /** The emulated runtime (for its own tests). */
    EmulatedRuntime runtime() {
        return rt;
    }

    /** Operations the emulated stream has run (copies, fills, launches, GEMMs, event records). */
    long operationsRun() {
        return rt.operationsRun();
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
    private void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                       float beta, long c, int ldc) {
        rt.enqueue("cublasSgemm_v2", () -> referenceSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
    }

    /** The definition itself, run when the emulated stream reaches it. */
    static void referenceSgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b,
                               int ldb, float beta, long c, int ldc) {
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
}
