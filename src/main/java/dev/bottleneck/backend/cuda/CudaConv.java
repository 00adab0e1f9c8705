package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Conv2dGeometry;
import dev.bottleneck.backend.ConvOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.util.HashMap;
import java.util.function.IntFunction;
import java.util.Locale;
import java.util.Map;

import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_CROSS_CORRELATION;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FMA_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_OP_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
import static org.bytedeco.cuda.global.cudnn.cudnnAddTensor;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardData;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionBackwardFilter;
import static org.bytedeco.cuda.global.cudnn.cudnnConvolutionForward;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionBackwardDataAlgorithm;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionBackwardFilterAlgorithm;
import static org.bytedeco.cuda.global.cudnn.cudnnFindConvolutionForwardAlgorithm;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolution2dForwardOutputDim;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardAlgorithm_v7;
import static org.bytedeco.cuda.global.cudnn.cudnnGetConvolutionForwardWorkspaceSize;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolution2dDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetConvolutionMathType;

/**
 * Convolutions through cuDNN's legacy convolution API (still shipped, marked deprecated, in cuDNN 9).
 *
 * <p>Per {@link Conv2dGeometry} a {@link Plan} is built once and cached: NCHW float tensor descriptors for x
 * and y, a KCRS filter descriptor (PyTorch's [cOut, cIn, kh, kw] layout is cuDNN's NCHW filter format), a
 * cross-correlation descriptor with FLOAT compute type, and, on first use of each direction, the algorithm and
 * its workspace size. The math type is {@code CUDNN_FMA_MATH} (strict FP32, no TF32 tensor cores, docs/CUDA.md
 * §15) unless the backend was created with {@code tf32}, then {@code CUDNN_TENSOR_OP_MATH} (tensor cores
 * allowed, TF32 for float data on sm_80+, but no down-conversion to FP16 as {@code ..._ALLOW_CONVERSION} would).
 *
 * <p>Algorithm choice (docs/CUDA.md §11): the {@code _v7} heuristics by default (no benchmarking, no allocation,
 * safe inside a captured step); {@code BOTTLENECK_CUDNN_FIND=1} benchmarks with {@code cudnnFind...Algorithm}
 * instead (synchronises and allocates internally, once per shape). Among the candidates the first that
 * succeeded, fits the workspace cap ({@code BOTTLENECK_CUDNN_WORKSPACE_MB}, default 1024) and, without TF32,
 * does not need tensor-op math is taken, preferring deterministic algorithms so that a training run gives the
 * same bits every time (cuDNN's atomics-based backward algorithms are skipped when another candidate exists).
 *
 * <p>{@code accumulate} maps to cuDNN's {@code beta = 1}. The bias gradient is the backend's own deterministic
 * {@code sumTo} reduction (double accumulation, as the CPU reference), not {@code cudnnConvolutionBackwardBias}.
 */
@SuppressWarnings("deprecation")
final class CudaConv implements ConvOps {
    static final long WORKSPACE_CAP = Long.getLong("bottleneck.cudnn.workspaceMb",
            parseLong(System.getenv("BOTTLENECK_CUDNN_WORKSPACE_MB"), 1024)) << 20;
    static final boolean FIND = "1".equals(System.getenv("BOTTLENECK_CUDNN_FIND"));

    private final CudaBackend backend;
    private final Cudnn dnn;
    private final boolean tf32;
    private final Map<Conv2dGeometry, Plan> plans = new HashMap<>();

    /** Descriptors and algorithms of one convolution shape. Algorithms are -1 until first needed. */
    static final class Plan {
        final Conv2dGeometry g;
        cudnnTensorStruct x, y, bias;
        cudnnFilterStruct w;
        cudnnConvolutionStruct conv;
        /** The algorithm chosen per direction (absent until first needed). */
        final java.util.EnumMap<Direction, Choice> choices = new java.util.EnumMap<>(Direction.class);
        /** The math type the convolution descriptor is set to now. */
        int mathType = -1;

        Plan(Conv2dGeometry g) {
            this.g = g;
        }

        /** For logs and tests: "fwd 1 (0 B, math 1), bwdData 1 (0 B, math 1), bwdFilter 1 (0 B, math 1)"; -1 = not chosen. */
        String algorithms() {
            StringBuilder sb = new StringBuilder();
            for (Direction d : Direction.values()) {
                Choice c = choices.get(d);
                sb.append(sb.length() == 0 ? "" : ", ").append(switch (d) {
                    case FORWARD -> "fwd ";
                    case BACKWARD_DATA -> "bwdData ";
                    case BACKWARD_FILTER -> "bwdFilter ";
                });
                sb.append(c == null ? "-1" : String.format(Locale.ROOT, "%d (%d B, math %d)", c.algo(), c.bytes(), c.mathType()));
            }
            return sb.toString();
        }
    }

    CudaConv(CudaBackend backend, Cudnn dnn, boolean tf32) {
        this.backend = backend;
        this.dnn = dnn;
        this.tf32 = tf32;
    }

    private static long parseLong(String s, long dflt) {
        try {
            return s == null || s.isBlank() ? dflt : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    // -------------------------------------------------------------------------------------------- ops

    @Override
    public void forward(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        check(g, "conv forward ", x, "input", w, "weight", y, "output");
        if (bias != null && bias.size() != g.cOut()) {
            throw new IllegalArgumentException("conv forward bias: expected " + g.cOut() + " elements, got " + Shapes.str(bias.shape()));
        }
        backend.locked(() -> {
            Plan p = convolve(g, Direction.FORWARD, "cudnnConvolutionForward", (q, c, ws) -> cudnnConvolutionForward(dnn.handle,
                    dnn.one, q.x, at(x), q.w, at(w), q.conv, c.algo(), ws, c.bytes(), dnn.zero, q.y, at(y)));
            if (bias != null) {
                // y = 1 * bias (broadcast over n, h, w) + 1 * y
                CudaCheck.cudnn(cudnnAddTensor(dnn.handle, dnn.one, p.bias, at(bias), dnn.one, p.y, at(y)),
                        "cudnnAddTensor(conv bias, " + g.cOut() + " channels)");
                dnn.after("cudnnAddTensor");
            }
        });
    }

    @Override
    public void backwardData(Conv2dGeometry g, Tensor dy, Tensor w, Tensor dx, boolean accumulate) {
        check(g, "conv backwardData ", dx, "input gradient", w, "weight", dy, "output gradient");
        backend.locked(() -> convolve(g, Direction.BACKWARD_DATA, "cudnnConvolutionBackwardData", (p, c, ws) ->
                cudnnConvolutionBackwardData(dnn.handle, dnn.one, p.w, at(w), p.y, at(dy), p.conv, c.algo(), ws, c.bytes(),
                        dnn.beta(accumulate), p.x, at(dx))));
    }

    @Override
    public void backwardFilter(Conv2dGeometry g, Tensor x, Tensor dy, Tensor dw, boolean accumulate) {
        check(g, "conv backwardFilter ", x, "input", dw, "weight gradient", dy, "output gradient");
        backend.locked(() -> convolve(g, Direction.BACKWARD_FILTER, "cudnnConvolutionBackwardFilter", (p, c, ws) ->
                cudnnConvolutionBackwardFilter(dnn.handle, dnn.one, p.x, at(x), p.y, at(dy), p.conv, c.algo(), ws, c.bytes(),
                        dnn.beta(accumulate), p.w, at(dw))));
    }

    /** One cuDNN convolution call; returns its status. */
    private interface ConvCall {
        int run(Plan p, Choice c, Pointer workspace);
    }

    /**
     * Runs {@code call} (cuDNN function {@code name}) in direction d for g with the plan's algorithm, math type and
     * workspace, checks its status and returns the plan. Under the backend lock.
     */
    private Plan convolve(Conv2dGeometry g, Direction d, String name, ConvCall call) {
        Plan p = plan(g);
        Choice c = choice(p, d);
        setMathType(p, c.mathType());
        Pointer ws = dnn.workspace(c.bytes());
        CudaCheck.cudnn(call.run(p, c, ws), name + "(" + g + ", algo " + c.algo() + ")");
        dnn.after(name);
        return p;
    }

    @Override
    public void backwardBias(Tensor dy, Tensor db, boolean accumulate) {
        int[] s = dy.shape();
        if (s.length < 2) throw new IllegalArgumentException("conv backwardBias: dy must be [n, c, ...], got " + Shapes.str(s));
        int c = s[1];
        if (db.size() != c) {
            throw new IllegalArgumentException("conv backwardBias: db must have " + c + " elements, got " + Shapes.str(db.shape()));
        }
        // db[c] = sum over n and the spatial dims: a sumTo into [c, 1, ..., 1] (deterministic, double accumulation)
        int[] target = new int[s.length - 1];
        java.util.Arrays.fill(target, 1);
        target[0] = c;
        backend.reduce().sumTo(dy, accumulate ? 1.0 : 0.0, db.reshape(target));
    }

    // -------------------------------------------------------------------------------------------- plans

    /** The cached plan for g (descriptors only; algorithms are chosen on first use of each direction). */
    Plan plan(Conv2dGeometry g) {
        Plan p = plans.get(g);
        if (p != null) return p;
        p = new Plan(g);
        p.x = dnn.tensor(g.n(), g.cIn(), g.h(), g.w());
        p.w = dnn.filter(g.cOut(), g.cIn(), g.kh(), g.kw());
        p.conv = dnn.convolution();
        CudaCheck.cudnn(cudnnSetConvolution2dDescriptor(p.conv, g.padH(), g.padW(), g.strideH(), g.strideW(), g.dilH(), g.dilW(),
                CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT), "cudnnSetConvolution2dDescriptor(" + g + ")");
        setMathType(p, tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH);   // for the heuristics; each algorithm then sets its own
        int[] n = {0}, c = {0}, h = {0}, w = {0};
        CudaCheck.cudnn(cudnnGetConvolution2dForwardOutputDim(p.conv, p.x, p.w, n, c, h, w),
                "cudnnGetConvolution2dForwardOutputDim(" + g + ")");
        if (n[0] != g.n() || c[0] != g.cOut() || h[0] != g.outH() || w[0] != g.outW()) {
            throw new IllegalStateException("cuDNN output shape [" + n[0] + ", " + c[0] + ", " + h[0] + ", " + w[0]
                    + "] differs from " + Shapes.str(g.outputShape()) + " for " + g);
        }
        p.y = dnn.tensor(g.n(), g.cOut(), g.outH(), g.outW());
        p.bias = dnn.tensor(1, g.cOut(), 1, 1);
        plans.put(g, p);
        return p;
    }

    /** Number of cached convolution shapes (tests: a training loop must not add plans after its first step). */
    int planCount() {
        synchronized (backend) {
            return plans.size();
        }
    }

    /** The algorithms chosen so far for g, or null when g has no plan (for logs and tests). */
    String algorithms(Conv2dGeometry g) {
        synchronized (backend) {
            Plan p = plans.get(g);
            return p == null ? null : p.algorithms();
        }
    }

    /** One candidate from a perf-result array, copied to Java. */
    private record Candidate(int algo, int status, long memory, int determinism, int mathType) {}

    /**
     * The first candidate (cuDNN lists them best-first) that succeeded, fits the workspace cap, keeps strict FP32
     * when TF32 is off, and is deterministic; then the same without the determinism wish; else an exception.
     */
    private Candidate pick(Candidate[] cs, String what, Conv2dGeometry g) {
        int returned = cs.length;
        Candidate fallback = null;
        for (int i = 0; i < returned; i++) {
            Candidate c = cs[i];
            if (c.status != CUDNN_STATUS_SUCCESS || c.memory > WORKSPACE_CAP) continue;
            if (c.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) continue;   // FP16 down-conversion: never
            if (!tf32 && c.mathType == CUDNN_TENSOR_OP_MATH) continue;
            if (c.determinism == CUDNN_DETERMINISTIC) return c;
            if (fallback == null) fallback = c;
        }
        if (fallback != null) return fallback;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < returned; i++) {
            Candidate c = cs[i];
            sb.append(i == 0 ? "" : ", ").append("algo ").append(c.algo).append(" status ").append(c.status)
                    .append(" memory ").append(c.memory).append(" math ").append(c.mathType);
        }
        throw new BottleneckException("cuDNN offers no usable " + what + " algorithm for " + g + " (candidates: "
                + (sb.length() == 0 ? "none" : sb) + "; workspace cap " + (WORKSPACE_CAP >> 20)
                + " MiB, raise it with BOTTLENECK_CUDNN_WORKSPACE_MB)");
    }

    /** The three directions of a convolution, each with its own algorithm (and that algorithm's math type). */
    enum Direction {
        FORWARD("forward"), BACKWARD_DATA("backward-data"), BACKWARD_FILTER("backward-filter");

        final String label;

        Direction(String label) {
            this.label = label;
        }
    }

    /** An algorithm chosen for one direction: its id, the math type cuDNN listed it with, its workspace bytes. */
    record Choice(int algo, int mathType, long bytes) {}

    /**
     * The algorithm for direction d of p, chosen once and cached: cuDNN's candidates (heuristics, or benchmarks with
     * {@code BOTTLENECK_CUDNN_FIND=1}), filtered by {@link #pick}, then its workspace size queried with the
     * descriptor set to the algorithm's own math type.
     */
    private Choice choice(Plan p, Direction d) {
        Choice c = p.choices.get(d);
        if (c != null) return c;
        Candidate best = pick(candidates(p, d), d.label, p.g);
        setMathType(p, best.mathType);
        SizeTPointer sz = new SizeTPointer(1);
        try {
            String what = "workspace size of the " + d.label + " algorithm " + best.algo + " for " + p.g;
            switch (d) {
                case FORWARD -> CudaCheck.cudnn(cudnnGetConvolutionForwardWorkspaceSize(dnn.handle, p.x, p.w, p.conv, p.y,
                        best.algo, sz), what);
                case BACKWARD_DATA -> CudaCheck.cudnn(cudnnGetConvolutionBackwardDataWorkspaceSize(dnn.handle, p.w, p.y, p.conv,
                        p.x, best.algo, sz), what);
                case BACKWARD_FILTER -> CudaCheck.cudnn(cudnnGetConvolutionBackwardFilterWorkspaceSize(dnn.handle, p.x, p.y,
                        p.conv, p.w, best.algo, sz), what);
            }
            c = new Choice(best.algo, best.mathType, sz.get());
        } finally {
            sz.deallocate();
        }
        p.choices.put(d, c);
        return c;
    }

    /**
     * The convolution descriptor carries the math type the chosen algorithm was listed with (it is shared by the
     * three directions, so it is set before each call); an algorithm must run with the math type it was chosen for.
     */
    private void setMathType(Plan p, int listed) {
        // CUDNN_DEFAULT_MATH permits TF32 on sm_80+: without TF32 an algorithm listed with it runs as strict FP32
        int mathType = !tf32 && listed == CUDNN_DEFAULT_MATH ? CUDNN_FMA_MATH : listed;
        if (p.mathType == mathType) return;
        CudaCheck.cudnn(cudnnSetConvolutionMathType(p.conv, mathType), "cudnnSetConvolutionMathType(" + mathType + ")");
        p.mathType = mathType;
    }

    /** cuDNN's candidates for direction d, best first, copied to Java. */
    private Candidate[] candidates(Plan p, Direction d) {
        int[] returned = {0};
        IntPointer found = new IntPointer(1);
        String what = (FIND ? "cudnnFind" : "cudnnGet") + " " + d.label + " algorithm (" + p.g + ")";
        try {
            switch (d) {
                case FORWARD: {
                    int max = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
                    cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(max);
                    return read(perf, FIND ? cudnnFindConvolutionForwardAlgorithm(dnn.handle, p.x, p.w, p.conv, p.y, max, found, perf)
                            : cudnnGetConvolutionForwardAlgorithm_v7(dnn.handle, p.x, p.w, p.conv, p.y, max, returned, perf),
                            what, FIND ? found.get() : returned[0], i -> new Candidate(perf.position(i).algo(), perf.status(),
                                    perf.memory(), perf.determinism(), perf.mathType()));
                }
                case BACKWARD_DATA: {
                    int max = CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
                    cudnnConvolutionBwdDataAlgoPerf_t perf = new cudnnConvolutionBwdDataAlgoPerf_t(max);
                    return read(perf, FIND ? cudnnFindConvolutionBackwardDataAlgorithm(dnn.handle, p.w, p.y, p.conv, p.x, max, found, perf)
                            : cudnnGetConvolutionBackwardDataAlgorithm_v7(dnn.handle, p.w, p.y, p.conv, p.x, max, returned, perf),
                            what, FIND ? found.get() : returned[0], i -> new Candidate(perf.position(i).algo(), perf.status(),
                                    perf.memory(), perf.determinism(), perf.mathType()));
                }
                default: {
                    int max = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
                    cudnnConvolutionBwdFilterAlgoPerf_t perf = new cudnnConvolutionBwdFilterAlgoPerf_t(max);
                    return read(perf, FIND ? cudnnFindConvolutionBackwardFilterAlgorithm(dnn.handle, p.x, p.y, p.conv, p.w, max, found, perf)
                            : cudnnGetConvolutionBackwardFilterAlgorithm_v7(dnn.handle, p.x, p.y, p.conv, p.w, max, returned, perf),
                            what, FIND ? found.get() : returned[0], i -> new Candidate(perf.position(i).algo(), perf.status(),
                                    perf.memory(), perf.determinism(), perf.mathType()));
                }
            }
        } finally {
            found.deallocate();
        }
    }

    /**
     * Checks the status of the query that filled {@code perf}, copies its first {@code count} entries with
     * {@code at}, and frees it. The count argument is read after the query ran (Java evaluates arguments in order).
     */
    private static Candidate[] read(Pointer perf, int status, String what, int count, IntFunction<Candidate> at) {
        try {
            CudaCheck.cudnn(status, what);
            Candidate[] cs = new Candidate[count];
            for (int i = 0; i < count; i++) cs[i] = at.apply(i);
            return cs;
        } finally {
            perf.position(0).deallocate();
        }
    }

    // -------------------------------------------------------------------------------------------- helpers

    private Pointer at(Tensor t) {
        return DevicePointers.at(backend.addr(t));
    }

    /** Checks the input-, weight- and output-shaped tensors of one convolution call on g (messages: op + role). */
    private static void check(Conv2dGeometry g, String op, Tensor input, String inputRole, Tensor weight, String weightRole,
                              Tensor output, String outputRole) {
        check(input, g.inputShape(), op + inputRole);
        check(weight, g.weightShape(), op + weightRole);
        check(output, g.outputShape(), op + outputRole);
    }

    /** Sizes must match the geometry (shapes may differ, e.g. a flattened [n, c*h*w] view). */
    static void check(Tensor t, int[] shape, String what) {
        if (t == null) throw new IllegalArgumentException(what + " is null");
        if (t.size() != Tensor.sizeOf(shape)) {
            throw new IllegalArgumentException(what + ": expected " + Shapes.str(shape) + " (" + Tensor.sizeOf(shape)
                    + " elements), got " + Shapes.str(t.shape()));
        }
    }
}
