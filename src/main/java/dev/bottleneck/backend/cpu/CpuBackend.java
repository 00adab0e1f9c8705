package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.ActivationOps;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.BlasOps;
import dev.bottleneck.backend.CounterRng;
import dev.bottleneck.backend.ElementwiseOps;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.LossOps;
import dev.bottleneck.backend.MemoryOps;
import dev.bottleneck.backend.OptimizerOps;
import dev.bottleneck.backend.RandomOps;
import dev.bottleneck.backend.ReduceOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU backend and numerical reference: GEMM through OpenBLAS {@code cblas_sgemm}/{@code cblas_dgemm} on
 * off-heap memory, everything else as Java loops split over threads for large tensors. In F64 mode it is the
 * float64 reference every other backend is checked against; its generic paths evaluate exactly the formulas of
 * {@link Activation}, {@link Loss} and {@link CounterRng}.
 */
public final class CpuBackend implements Backend {
    final DType dtype;
    final Parallel par;
    private final CpuMemory memory = new CpuMemory(this);
    private final CpuBlas blas = new CpuBlas(this);
    private final CpuElementwise elementwise = new CpuElementwise(this);
    private final CpuReduce reduce = new CpuReduce(this);
    private final CpuActivations activations = new CpuActivations(this);
    private final CpuLosses losses = new CpuLosses(this);
    private final CpuRandom random = new CpuRandom(this);
    private final CpuOptimizer optimizer = new CpuOptimizer(this);
    private final CpuConv conv = new CpuConv(this);
    private final CpuPool pool = new CpuPool(this);
    private final CpuNorm norm = new CpuNorm(this);
    private final CpuRnn rnn = new CpuRnn(this);

    /** Nanoseconds spent inside GEMM calls (for the benchmark's GEMM share); off unless enabled. */
    volatile boolean profileGemm;
    long gemmNanos;
    long gemmFlops;
    /** While profiling: every GEMM shape called (transA, transB, m, n, k) and how often. */
    private final Map<List<Integer>, Long> gemmCalls = new LinkedHashMap<>();
    /** While profiling: wall nanoseconds per op group, of the calls made by the profiling thread (outermost only). */
    private final Map<String, Long> groupNanos = new LinkedHashMap<>();
    private volatile Thread profiler;
    private int depth;
    // what the getters hand out: the op groups themselves, or while profiling, timing views of them
    private MemoryOps memoryView = memory;
    private BlasOps blasView = blas;
    private ElementwiseOps elementwiseView = elementwise;
    private ReduceOps reduceView = reduce;
    private ActivationOps activationsView = activations;
    private LossOps lossesView = losses;
    private RandomOps randomView = random;
    private OptimizerOps optimizerView = optimizer;
    private dev.bottleneck.backend.ConvOps convView = conv;
    private dev.bottleneck.backend.PoolOps poolView = pool;
    private dev.bottleneck.backend.NormOps normView = norm;
    private dev.bottleneck.backend.RnnOps rnnView = rnn;

    public CpuBackend(BackendOptions options) {
        this.dtype = options.dtype();
        int threads = options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
        this.par = new Parallel(threads);
        org.bytedeco.javacpp.Loader.load(openblas_nolapack.class);
        // OpenBLAS runs single-threaded and we split large GEMMs over our own threads: OpenBLAS's idle workers
        // spin for a long time after each call and would steal the cores from the element-wise loops that follow
        // (measured on W2 with 2 cores: 30% of the step). Set explicitly, since the preset cannot report its default.
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(1);
    }

    public CpuBackend(DType dtype) {
        this(BackendOptions.defaults().withDtype(dtype));
    }

    @Override public String name() { return "cpu"; }
    @Override public DType dtype() { return dtype; }

    @Override
    public String describe() {
        return "cpu: " + dtype + ", " + par.threads() + " Java threads, OpenBLAS " + openblas_nolapack.OPENBLAS_VERSION.trim()
                + " (single-threaded calls, large GEMMs split over " + par.threads() + " threads), " + CpuKernels.describe();
    }

    @Override public MemoryOps memory() { return memoryView; }
    @Override public BlasOps blas() { return blasView; }
    @Override public ElementwiseOps elementwise() { return elementwiseView; }
    @Override public ReduceOps reduce() { return reduceView; }
    @Override public ActivationOps activations() { return activationsView; }
    @Override public LossOps losses() { return lossesView; }
    @Override public RandomOps random() { return randomView; }
    @Override public OptimizerOps optimizer() { return optimizerView; }
    @Override public dev.bottleneck.backend.ConvOps conv() { return convView; }
    @Override public dev.bottleneck.backend.PoolOps pool() { return poolView; }
    @Override public dev.bottleneck.backend.NormOps norm() { return normView; }
    @Override public dev.bottleneck.backend.RnnOps rnn() { return rnnView; }
    
    @Override public void synchronize() { }
    @Override public boolean cheapSync() { return true; }

    @Override
    public void close() {
        memory.freeAll();
        par.shutdown();
    }

    /**
     * Times GEMM calls and, per op group, the calls made by the thread that turned profiling on (the training
     * thread) while on; turning it on resets the counters. The op groups are timed through reflective views (a few
     * hundred nanoseconds per call, below 1% of a W1 step), so the numbers are for the benchmark, not for production.
     */
    @Override
    public synchronized void profile(boolean on) {
        if (on) {
            gemmNanos = 0;
            gemmFlops = 0;
            synchronized (gemmCalls) {
                gemmCalls.clear();
            }
            groupNanos.clear();
            depth = 0;
            profiler = Thread.currentThread();
        } else {
            profiler = null;
        }
        memoryView = view(on, MemoryOps.class, memory, "elementwise");
        blasView = view(on, BlasOps.class, blas, "gemm");
        elementwiseView = view(on, ElementwiseOps.class, elementwise, "elementwise");
        reduceView = view(on, ReduceOps.class, reduce, "elementwise");
        activationsView = view(on, ActivationOps.class, activations, "elementwise");
        lossesView = view(on, LossOps.class, losses, "loss");
        randomView = view(on, RandomOps.class, random, "elementwise");
        optimizerView = view(on, OptimizerOps.class, optimizer, "optimizer");
        convView = view(on, dev.bottleneck.backend.ConvOps.class, conv, "conv");
        poolView = view(on, dev.bottleneck.backend.PoolOps.class, pool, "elementwise");
        normView = view(on, dev.bottleneck.backend.NormOps.class, norm, "elementwise");
        rnnView = view(on, dev.bottleneck.backend.RnnOps.class, rnn, "rnn");
        profileGemm = on;
        conv.resetProfile(on); // conv_seconds/conv_flop: whole convolution calls (im2col + their own GEMMs)
    }

    @SuppressWarnings("unchecked")
    private <T> T view(boolean on, Class<T> type, T target, String group) {
        if (!on) return target;
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            if (Thread.currentThread() != profiler || depth > 0) return call(m, target, args);
            depth++;
            long t0 = System.nanoTime();
            try {
                return call(m, target, args);
            } finally {
                depth--;
                groupNanos.merge(group, System.nanoTime() - t0, Long::sum);
            }
        });
    }

    private static Object call(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    void recordGemm(boolean transA, boolean transB, int m, int n, int k) {
        synchronized (gemmCalls) {
            gemmFlops += 2L * m * n * k;
            gemmCalls.merge(List.of(transA ? 1 : 0, transB ? 1 : 0, m, n, k), 1L, Long::sum);
        }
    }

    /** The GEMM shapes called while profiling, as (transA, transB, m, n, k) with 0/1 flags, and their call counts. */
    public Map<List<Integer>, Long> gemmCalls() {
        synchronized (gemmCalls) {
            return new LinkedHashMap<>(gemmCalls);
        }
    }

    @Override
    public Map<String, Double> profileCounters() {
        Map<String, Double> c = new LinkedHashMap<>();
        c.put("gemm_seconds", gemmNanos / 1e9);
        c.put("gemm_flop", (double) gemmFlops);
        c.put("conv_seconds", conv.nanos / 1e9);
        c.put("conv_flop", (double) conv.flop);
        for (var e : new ArrayList<>(groupNanos.entrySet())) c.put("group_seconds_" + e.getKey(), e.getValue() / 1e9);
        return c;
    }

    CpuBuffer buf(Tensor t) {
        if (!(t.buffer() instanceof CpuBuffer)) {
            throw new IllegalArgumentException("tensor " + t + " does not belong to the CPU backend");
        }
        CpuBuffer b = (CpuBuffer) t.buffer();
        if (b.dtype != dtype) throw new IllegalArgumentException("tensor " + t + " is " + b.dtype + ", backend is " + dtype);
        return b;
    }

    static void sameSize(Tensor a, Tensor b, String op) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": size mismatch " + Shapes.str(a.shape()) + " vs " + Shapes.str(b.shape()));
        }
    }

    boolean f32() { return dtype == DType.F32; }

}
