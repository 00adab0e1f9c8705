package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.ActivationOps;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.BinaryOp;
import dev.bottleneck.backend.BlasOps;
import dev.bottleneck.backend.Conv2dGeometry;
import dev.bottleneck.backend.ConvOps;
import dev.bottleneck.backend.ElementwiseOps;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.LossOps;
import dev.bottleneck.backend.MemoryOps;
import dev.bottleneck.backend.NormOps;
import dev.bottleneck.backend.OptimizerOps;
import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.backend.PoolOps;
import dev.bottleneck.backend.RandomOps;
import dev.bottleneck.backend.ReduceOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerPointer;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_TF32_TENSOR_OP_MATH;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrMultiProcessorCount;
import static org.bytedeco.cuda.global.cudart.cudaDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetLastError;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamNonBlocking;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

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
    private static final int BLOCK = 256;          // BN_BLOCK in kernels/common.cuh
    private static final int FINISH_BLOCK = 1024;  // red_finish block size
    private static final int MAX_PARTIALS = 1024;  // partial sums per two-stage reduction (<= FINISH_BLOCK)
    private static final int MAX_RANK = 8;         // BN_MAX_RANK in kernels/common.cuh

    private final CudaProbe.Result probe;
    private final boolean tf32;
    final boolean syncEveryLaunch = "1".equals(System.getenv("BOTTLENECK_CUDA_SYNC"));
    final int device;
    private final int maxGrid;

    private final CUstream_st stream = new CUstream_st();
    private final cublasContext cublas = new cublasContext();
    private final FloatPointer alphaHost = new FloatPointer(1), betaHost = new FloatPointer(1);
    private final CudaAllocator allocator = new CudaAllocator();
    private PinnedStaging staging;
    private KernelLibrary library;
    private KernelLauncher launcher;
    private Kernels kernels;
    private Cudnn cudnn;
    private CudaConv conv;
    private CudaPool pool;
    private CudaNorm norm;
    /** device double[MAX_PARTIALS] for two-stage reductions */
    private long partials;
    /** device int[] for gatherRows indices, grown on demand */
    private long indexBlock;
    private long indexCapacity;
    private float[] convert;   // host scratch for double[] <-> float conversions
    private final ThreadLocal<Boolean> bound = ThreadLocal.withInitial(() -> false);
    private volatile boolean closed;

    private final Memory memory = new Memory();
    private final Blas blas = new Blas();
    private final Elementwise elementwise = new Elementwise();
    private final Reduce reduce = new Reduce();
    private final Activations activations = new Activations();
    private final Losses losses = new Losses();
    private final Random random = new Random();
    private final Optimizer optimizer = new Optimizer();

    CudaBackend(CudaProbe.Result probe, BackendOptions options) {
        this.probe = probe;
        this.tf32 = options.tf32();
        this.device = probe.device();
        boolean ok = false;
        try {
            CudaCheck.cuda(cudaSetDevice(device), "cudaSetDevice(" + device + ")");
            CudaCheck.cuda(cudaFree(null), "cudaFree(NULL) (creates the primary context)");
            bound.set(true);
            int[] sms = {0};
            CudaCheck.cuda(cudaDeviceGetAttribute(sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute(SM count)");
            maxGrid = Math.max(1, sms[0]) * 32;
            CudaCheck.cuda(cudaStreamCreateWithFlags(stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
            CudaCheck.cublas(cublasCreate_v2(cublas), "cublasCreate_v2");
            CudaCheck.cublas(cublasSetStream_v2(cublas, stream), "cublasSetStream_v2");
            // strict FP32 unless TF32 was asked for (CUBLAS_DEFAULT_MATH is strict FP32 in CUDA 13 cuBLAS)
            CudaCheck.cublas(cublasSetMathMode(cublas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
            staging = new PinnedStaging(stream);
            library = new KernelLibrary(probe.ccMajor() * 10 + probe.ccMinor(), probe.nvrtcVersion());
            launcher = new KernelLauncher(library, stream, syncEveryLaunch);
            kernels = new Kernels(launcher);
            partials = allocator.allocate(8L * MAX_PARTIALS, "reduction scratch");
            cudnn = new Cudnn(stream, allocator, syncEveryLaunch);
            conv = new CudaConv(this, cudnn, tf32);
            pool = new CudaPool(this, cudnn);
            norm = new CudaNorm(this, cudnn);
            smokeTestCudnn();
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    @Override public String name() { return "cuda"; }
    @Override public DType dtype() { return DType.F32; }

    /** {@code cuda: <GPU> (sm_XY, N GiB), driver X, runtime Y, cuBLAS Z, cuDNN W, NVRTC V, FP32 (TF32 off)}. */
    @Override
    public String describe() {
        return String.format(Locale.ROOT, "cuda: %s (sm_%d%d, %d GiB), driver %s, runtime %s, cuBLAS %s, cuDNN %s, NVRTC %s, FP32 (TF32 %s)%s",
                probe.gpuName(), probe.ccMajor(), probe.ccMinor(), Math.round(probe.totalBytes() / (double) (1L << 30)),
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

    private final CudaSeg seg = new CudaSeg(this); // kernels/pool.cu and kernels/loss.cu (CudaSeg.java)

    @Override public dev.bottleneck.backend.SegOps seg() { return seg; }

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
        CudaCheck.cuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize (an earlier GPU operation failed)");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            cudaSetDevice(device);
            if (!stream.isNull()) cudaStreamSynchronize(stream);
        } finally {
            if (rnn != null) rnn.close(); // its cuDNN descriptors, before the handle goes
            if (library != null) library.close();
            if (launcher != null) launcher.close();
            if (staging != null) staging.close();
            if (cudnn != null) cudnn.close();
            if (!cublas.isNull()) cublasDestroy_v2(cublas);
            allocator.freeAll();
            if (!stream.isNull()) cudaStreamDestroy(stream);
            alphaHost.deallocate();
            betaHost.deallocate();
        }
    }

    /** Number of cudaMalloc calls so far (a steady-state training step should add none). */
    public long mallocCalls() {
        return allocator.mallocCalls();
    }

    /** Number of cached convolution shapes (a training loop adds none after its first step). */
    int convPlanCount() {
        return conv.planCount();
    }

    /** The cuDNN algorithms chosen so far for a convolution shape (null when it was never run). */
    public String convAlgorithms(Conv2dGeometry g) {
        return conv.algorithms(g);
    }

    // -------------------------------------------------------------------------------------------- cuDNN smoke test
    private static final List<String> CUDNN_ENGINE_LIBS = List.of("libcudnn_engines_precompiled.so.9",
            "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9", "libcudnn_ext.so.9");
    private static final Pattern SO_NAME = Pattern.compile("lib[A-Za-z0-9_]+\\.so(?:\\.[0-9]+)*");

    /**
     * Runs one tiny convolution (forward, backward-data, backward-filter) and a max pool and checks the numbers.
     * cuDNN loads its engine libraries only at the first use, so an incomplete installation otherwise fails in
     * the middle of training with CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED (FACTS.md pitfall 7); here it becomes
     * an error at backend creation that names the missing library.
     */
    private void smokeTestCudnn() {
        Tensor x = null, w = null, y = null, dx = null, dw = null, p = null;
        try {
            // x = ones [1, 1, 4, 4], w = ones [1, 1, 3, 3], padding 1: y corners 4, edges 6, centre 9
            Conv2dGeometry g = new Conv2dGeometry(1, 1, 4, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1);
            x = memory.allocate(g.inputShape());
            w = memory.allocate(g.weightShape());
            y = memory.allocate(g.outputShape());
            dx = memory.allocate(g.inputShape());
            dw = memory.allocate(g.weightShape());
            p = memory.allocate(1, 1, 2, 2);
            memory.fill(x, 1.0);
            memory.fill(w, 1.0);
            conv.forward(g, x, w, null, y);
            conv.backwardData(g, y, w, dx, false);
            conv.backwardFilter(g, x, y, dw, false);
            pool.maxForward(new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, true), y, p);
            float[] out = memory.toFloatArray(y);   // waits for the stream: asynchronous failures surface here
            float[] pooled = memory.toFloatArray(p);
            if (out[0] != 4f || out[1] != 6f || out[5] != 9f || pooled[0] != 9f) {
                throw new BottleneckException("cuDNN smoke test computed wrong values (y[0]=" + out[0] + ", y[1]=" + out[1]
                        + ", y[5]=" + out[5] + ", maxpool=" + pooled[0] + "; expected 4, 6, 9, 9)");
            }
            synchronize();
        } catch (BottleneckException e) {
            throw new BottleneckException("cuDNN " + probe.cudnnVersion() + " loads but cannot run a convolution"
                    + missingCudnnLibraries(e.getMessage()) + ": " + e.getMessage(), e);
        } finally {
            for (Tensor t : new Tensor[] {x, w, y, dx, dw, p}) {
                if (t != null) memory.release(t);
            }
        }
    }

    /** " (missing: libX.so.9)" from the failure text, else the engine libraries JavaCPP could not find either. */
    static String missingCudnnLibraries(String message) {
        Matcher m = SO_NAME.matcher(message == null ? "" : message);
        StringJoiner named = new StringJoiner(", ");
        while (m.find()) named.add(m.group());
        if (named.length() > 0) return " (missing or unusable: " + named + ")";
        StringJoiner notFound = new StringJoiner(", ");
        try {
            Map<String, String> loaded = Loader.getLoadedLibraries();
            for (String lib : CUDNN_ENGINE_LIBS) {
                String stem = lib.substring(3, lib.indexOf(".so"));
                boolean found = false;
                for (Map.Entry<String, String> e : loaded.entrySet()) {
                    if (e.getKey().contains(stem) || (e.getValue() != null && e.getValue().contains(stem))) found = true;
                }
                if (!found) notFound.add(lib);
            }
        } catch (Throwable t) {
            return "";
        }
        return notFound.length() == 0 ? "" : " (not found by JavaCPP's loader either: " + notFound + ")";
    }

    /** The kernel target actually used ("sm_90", or "compute_XY" when the driver JIT-compiles PTX). */
    public String kernelTarget() {
        return library.target;
    }

    // -------------------------------------------------------------------------------------------- plumbing

    /** Checks the backend is open and the calling thread has this device's context current. */
    void enter() {
        if (closed) throw new IllegalStateException("the cuda backend is closed");
        if (!bound.get()) {
            CudaCheck.cuda(cudaSetDevice(device), "cudaSetDevice(" + device + ")");
            bound.set(true);
        }
    }

    private CudaBuffer buf(Tensor t) {
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

    private static void sameSize(Tensor a, Tensor b, String op) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": size mismatch " + Shapes.str(a.shape()) + " vs " + Shapes.str(b.shape()));
        }
    }

    private static void scalar(Tensor t, String op) {
        if (t.size() != 1) throw new IllegalArgumentException(op + ": output must have one element, got " + Shapes.str(t.shape()));
    }

    /** Blocks for a 1-D grid-stride launch over n elements. */
    int gridFor(long n) {
        return (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, maxGrid));
    }

    /** Partial-sum count for n elements: a function of n only, so reductions add in the same order on any GPU. */
    private static int partialsFor(long n) {
        return (int) Math.max(1, Math.min(MAX_PARTIALS, (n + BLOCK * 4L - 1) / (BLOCK * 4L)));
    }

    /** The typed kernel entry points (call under the backend lock). */
    Kernels kernels() {
        return kernels;
    }

    private void memcpyAsync(long dst, long src, long bytes, int kind, String what) {
        CudaCheck.cuda(cudaMemcpyAsync(DevicePointers.at(dst), DevicePointers.at(src), bytes, kind, stream), what);
    }

    // -------------------------------------------------------------------------------------------- memory
    private final class Memory implements MemoryOps {
        @Override
        public Tensor allocate(int... shape) {
            enter();
            long n = Tensor.sizeOf(shape);
            long bytes = Math.max(1, n) * 4L;
            long address = allocator.allocate(bytes, "a tensor of " + Arrays.toString(shape));
            CudaBuffer b = new CudaBuffer(CudaBackend.this, address, n, CudaAllocator.sizeClass(bytes));
            return new Tensor(b, 0, shape);
        }

        @Override
        public void release(Tensor t) {
            if (!(t.buffer() instanceof CudaBuffer) || ((CudaBuffer) t.buffer()).owner != CudaBackend.this) {
                throw new IllegalArgumentException("release of a tensor that does not belong to this cuda backend: " + t);
            }
            CudaBuffer b = (CudaBuffer) t.buffer();
            if (t.offset() != 0 || t.size() != b.capacity) {
                throw new IllegalArgumentException("release of a view: " + t + " (only whole allocations can be released)");
            }
            synchronized (CudaBackend.this) {
                if (b.released) return;   // a second release is a no-op; later use of the tensor throws
                b.released = true;
                allocator.release(b.address);
            }
        }

        @Override
        public void upload(float[] src, int srcOffset, Tensor dst) {
            long n = dst.size();
            if (srcOffset < 0 || srcOffset + n > src.length) {
                throw new IllegalArgumentException("upload: source has " + (src.length - srcOffset) + " elements, tensor needs " + n);
            }
            uploadFloats(src, srcOffset, addr(dst), n);
        }

        @Override
        public void upload(double[] src, int srcOffset, Tensor dst) {
            long n = dst.size();
            if (srcOffset < 0 || srcOffset + n > src.length) {
                throw new IllegalArgumentException("upload: source has " + (src.length - srcOffset) + " elements, tensor needs " + n);
            }
            long base = addr(dst);
            synchronized (CudaBackend.this) {
                int chunk = (int) (PinnedStaging.CHUNK_BYTES / 4);
                float[] tmp = scratch((int) Math.min(n, chunk));
                for (long done = 0; done < n; done += chunk) {
                    int len = (int) Math.min(chunk, n - done);
                    for (int i = 0; i < len; i++) tmp[i] = (float) src[(int) (srcOffset + done + i)];
                    uploadFloats(tmp, 0, base + 4L * done, len);
                }
            }
        }

        /** Host floats → device, through pinned staging slots, in chunks; asynchronous. */
        private void uploadFloats(float[] src, int srcOffset, long dstAddress, long n) {
            enter();
            synchronized (CudaBackend.this) {
                int chunk = (int) (PinnedStaging.CHUNK_BYTES / 4);
                for (long done = 0; done < n; done += chunk) {
                    int len = (int) Math.min(chunk, n - done);
                    PinnedStaging.Slot s = staging.acquire(4L * len);
                    s.floats(len).put(src, (int) (srcOffset + done), len);
                    memcpyAsync(dstAddress + 4L * done, s.host.address(), 4L * len, cudaMemcpyHostToDevice, "cudaMemcpyAsync(host to device)");
                    staging.recordUse(s);
                }
            }
        }

        @Override
        public void download(Tensor src, float[] dst, int dstOffset) {
            long n = src.size();
            if (dstOffset < 0 || dstOffset + n > dst.length) {
                throw new IllegalArgumentException("download: destination has " + (dst.length - dstOffset) + " elements, tensor has " + n);
            }
            downloadFloats(addr(src), n, dst, dstOffset);
        }

        @Override
        public void download(Tensor src, double[] dst, int dstOffset) {
            long n = src.size();
            if (dstOffset < 0 || dstOffset + n > dst.length) {
                throw new IllegalArgumentException("download: destination has " + (dst.length - dstOffset) + " elements, tensor has " + n);
            }
            long base = addr(src);
            synchronized (CudaBackend.this) {
                int chunk = (int) (PinnedStaging.CHUNK_BYTES / 4);
                float[] tmp = scratch((int) Math.min(n, chunk));
                for (long done = 0; done < n; done += chunk) {
                    int len = (int) Math.min(chunk, n - done);
                    downloadFloats(base + 4L * done, len, tmp, 0);
                    for (int i = 0; i < len; i++) dst[(int) (dstOffset + done + i)] = tmp[i];
                }
            }
        }

        /** Device → host floats; waits for the stream (everything queued before, then the copy). */
        private void downloadFloats(long srcAddress, long n, float[] dst, int dstOffset) {
            enter();
            synchronized (CudaBackend.this) {
                int chunk = (int) (PinnedStaging.CHUNK_BYTES / 4);
                for (long done = 0; done < n; done += chunk) {
                    int len = (int) Math.min(chunk, n - done);
                    PinnedStaging.Slot s = staging.acquire(4L * len);
                    memcpyAsync(s.host.address(), srcAddress + 4L * done, 4L * len, cudaMemcpyDeviceToHost, "cudaMemcpyAsync(device to host)");
                    staging.recordUse(s);
                    staging.waitFor(s);
                    s.floats(len).get(dst, (int) (dstOffset + done), len);
                }
            }
        }

        @Override
        public double readScalar(Tensor scalar) {
            if (scalar.size() < 1) throw new IllegalArgumentException("readScalar of an empty tensor");
            float[] one = new float[1];
            downloadFloats(addr(scalar), 1, one, 0);
            return one[0];
        }

        @Override
        public void copy(Tensor src, Tensor dst) {
            sameSize(src, dst, "copy");
            enter();
            long n = src.size();
            if (n == 0) return;
            long s = addr(src), d = addr(dst), bytes = 4L * n;
            if (s == d) return;
            synchronized (CudaBackend.this) {
                if (s < d + bytes && d < s + bytes) {   // overlapping views of one buffer: go through a temporary block
                    long tmp = allocator.allocate(bytes, "a temporary copy");
                    memcpyAsync(tmp, s, bytes, cudaMemcpyDeviceToDevice, "cudaMemcpyAsync(device to device)");
                    memcpyAsync(d, tmp, bytes, cudaMemcpyDeviceToDevice, "cudaMemcpyAsync(device to device)");
                    allocator.release(tmp);   // stream-ordered: later users of the block run after these copies
                } else {
                    memcpyAsync(d, s, bytes, cudaMemcpyDeviceToDevice, "cudaMemcpyAsync(device to device)");
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
            enter();
            long s = addr(src) + 4L * srcCol, d = addr(dst) + 4L * dstCol;
            synchronized (CudaBackend.this) {
                CudaCheck.cuda(org.bytedeco.cuda.global.cudart.cudaMemcpy2DAsync(DevicePointers.at(d), 4L * dst.cols(),
                        DevicePointers.at(s), 4L * src.cols(), 4L * width, src.rows(), cudaMemcpyDeviceToDevice, stream),
                        "cudaMemcpy2DAsync(device to device)");
            }
        }

        @Override
        public void fill(Tensor t, double value) {
            enter();
            long n = t.size();
            if (n == 0) return;
            float v = (float) value;
            synchronized (CudaBackend.this) {
                if (Float.floatToRawIntBits(v) == 0) {
                    CudaCheck.cuda(cudaMemsetAsync(DevicePointers.at(addr(t)), 0, 4L * n, stream), "cudaMemsetAsync");
                } else {
                    kernels().ew_fill(gridFor(n), BLOCK, addr(t), v, n);
                }
            }
        }

        @Override
        public void gatherRows(Tensor src, int[] rows, int from, Tensor dst) {
            enter();
            int cols = src.cols();
            if (dst.cols() != cols) throw new IllegalArgumentException("gatherRows: " + cols + " columns into " + dst.cols());
            int count = dst.rows(), nRows = src.rows();
            if (from < 0 || from + count > rows.length) throw new IllegalArgumentException("gatherRows: index range past the end");
            for (int i = 0; i < count; i++) {
                int r = rows[from + i];
                if (r < 0 || r >= nRows) throw new IndexOutOfBoundsException("gatherRows: row " + r + " of " + nRows);
            }
            if (count == 0 || cols == 0) return;
            synchronized (CudaBackend.this) {
                if (indexCapacity < count) {
                    if (indexBlock != 0) allocator.release(indexBlock);
                    indexCapacity = Math.max(count, 1024);
                    indexBlock = allocator.allocate(4L * indexCapacity, "gather indices");
                }
                PinnedStaging.Slot s = staging.acquire(4L * count);
                IntPointer ip = s.ints(count);
                ip.put(rows, from, count);
                memcpyAsync(indexBlock, s.host.address(), 4L * count, cudaMemcpyHostToDevice, "cudaMemcpyAsync(gather indices)");
                staging.recordUse(s);
                long n = (long) count * cols;
                kernels().gather_rows(gridFor(n), BLOCK, addr(src), indexBlock, addr(dst), count, cols);
            }
        }

        @Override public long bytesInUse() { return allocator.bytesInUse(); }
        @Override public long peakBytes() { return allocator.peakBytes(); }
    }

    private float[] scratch(int n) {
        if (convert == null || convert.length < n) convert = new float[Math.max(n, 1)];
        return convert;
    }

    // -------------------------------------------------------------------------------------------- GEMM
    private final class Blas implements BlasOps {
        /**
         * Row-major C = alpha op(A) op(B) + beta C through column-major cuBLAS: a row-major matrix is its
         * transpose in column-major, so compute C^T = op(B)^T op(A)^T, i.e. sgemm(opB, opA, n, m, k, B, ldb,
         * A, lda, C, ldc) with the same op flags (FACTS.md §3.1).
         */
        @Override
        public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, Tensor a, int lda,
                         Tensor b, int ldb, double beta, Tensor c, int ldc) {
            enter();
            if (m <= 0 || n <= 0) return;
            long needA = transA ? (long) (k - 1) * lda + m : (long) (m - 1) * lda + k;
            long needB = transB ? (long) (n - 1) * ldb + k : (long) (k - 1) * ldb + n;
            long needC = (long) (m - 1) * ldc + n;
            if (k > 0 && (needA > a.size() || needB > b.size()) || needC > c.size()) {
                throw new IllegalArgumentException("gemm operands too small for m=" + m + " n=" + n + " k=" + k
                        + " (A " + a.size() + ", B " + b.size() + ", C " + c.size() + " elements)");
            }
            if (ldc < n || (k > 0 && (lda < (transA ? m : k) || ldb < (transB ? k : n)))) {
                throw new IllegalArgumentException("gemm leading dimensions too small: lda=" + lda + " ldb=" + ldb + " ldc=" + ldc
                        + " for m=" + m + " n=" + n + " k=" + k);
            }
            if (k <= 0) {   // C = beta C (with beta == 0 the old C is ignored)
                for (int r = 0; r < m; r++) {
                    Tensor row = c.view((long) r * ldc, n);
                    if (beta == 0) memory.fill(row, 0.0); else elementwise.affine(row, beta, 0.0, row);
                }
                return;
            }
            synchronized (CudaBackend.this) {
                alphaHost.put(0, (float) alpha);
                betaHost.put(0, (float) beta);   // host pointer mode: read before cublasSgemm_v2 returns
                CudaCheck.cublas(cublasSgemm_v2(cublas, transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N,
                        n, m, k, alphaHost, DevicePointers.floats(addr(b)), ldb, DevicePointers.floats(addr(a)), lda,
                        betaHost, DevicePointers.floats(addr(c)), ldc),
                        "cublasSgemm_v2(m=" + m + ", n=" + n + ", k=" + k + ")");
                if (syncEveryLaunch) CudaCheck.cuda(cudaStreamSynchronize(stream), "cublasSgemm_v2");
            }
        }
    }

    // -------------------------------------------------------------------------------------------- element-wise
    private final class Elementwise implements ElementwiseOps {
        @Override
        public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
            enter();
            int[] shape = Shapes.broadcast(a.shape(), b.shape());
            long n = Shapes.size(shape);
            if (n != out.size()) {
                throw new IllegalArgumentException(op + ": output " + Shapes.str(out.shape()) + " is not the broadcast shape "
                        + Shapes.str(shape));
            }
            if (n == 0) return;
            long pa = suffixPeriod(a.shape(), shape), pb = suffixPeriod(b.shape(), shape);
            synchronized (CudaBackend.this) {
                if (pa > 0 && pb > 0) {
                    kernels().ew_binary_mod(gridFor(n), BLOCK, op.ordinal(), addr(a), pa, addr(b), pb, addr(out), n);
                    return;
                }
                long[] sa = Shapes.broadcastStrides(a.shape(), shape), sb = Shapes.broadcastStrides(b.shape(), shape);
                // drop size-1 dimensions, then merge neighbours that are contiguous for both operands
                long[] dims = new long[shape.length], as = new long[shape.length], bs = new long[shape.length];
                int r = 0;
                for (int d = 0; d < shape.length; d++) {
                    if (shape[d] == 1) continue;
                    if (r > 0 && as[r - 1] == sa[d] * shape[d] && bs[r - 1] == sb[d] * shape[d]) {
                        dims[r - 1] *= shape[d];
                        as[r - 1] = sa[d];
                        bs[r - 1] = sb[d];
                    } else {
                        dims[r] = shape[d];
                        as[r] = sa[d];
                        bs[r] = sb[d];
                        r++;
                    }
                }
                if (r > MAX_RANK) {
                    throw new IllegalArgumentException(op + ": broadcasting " + Shapes.str(a.shape()) + " with " + Shapes.str(b.shape())
                            + " needs " + r + " dimensions; the cuda backend supports " + MAX_RANK);
                }
                KernelStruct.BnBroadcast bcast = new KernelStruct.BnBroadcast(Arrays.copyOf(dims, r), Arrays.copyOf(as, r),
                        Arrays.copyOf(bs, r), r);
                kernels().ew_binary_bcast(gridFor(n), BLOCK, op.ordinal(), addr(a), addr(b), addr(out), n, bcast);
            }
        }

        /**
         * When the operand, aligned right against the broadcast shape, is ones followed by the trailing
         * dimensions of that shape, element i of the output reads operand element i % period: returns that
         * period (n for the same shape, 1 for a scalar, D for a [D] row against [N, D]); else -1.
         */
        private long suffixPeriod(int[] opShape, int[] full) {
            int r = full.length, off = r - opShape.length;
            int j = r;
            while (j > 0 && j - 1 >= off && opShape[j - 1 - off] == full[j - 1]) j--;
            for (int d = 0; d < j; d++) {
                int od = d < off ? 1 : opShape[d - off];
                if (od != 1) return -1;
            }
            long p = 1;
            for (int d = j; d < r; d++) p *= full[d];
            return p;
        }

        @Override
        public void unary(UnaryOp op, Tensor x, Tensor out) {
            sameSize(x, out, op.name());
            enter();
            long n = x.size();
            if (n == 0) return;
            synchronized (CudaBackend.this) {
                kernels().ew_unary(gridFor(n), BLOCK, op.ordinal(), addr(x), addr(out), n);
            }
        }

        @Override
        public void affine(Tensor x, double alpha, double beta, Tensor out) {
            sameSize(x, out, "affine");
            enter();
            long n = x.size();
            if (n == 0) return;
            synchronized (CudaBackend.this) {
                kernels().ew_affine(gridFor(n), BLOCK, addr(x), (float) alpha, (float) beta, addr(out), n);
            }
        }

        @Override
        public void axpby(double alpha, Tensor x, double beta, Tensor y) {
            sameSize(x, y, "axpby");
            enter();
            long n = x.size();
            if (n == 0) return;
            synchronized (CudaBackend.this) {
                kernels().ew_axpby(gridFor(n), BLOCK, (float) alpha, addr(x), (float) beta, addr(y), n);
            }
        }

        @Override
        public void clamp(Tensor x, double lo, double hi, Tensor out) {
            sameSize(x, out, "clamp");
            enter();
            long n = x.size();
            if (n == 0) return;
            synchronized (CudaBackend.this) {
                kernels().ew_clamp(gridFor(n), BLOCK, addr(x), lo, hi, addr(out), n);
            }
        }
    }

    // -------------------------------------------------------------------------------------------- reductions
    /** Stage 1 of a two-stage reduction into {@link #partials}; returns the partial count. Under the lock. */
    private int partialSums(int mode, Tensor x) {
        long n = x.size();
        int g = partialsFor(n);
        kernels().red_partials(g, BLOCK, mode, addr(x), n, partials);
        return g;
    }

    /** Stage 2: out[0] = sum / divisor + beta * out[0] (or the non-finite flag). Under the lock. */
    private void finish(int count, Tensor out, double divisor, double beta, boolean flag) {
        kernels().red_finish(1, FINISH_BLOCK, partials, count, addr(out), divisor, beta, flag ? 1 : 0);
    }

    private final class Reduce implements ReduceOps {
        @Override
        public void sumTo(Tensor x, double beta, Tensor out) {
            enter();
            int[] xs = x.shape(), os = out.shape();
            long[] so = Shapes.broadcastStrides(os, xs);   // validates that out broadcasts to x
            long n = x.size(), m = out.size();
            if (m == n) {
                elementwise.axpby(1.0, x.reshape(os), beta, out);
                return;
            }
            if (m == 0) return;
            synchronized (CudaBackend.this) {
                if (m == 1) {
                    finish(partialSums(0, x), out, 1.0, beta, false);
                    return;
                }
                // classify x's dimensions: kept (present in out) or reduced; merge contiguous neighbours
                long[] xStride = new long[xs.length];
                long s = 1;
                for (int d = xs.length - 1; d >= 0; d--) {
                    xStride[d] = s;
                    s *= xs[d];
                }
                long[] kd = new long[xs.length], ks = new long[xs.length], rd = new long[xs.length], rs = new long[xs.length];
                int nk = 0, nr = 0;
                for (int d = 0; d < xs.length; d++) {
                    if (xs[d] == 1) continue;
                    if (so[d] != 0) {
                        if (nk > 0 && ks[nk - 1] == xStride[d] * xs[d]) {
                            kd[nk - 1] *= xs[d];
                            ks[nk - 1] = xStride[d];
                        } else {
                            kd[nk] = xs[d];
                            ks[nk] = xStride[d];
                            nk++;
                        }
                    } else {
                        if (nr > 0 && rs[nr - 1] == xStride[d] * xs[d]) {
                            rd[nr - 1] *= xs[d];
                            rs[nr - 1] = xStride[d];
                        } else {
                            rd[nr] = xs[d];
                            rs[nr] = xStride[d];
                            nr++;
                        }
                    }
                }
                if (nk > MAX_RANK || nr > MAX_RANK) {
                    throw new IllegalArgumentException("sumTo " + Shapes.str(xs) + " -> " + Shapes.str(os)
                            + ": too many dimensions for the cuda backend (" + MAX_RANK + " max after merging)");
                }
                KernelStruct.BnReduce plan = new KernelStruct.BnReduce(Arrays.copyOf(kd, nk), Arrays.copyOf(ks, nk),
                        Arrays.copyOf(rd, nr), Arrays.copyOf(rs, nr), nk, nr);
                long nRed = n / m;
                if (m >= 4096 || nRed <= 32) {
                    kernels().red_sum_to_thread(gridFor(m), BLOCK, addr(x), addr(out), m, nRed, plan, beta);
                } else {
                    kernels().red_sum_to_block((int) Math.min(m, 65535), BLOCK, addr(x), addr(out), m, nRed, plan, beta);
                }
            }
        }

        @Override
        public void sum(Tensor x, Tensor out) {
            scalar(out, "sum");
            enter();
            synchronized (CudaBackend.this) {
                finish(partialSums(0, x), out, 1.0, 0.0, false);
            }
        }

        @Override
        public void sumSquares(Tensor x, Tensor out) {
            scalar(out, "sumSquares");
            enter();
            synchronized (CudaBackend.this) {
                finish(partialSums(1, x), out, 1.0, 0.0, false);
            }
        }

        @Override
        public void nonFinite(Tensor x, Tensor out) {
            scalar(out, "nonFinite");
            enter();
            synchronized (CudaBackend.this) {
                finish(partialSums(2, x), out, 1.0, 0.0, true);
            }
        }
    }

    // -------------------------------------------------------------------------------------------- activations
    private final class Activations implements ActivationOps {
        @Override
        public void forward(Activation kind, double alpha, Tensor x, Tensor y) {
            sameSize(x, y, kind.name());
            enter();
            long n = x.size();
            if (n == 0) return;
            synchronized (CudaBackend.this) {
                kernels().act_forward(gridFor(n), BLOCK, kind.ordinal(), (float) alpha, addr(x), addr(y), n);
            }
        }

        @Override
        public void backward(Activation kind, double alpha, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate) {
            sameSize(x, dx, kind.name());
            sameSize(y, dx, kind.name());
            sameSize(dy, dx, kind.name());
            enter();
            long n = x.size();
            if (n == 0) return;
            synchronized (CudaBackend.this) {
                kernels().act_backward(gridFor(n), BLOCK,
                        kind.ordinal(), (float) alpha, addr(x), addr(y), addr(dy), addr(dx), n, accumulate ? 1 : 0);
            }
        }
    }

    // -------------------------------------------------------------------------------------------- losses
    private final class Losses implements LossOps {
        @Override
        public void lossAndGrad(Loss kind, Loss.Reduction reduction, Tensor pred, Tensor target, Tensor out,
                                Tensor grad, double gradScale) {
            sameSize(pred, target, "loss " + kind);
            if (grad != null) sameSize(pred, grad, "loss gradient");
            scalar(out, "loss " + kind);
            enter();
            long n = pred.size();
            double denom = reduction == Loss.Reduction.MEAN ? n : pred.rows();
            synchronized (CudaBackend.this) {
                int g = partialsFor(n);
                kernels().loss_partials(g, BLOCK,
                        kind.ordinal(), addr(pred), addr(target), grad == null ? 0 : addr(grad), n, (float) (gradScale / denom), partials);
                finish(g, out, denom, 0.0, false);
            }
        }
    }

    // -------------------------------------------------------------------------------------------- random
    private final class Random implements RandomOps {
        @Override
        public void uniform(Tensor out, long seed, long counter, double lo, double hi) {
            enter();
            long n = out.size();
            if (n == 0) return;
            synchronized (CudaBackend.this) {
                kernels().rng_uniform(gridFor(n), BLOCK, addr(out), n, seed, counter, lo, hi - lo);
            }
        }

        @Override
        public void normal(Tensor out, long seed, long counter, double mean, double std) {
            enter();
            long n = out.size();
            if (n == 0) return;
            synchronized (CudaBackend.this) {
                kernels().rng_normal(gridFor(n), BLOCK, addr(out), n, seed, counter, mean, std);
            }
        }

        @Override
        public void bernoulli(Tensor out, long seed, long counter, double p) {
            enter();
            long n = out.size();
            if (n == 0) return;
            synchronized (CudaBackend.this) {
                kernels().rng_bernoulli(gridFor(n), BLOCK, addr(out), n, seed, counter, p);
            }
        }
    }

    // -------------------------------------------------------------------------------------------- optimizers
    private final class Optimizer implements OptimizerOps {
        @Override
        public void sgd(Tensor params, Tensor grads, Tensor velocity, double lr, double momentum, boolean nesterov,
                        double weightDecay) {
            sameSize(params, grads, "sgd");
            if (momentum != 0) {
                if (velocity == null) throw new IllegalArgumentException("sgd with momentum needs a velocity buffer");
                sameSize(params, velocity, "sgd velocity");
            }
            enter();
            long n = params.size();
            if (n == 0) return;
            synchronized (CudaBackend.this) {
                kernels().opt_sgd(gridFor(n), BLOCK,
                        addr(params), addr(grads), momentum != 0 ? addr(velocity) : 0, n, lr, momentum, nesterov ? 1 : 0, weightDecay);
            }
        }

        @Override
        public void adam(Tensor params, Tensor grads, Tensor m, Tensor v, double lr, double beta1, double beta2,
                         double eps, double weightDecay, boolean decoupled, long step) {
            sameSize(params, grads, "adam");
            sameSize(params, m, "adam m");
            sameSize(params, v, "adam v");
            if (step < 1) throw new IllegalArgumentException("adam step must be >= 1");
            enter();
            long n = params.size();
            if (n == 0) return;
            // the same float constants as the CPU backend's F32 path
            double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
            synchronized (CudaBackend.this) {
                kernels().opt_adam(gridFor(n), BLOCK,
                        addr(params), addr(grads), addr(m), addr(v), n, (float) beta1, (float) beta2, (float) (1 - beta1), (float) (1 - beta2), (float) (lr / bc1), (float) (1 / Math.sqrt(bc2)), (float) eps, (float) weightDecay, (float) (1 - lr * weightDecay), decoupled ? 1 : 0);
            }
        }

        @Override
        public void rmsprop(Tensor params, Tensor grads, Tensor sqAvg, Tensor buf, double lr, double alpha, double eps,
                            double weightDecay, double momentum) {
            sameSize(params, grads, "rmsprop");
            sameSize(params, sqAvg, "rmsprop square average");
            if (momentum != 0) {
                if (buf == null) throw new IllegalArgumentException("rmsprop with momentum needs a momentum buffer");
                sameSize(params, buf, "rmsprop momentum buffer");
            }
            enter();
            long n = params.size();
            if (n == 0) return;
            synchronized (CudaBackend.this) {
                kernels().opt_rmsprop(gridFor(n), BLOCK,
                        addr(params), addr(grads), addr(sqAvg), momentum != 0 ? addr(buf) : 0, n, lr, alpha, eps, weightDecay, momentum);
            }
        }
    }
}
