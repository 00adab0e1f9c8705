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
                + " (single-threaded calls, large GEMMs split over " + par.threads() + " threads)";
    }

    @Override public MemoryOps memory() { return memory; }
    @Override public BlasOps blas() { return blas; }
    @Override public ElementwiseOps elementwise() { return elementwise; }
    @Override public ReduceOps reduce() { return reduce; }
    @Override public ActivationOps activations() { return activations; }
    @Override public LossOps losses() { return losses; }
    @Override public RandomOps random() { return random; }
    @Override public OptimizerOps optimizer() { return optimizer; }
    @Override public dev.bottleneck.backend.ConvOps conv() { return conv; }
    @Override public dev.bottleneck.backend.PoolOps pool() { return pool; }
    @Override public dev.bottleneck.backend.NormOps norm() { return norm; }
    @Override public dev.bottleneck.backend.RnnOps rnn() { return rnn; }
    
    @Override public void synchronize() { }
    @Override public boolean cheapSync() { return true; }

    @Override
    public void close() {
        memory.freeAll();
        par.shutdown();
    }

    /** Times GEMM calls while on; turning it on resets the counters. */
    @Override
    public void profile(boolean on) {
        if (on) {
            gemmNanos = 0;
            gemmFlops = 0;
        }
        profileGemm = on;
        conv.resetProfile(on); // conv_seconds/conv_flop: whole convolution calls (im2col + their own GEMMs)
    }

    @Override
    public Map<String, Double> profileCounters() {
        return Map.of("gemm_seconds", gemmNanos / 1e9, "gemm_flop", (double) gemmFlops,
                "conv_seconds", conv.nanos / 1e9, "conv_flop", (double) conv.flop);
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
