package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.ActivationOps;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.BlasOps;
import dev.bottleneck.backend.Conv2dGeometry;
import dev.bottleneck.backend.ConvOps;
import dev.bottleneck.backend.ElementwiseOps;
import dev.bottleneck.backend.LossOps;
import dev.bottleneck.backend.MemoryOps;
import dev.bottleneck.backend.NormOps;
import dev.bottleneck.backend.OptimizerOps;
import dev.bottleneck.backend.PoolOps;
import dev.bottleneck.backend.RandomOps;
import dev.bottleneck.backend.ReduceOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;

import java.util.Locale;

import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;

/**
 * The CUDA backend: float32 tensors in device memory, GEMM through cuBLAS, convolution, pooling and batch norm
 * through cuDNN ({@link CudaConv}, {@link CudaPool}, {@link CudaNorm}), everything else through our own fused
 * kernels ({@code kernels/*.cu}, compiled with NVRTC for the GPU at hand, see {@link KernelLibrary}).
 *
 * <p>Execution model:
 * <ul>
 *   <li>One non-blocking stream carries everything: cuBLAS (bound with {@code cublasSetStream_v2}), cuDNN
 *       (bound with {@code cudnnSetStream}), every
 *       kernel launch, every {@code cudaMemcpyAsync}/{@code cudaMemsetAsync}. Ops only enqueue work; the host
 *       waits in {@link MemoryOps#download}, {@link MemoryOps#readScalar} and {@link #synchronize()} only
 *       (plus, rarely, for a pinned staging slot whose previous copy has not run yet).</li>
 *   <li>Device memory comes from {@link CudaAllocator} (size classes + free lists), so steady-state training
 *       makes no {@code cudaMalloc}/{@code cudaFree} calls.</li>
 *   <li>Reductions are deterministic: fixed-shape block trees in double, no atomics (same bits every run).</li>
 *   <li>Every status is checked ({@link CudaCheck}); kernel faults surface at the next synchronising call.
 *       Set {@code BOTTLENECK_CUDA_SYNC=1} to synchronise after every launch and pin an error to its op.</li>
 * </ul>
 * The CPU backend is the numerical reference; each kernel file names the CPU method it matches.
 */
public final class CudaBackend implements Backend {
    static final int BLOCK = 256;          // BN_BLOCK in kernels/common.cuh
    static final int FINISH_BLOCK = 1024;  // red_finish block size
    static final int MAX_PARTIALS = 1024;  // partial sums per two-stage reduction (<= FINISH_BLOCK)
    static final int MAX_RANK = 8;         // BN_MAX_RANK in kernels/common.cuh

    private final CudaProbe.Result probe;
    final boolean tf32;
    final boolean syncEveryLaunch = "1".equals(System.getenv("BOTTLENECK_CUDA_SYNC"));
    final int device;
    final int maxGrid;
    private final CudaContext context;
    final CUstream_st stream;
    final cublasContext cublas;
    final FloatPointer alphaHost = new FloatPointer(1), betaHost = new FloatPointer(1);
    /** The runtime behind memory, copies and synchronisation: {@link CudaRuntime#CUDART}, or the emulator's. */
    final CudaRuntime rt;
    final CudaAllocator allocator;
    PinnedStaging staging;
    private KernelLibrary library;
    private KernelLauncher launcher;
    private Kernels kernels;
    private Cudnn cudnn;
    private CudaConv conv;
    private CudaPool pool;
    private CudaNorm norm;
    /** device double[MAX_PARTIALS] for two-stage reductions */
    long partials;
    /** device int[] for gatherRows indices, grown on demand */
    long indexBlock;
    long indexCapacity;
    float[] convert;   // host scratch for double[] <-> float conversions

    private final CudaMemory memory;
    /** The column-major SGEMM behind {@link CudaBlas}: cuBLAS, or the kernel emulator's reference. */
    final CudaBlas.Sgemm sgemm;
    private final CudaBlas blas = new CudaBlas(this);
    private final CudaElementwise elementwise = new CudaElementwise(this);
    private final CudaReduce reduce = new CudaReduce(this);
    private final CudaActivations activations = new CudaActivations(this);
    private final CudaLosses losses = new CudaLosses(this);
    private final CudaRandom random = new CudaRandom(this);
    private final CudaOptimizer optimizer = new CudaOptimizer(this);

    CudaBackend(CudaProbe.Result probed, BackendOptions options) {
        // one GPU per process: the local rank of a data-parallel job picks it (CudaDevices); probe describes that one
        CudaProbe.Result probe = probed.onDevice(CudaDevices.choose(System.getenv(), probed.deviceCount()));
        this.probe = probe;
        this.rt = CudaRuntime.CUDART;
        this.allocator = new CudaAllocator(rt);
        this.memory = new CudaMemory(this);
        this.sgemm = CudaBlas.cublas(this);
        this.tf32 = options.tf32();
        this.device = probe.device();
        this.context = new CudaContext(device, tf32);
        this.maxGrid = context.maxGrid;
        this.stream = context.stream;
        this.cublas = context.cublas;
        boolean ok = false;
        try {
            staging = new PinnedStaging(rt, stream);
            library = new KernelLibrary(probe.ccMajor() * 10 + probe.ccMinor(), probe.nvrtcVersion());
            launcher = new KernelLauncher(library, stream, syncEveryLaunch);
            kernels = new Kernels(launcher);
            partials = allocator.allocate(8L * MAX_PARTIALS, "reduction scratch");
            cudnn = new Cudnn(stream, allocator, syncEveryLaunch);
            conv = new CudaConv(this, cudnn, tf32);
            pool = new CudaPool(this, cudnn);
            norm = new CudaNorm(this, cudnn);
            CudnnSmokeTest.run(this, probe.cudnnVersion());
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    /**
     * A backend with no GPU behind it, for the tests that run our own kernels in the kernel emulator
     * ({@code native/emu}, docs/CUDA.md "Kernels without a GPU"): {@code rt} is an emulated runtime (memory,
     * copies, events, synchronisation), {@code sink} runs each launch, {@code sgemm} stands in for cuBLAS. Every op
     * group that uses only those works here, with the same Java code as on a GPU: memory (CudaMemory, the
     * allocator, pinned staging), element-wise ops, reductions, activations, losses, random numbers, optimizers,
     * GEMM, max pooling with its index ops, up-sampling. There is no context, cuBLAS or cuDNN.
     */
    CudaBackend(CudaRuntime rt, KernelSink sink, int maxGrid, CudaBlas.Sgemm sgemm) {
        this.rt = rt;
        this.allocator = new CudaAllocator(rt);
        this.memory = new CudaMemory(this);
        this.sgemm = sgemm;
        this.probe = null;
        this.tf32 = false;
        this.device = -1;
        this.maxGrid = maxGrid;
        this.context = null;
        this.stream = null;   // the emulated runtime has one stream (and no JavaCPP CUDA class may load here)
        this.cublas = null;
        this.staging = new PinnedStaging(rt, stream);
        this.kernels = new Kernels(sink);
        this.partials = allocator.allocate(8L * MAX_PARTIALS, "reduction scratch");
        this.pool = new CudaPool(this, null);
    }

    @Override public String name() { return "cuda"; }
    @Override public DType dtype() { return DType.F32; }

    /** {@code cuda: <GPU> (sm_XY, N GiB), driver X, runtime Y, cuBLAS Z, cuDNN W, NVRTC V, FP32 (TF32 off)}. */
    @Override
    public String describe() {
        String gpu = probe.gpuName() + (probe.deviceCount() > 1 ? " [device " + probe.device() + " of " + probe.deviceCount() + "]" : "");
        return String.format(Locale.ROOT, "cuda: %s (sm_%d%d, %d GiB), driver %s, runtime %s, cuBLAS %s, cuDNN %s, NVRTC %s, FP32 (TF32 %s)%s",
                gpu, probe.ccMajor(), probe.ccMinor(), Math.round(probe.totalBytes() / (double) (1L << 30)),
                CudaProbe.version(probe.driverVersion()), CudaProbe.version(probe.runtimeVersion()), probe.cublasVersion(),
                probe.cudnnVersion(), probe.nvrtcVersion(), tf32 ? "on for GEMM and convolutions" : "off",
                library != null && !library.target.startsWith("sm_" + probe.ccMajor() + probe.ccMinor())
                        ? ", kernels " + library.target : "");
    }

    @Override public MemoryOps memory() { return memory; }
    @Override public BlasOps blas() { return blas; }
    @Override public ElementwiseOps elementwise() { return elementwise; }
    @Override public ReduceOps reduce() { return reduce; }
    @Override public ActivationOps activations() { return activations; }
    @Override public LossOps losses() { return losses; }
    @Override public RandomOps random() { return random; }
    @Override public OptimizerOps optimizer() { return optimizer; }
    @Override public ConvOps conv() { return conv; }
    @Override public PoolOps pool() { return pool; }
    @Override public NormOps norm() { return norm; }

    private CudaCollectives collectives;

    /** NCCL between the processes of a data-parallel job, one GPU each (unavailable when NCCL did not load). */
    @Override
    public synchronized dev.bottleneck.backend.CollectiveSupport collectives() {
        if (collectives == null) collectives = new CudaCollectives(this, probe);
        return collectives;
    }

    private CudaRnn rnn; // cuDNN RNNs, created on first use (CudaRnn.java)

    @Override
    public synchronized dev.bottleneck.backend.RnnOps rnn() {
        if (rnn == null) {
            enter();
            rnn = new CudaRnn(this, cudnn, tf32);
        }
        return rnn;
    }

    @Override
    public void synchronize() {
        enter();
        rt.streamSynchronize(stream, "cudaStreamSynchronize (an earlier GPU operation failed)");
    }

    @Override
    public synchronized void close() {
        if (context == null) {   // the kernel emulator's backend
            if (emulatorClosed) return;
            emulatorClosed = true;
            staging.close();
            allocator.freeAll();
            alphaHost.deallocate();
            betaHost.deallocate();
            return;
        }
        if (context.closed()) return;
        try {
            if (collectives != null) collectives.closeAll(); // communicators use the stream and the context
        } catch (RuntimeException ignored) {
            // closing goes on
        }
        try {
            context.drain();
        } finally {
            if (rnn != null) rnn.close(); // its cuDNN descriptors, before the handle goes
            if (library != null) library.close();
            if (launcher != null) launcher.close();
            if (staging != null) staging.close();
            if (cudnn != null) cudnn.close();
            allocator.freeAll();
            context.close();
            alphaHost.deallocate();
            betaHost.deallocate();
        }
    }

    /** Number of cudaMalloc calls so far (a steady-state training step should add none). */
    public long mallocCalls() {
        return allocator.mallocCalls();
    }

    /** Number of cached convolution shapes (a training loop adds none after its first step). */
    public int convPlanCount() {
        return conv.planCount();
    }

    /** The cuDNN algorithms chosen so far for a convolution shape (null when it was never run). */
    public String convAlgorithms(Conv2dGeometry g) {
        return conv.algorithms(g);
    }

    /** The kernel target actually used ("sm_90", or "compute_XY" when the driver JIT-compiles PTX). */
    public String kernelTarget() {
        return library.target;
    }

    // -------------------------------------------------------------------------------------------- plumbing

    /** Checks the backend is open and the calling thread has this device's context current. */
    void enter() {
        if (context != null) context.enter();
        else if (emulatorClosed) throw new IllegalStateException("the cuda backend is closed");
    }

    private volatile boolean emulatorClosed;

    CudaBuffer buf(Tensor t) {
        if (!(t.buffer() instanceof CudaBuffer)) {
            throw new IllegalArgumentException("tensor " + t + " does not belong to the cuda backend");
        }
        CudaBuffer b = (CudaBuffer) t.buffer();
        if (b.owner != this) throw new IllegalArgumentException("tensor " + t + " belongs to another cuda backend");
        if (b.released) throw new IllegalStateException("tensor " + t + " was released");
        return b;
    }

    /** Device address of the first element of t. */
    long addr(Tensor t) {
        return buf(t).addressOf(t.offset());
    }

    static void scalar(Tensor t, String op) {
        if (t.size() != 1) throw new IllegalArgumentException(op + ": output must have one element, got " + Shapes.str(t.shape()));
    }

    /** A kernel launch, given the number of blocks of its grid. */
    interface GridLaunch {
        void launch(int grid);
    }

    /**
     * One grid-stride kernel over n elements: checks that the backend is open, does nothing when n is 0, else
     * runs {@code launch} with {@link #gridFor gridFor(n)} blocks under the backend lock.
     */
    void launch(long n, GridLaunch launch) {
        enter();
        if (n == 0) return;
        synchronized (this) {
            launch.launch(gridFor(n));
        }
    }

    /** Runs {@code work} under the backend lock, after {@link #enter()}. */
    void locked(Runnable work) {
        enter();
        synchronized (this) {
            work.run();
        }
    }

    /** Blocks for a 1-D grid-stride launch over n elements. */
    int gridFor(long n) {
        return (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, maxGrid));
    }

    /** Partial-sum count for n elements: a function of n only, so reductions add in the same order on any GPU. */
    static int partialsFor(long n) {
        return (int) Math.max(1, Math.min(MAX_PARTIALS, (n + BLOCK * 4L - 1) / (BLOCK * 4L)));
    }

    /** The typed kernel entry points (call under the backend lock). */
    Kernels kernels() {
        return kernels;
    }

    /** Stage 1 of a two-stage reduction into {@link #partials}; returns the partial count. Under the lock. */
    int partialSums(int mode, Tensor x) {
        long n = x.size();
        int g = partialsFor(n);
        kernels().red_partials(g, BLOCK, mode, addr(x), n, partials);
        return g;
    }

    /** Stage 2: out[0] = sum / divisor + beta * out[0] (or the non-finite flag). Under the lock. */
    void finish(int count, Tensor out, double divisor, double beta, boolean flag) {
        kernels().red_finish(1, FINISH_BLOCK, partials, count, addr(out), divisor, beta, flag ? 1 : 0);
    }

    void memcpyAsync(long dst, long src, long bytes, int kind, String what) {
        rt.memcpyAsync(dst, src, bytes, kind, stream, what);
    }

}
