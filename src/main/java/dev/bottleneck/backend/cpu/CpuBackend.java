package dev.bottleneck.backend.cpu;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.ActivationOps;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.BinaryOp;
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
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The CPU backend and numerical reference: GEMM through OpenBLAS {@code cblas_sgemm}/{@code cblas_dgemm} on
 * off-heap memory, everything else as Java loops split over threads for large tensors. In F64 mode it is the
 * float64 reference every other backend is checked against; its generic paths evaluate exactly the formulas of
 * {@link Activation}, {@link Loss} and {@link CounterRng}.
 */
public final class CpuBackend implements Backend {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    final DType dtype;
    final Parallel par;
    private final Memory memory = new Memory();
    private final Blas blas = new Blas();
    private final Elementwise elementwise = new Elementwise();
    private final Reduce reduce = new Reduce();
    private final Activations activations = new Activations();
    private final Losses losses = new Losses();
    private final Random random = new Random();
    private final Optimizer optimizer = new Optimizer();
    private final CpuConv conv = new CpuConv(this);
    private final CpuPool pool = new CpuPool(this);
    private final CpuNorm norm = new CpuNorm(this);
    private final CpuRnn rnn = new CpuRnn(this);
    private final CpuSeg seg = new CpuSeg(this);

    /** Nanoseconds spent inside GEMM calls (for the benchmark's GEMM share); off unless enabled. */
    private volatile boolean profileGemm;
    private long gemmNanos;
    private long gemmFlops;

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
    @Override public dev.bottleneck.backend.SegOps seg() { return seg; }
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

    private CpuBuffer buf(Tensor t) {
        if (!(t.buffer() instanceof CpuBuffer)) {
            throw new IllegalArgumentException("tensor " + t + " does not belong to the CPU backend");
        }
        CpuBuffer b = (CpuBuffer) t.buffer();
        if (b.dtype != dtype) throw new IllegalArgumentException("tensor " + t + " is " + b.dtype + ", backend is " + dtype);
        return b;
    }

    private static void sameSize(Tensor a, Tensor b, String op) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": size mismatch " + Shapes.str(a.shape()) + " vs " + Shapes.str(b.shape()));
        }
    }

    private boolean f32() { return dtype == DType.F32; }

    // ------------------------------------------------------------------------------------------------ memory
    private final class Memory implements MemoryOps {
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
                    b = new CpuBuffer(dtype, n);
                } catch (OutOfMemoryError e) {
                    throw new BottleneckException("out of memory allocating a tensor of " + Shapes.str(shape) + " ("
                            + (n * dtype.bytes >> 20) + " MiB): reduce --batch or raise -Xmx / org.bytedeco.javacpp.maxBytes", e);
                }
                all.add(b);
                held += n * dtype.bytes;
                peak = Math.max(peak, held);
            }
            return new Tensor(b, 0, shape);
        }

        @Override
        public synchronized void release(Tensor t) {
            CpuBuffer b = buf(t);
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
            CpuBuffer b = buf(dst);
            int n = (int) dst.size(), o = (int) dst.offset();
            if (srcOffset + n > src.length) throw new IllegalArgumentException("upload: source has " + (src.length - srcOffset) + " elements, tensor needs " + n);
            if (b.f != null) b.f.put(o, src, srcOffset, n);
            else for (int i = 0; i < n; i++) b.d.put(o + i, src[srcOffset + i]);
        }

        @Override
        public void upload(double[] src, int srcOffset, Tensor dst) {
            CpuBuffer b = buf(dst);
            int n = (int) dst.size(), o = (int) dst.offset();
            if (srcOffset + n > src.length) throw new IllegalArgumentException("upload: source has " + (src.length - srcOffset) + " elements, tensor needs " + n);
            if (b.d != null) b.d.put(o, src, srcOffset, n);
            else for (int i = 0; i < n; i++) b.f.put(o + i, (float) src[srcOffset + i]);
        }

        @Override
        public void download(Tensor src, float[] dst, int dstOffset) {
            CpuBuffer b = buf(src);
            int n = (int) src.size(), o = (int) src.offset();
            if (b.f != null) b.f.get(o, dst, dstOffset, n);
            else for (int i = 0; i < n; i++) dst[dstOffset + i] = (float) b.d.get(o + i);
        }

        @Override
        public void download(Tensor src, double[] dst, int dstOffset) {
            CpuBuffer b = buf(src);
            int n = (int) src.size(), o = (int) src.offset();
            if (b.d != null) b.d.get(o, dst, dstOffset, n);
            else for (int i = 0; i < n; i++) dst[dstOffset + i] = b.f.get(o + i);
        }

        @Override
        public double readScalar(Tensor scalar) {
            return buf(scalar).get(scalar.offset());
        }

        @Override
        public void copy(Tensor src, Tensor dst) {
            sameSize(src, dst, "copy");
            CpuBuffer s = buf(src), d = buf(dst);
            int n = (int) src.size();
            if (s.f != null) d.f.put((int) dst.offset(), s.f, (int) src.offset(), n);
            else d.d.put((int) dst.offset(), s.d, (int) src.offset(), n);
        }

        @Override
        public void fill(Tensor t, double value) {
            CpuBuffer b = buf(t);
            int o = (int) t.offset();
            if (b.f != null) {
                float v = (float) value;
                FloatBuffer f = b.f;
                par.range(t.size(), (lo, hi) -> { for (int i = lo; i < hi; i++) f.put(o + i, v); });
            } else {
                DoubleBuffer d = b.d;
                par.range(t.size(), (lo, hi) -> { for (int i = lo; i < hi; i++) d.put(o + i, value); });
            }
        }

        @Override
        public void gatherRows(Tensor src, int[] rows, int from, Tensor dst) {
            CpuBuffer s = buf(src), d = buf(dst);
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

    // ------------------------------------------------------------------------------------------------ GEMM
    private final class Blas implements BlasOps {
        @Override
        public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, Tensor a, int lda,
                         Tensor b, int ldb, double beta, Tensor c, int ldc) {
            long needA = transA ? (long) (k - 1) * lda + m : (long) (m - 1) * lda + k;
            long needB = transB ? (long) (n - 1) * ldb + k : (long) (k - 1) * ldb + n;
            long needC = (long) (m - 1) * ldc + n;
            if (m <= 0 || n <= 0) return;
            if (needA > a.size() || needB > b.size() || needC > c.size()) {
                throw new IllegalArgumentException("gemm operands too small for m=" + m + " n=" + n + " k=" + k);
            }
            CpuBuffer ba = buf(a), bb = buf(b), bc = buf(c);
            long t0 = profileGemm ? System.nanoTime() : 0;
            if (k == 0) { // C = beta C on the m x n block only; beta 0 overwrites (NaN included)
                for (int r = 0; r < m; r++) {
                    Tensor row = c.view((long) r * ldc, n);
                    if (beta == 0) memory.fill(row, 0.0);
                    else elementwise.affine(row, beta, 0.0, row);
                }
            } else if (f32()) {
                int parts = par.gemmParts(m, n, k);
                if (parts == 1) {
                    sgemm(transA, transB, m, n, k, alpha, ba, a.offset(), lda, bb, b.offset(), ldb, beta, bc, c.offset(), ldc);
                } else if (m >= n) { // split the rows of C (and of op(A))
                    par.tasks(parts, part -> {
                        int r0 = (int) ((long) m * part / parts), r1 = (int) ((long) m * (part + 1) / parts);
                        long aOff = a.offset() + (transA ? r0 : (long) r0 * lda);
                        sgemm(transA, transB, r1 - r0, n, k, alpha, ba, aOff, lda, bb, b.offset(), ldb, beta, bc,
                                c.offset() + (long) r0 * ldc, ldc);
                    });
                } else { // split the columns of C (and of op(B))
                    par.tasks(parts, part -> {
                        int c0 = (int) ((long) n * part / parts), c1 = (int) ((long) n * (part + 1) / parts);
                        long bOff = b.offset() + (transB ? (long) c0 * ldb : c0);
                        sgemm(transA, transB, m, c1 - c0, k, alpha, ba, a.offset(), lda, bb, bOff, ldb, beta, bc,
                                c.offset() + c0, ldc);
                    });
                }
            } else {
                openblas_nolapack.cblas_dgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k,
                        alpha, ba.doubleAt(a.offset()), lda, bb.doubleAt(b.offset()), ldb,
                        beta, bc.doubleAt(c.offset()), ldc);
            }
            if (profileGemm) {
                gemmNanos += System.nanoTime() - t0;
                gemmFlops += 2L * m * n * k;
            }
        }
    }

    private static void sgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, CpuBuffer a, long aOff, int lda,
                              CpuBuffer b, long bOff, int ldb, double beta, CpuBuffer c, long cOff, int ldc) {
        openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k,
                (float) alpha, a.floatAt(aOff), lda, b.floatAt(bOff), ldb, (float) beta, c.floatAt(cOff), ldc);
    }

    // ------------------------------------------------------------------------------------------------ element-wise
    private final class Elementwise implements ElementwiseOps {
        @Override
        public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
            int[] shape = Shapes.broadcast(a.shape(), b.shape());
            if (Shapes.size(shape) != out.size()) {
                throw new IllegalArgumentException(op + ": output " + Shapes.str(out.shape()) + " is not the broadcast shape "
                        + Shapes.str(shape));
            }
            CpuBuffer ba = buf(a), bb = buf(b), bo = buf(out);
            int ao = (int) a.offset(), bo2 = (int) b.offset(), oo = (int) out.offset();
            long n = out.size();
            if (f32() && a.size() == n && (b.size() == n || b.size() == 1 || (shape.length > 0 && b.size() == shape[shape.length - 1]
                    && lastDimOnly(b.shape())))) {
                FloatBuffer fa = ba.f, fb = bb.f, fo = bo.f;
                int period = (int) b.size();
                if (period == n) {
                    par.range(n, (lo, hi) -> binF(op, fa, ao, fb, bo2, fo, oo, lo, hi));
                } else if (period == 1) {
                    float s = fb.get(bo2);
                    par.range(n, (lo, hi) -> binScalarF(op, fa, ao, s, fo, oo, lo, hi));
                } else {
                    int rows = (int) (n / period);
                    par.range(rows, (lo, hi) -> {
                        for (int r = lo; r < hi; r++) binRowF(op, fa, ao + r * period, fb, bo2, fo, oo + r * period, period);
                    });
                }
                return;
            }
            long[] sa = Shapes.broadcastStrides(a.shape(), shape), sb = Shapes.broadcastStrides(b.shape(), shape);
            int r = shape.length;
            int[] idx = new int[r];
            long ia = 0, ib = 0;
            for (long i = 0; i < n; i++) {
                bo.set(oo + i, op.apply(ba.get(ao + ia), bb.get(bo2 + ib)));
                for (int d = r - 1; d >= 0; d--) {
                    idx[d]++;
                    ia += sa[d];
                    ib += sb[d];
                    if (idx[d] < shape[d]) break;
                    ia -= sa[d] * shape[d];
                    ib -= sb[d] * shape[d];
                    idx[d] = 0;
                }
            }
        }

        private boolean lastDimOnly(int[] s) {
            for (int i = 0; i < s.length - 1; i++) if (s[i] != 1) return false;
            return true;
        }

        @Override
        public void unary(UnaryOp op, Tensor x, Tensor out) {
            sameSize(x, out, op.name());
            CpuBuffer bx = buf(x), bo = buf(out);
            long xo = x.offset(), oo = out.offset();
            par.range(x.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) bo.set(oo + i, op.apply(bx.get(xo + i)));
            });
        }

        @Override
        public void affine(Tensor x, double alpha, double beta, Tensor out) {
            sameSize(x, out, "affine");
            CpuBuffer bx = buf(x), bo = buf(out);
            int xo = (int) x.offset(), oo = (int) out.offset();
            if (f32()) {
                float al = (float) alpha, be = (float) beta;
                FloatBuffer fx = bx.f, fo = bo.f;
                par.range(x.size(), (lo, hi) -> { for (int i = lo; i < hi; i++) fo.put(oo + i, al * fx.get(xo + i) + be); });
            } else {
                DoubleBuffer dx = bx.d, dout = bo.d;
                par.range(x.size(), (lo, hi) -> { for (int i = lo; i < hi; i++) dout.put(oo + i, alpha * dx.get(xo + i) + beta); });
            }
        }

        @Override
        public void axpby(double alpha, Tensor x, double beta, Tensor y) {
            sameSize(x, y, "axpby");
            CpuBuffer bx = buf(x), by = buf(y);
            int xo = (int) x.offset(), yo = (int) y.offset();
            if (f32()) {
                float al = (float) alpha, be = (float) beta;
                FloatBuffer fx = bx.f, fy = by.f;
                if (beta == 0) par.range(x.size(), (lo, hi) -> { for (int i = lo; i < hi; i++) fy.put(yo + i, al * fx.get(xo + i)); });
                else par.range(x.size(), (lo, hi) -> {
                    for (int i = lo; i < hi; i++) fy.put(yo + i, al * fx.get(xo + i) + be * fy.get(yo + i));
                });
            } else {
                DoubleBuffer dx = bx.d, dy = by.d;
                par.range(x.size(), (lo, hi) -> {
                    for (int i = lo; i < hi; i++) dy.put(yo + i, alpha * dx.get(xo + i) + (beta == 0 ? 0 : beta * dy.get(yo + i)));
                });
            }
        }

        @Override
        public void clamp(Tensor x, double lo0, double hi0, Tensor out) {
            sameSize(x, out, "clamp");
            CpuBuffer bx = buf(x), bo = buf(out);
            long xo = x.offset(), oo = out.offset();
            par.range(x.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    // comparisons, not Math.max/min: NaN stays NaN and -0 stays -0 (lo = 0), as in the CUDA kernel
                    double v = bx.get(xo + i);
                    double r = v < lo0 ? lo0 : v;
                    bo.set(oo + i, r > hi0 ? hi0 : r);
                }
            });
        }
    }

    private static void binF(BinaryOp op, FloatBuffer a, int ao, FloatBuffer b, int bo, FloatBuffer o, int oo, int lo, int hi) {
        switch (op) {
            case ADD: for (int i = lo; i < hi; i++) o.put(oo + i, a.get(ao + i) + b.get(bo + i)); break;
            case SUB: for (int i = lo; i < hi; i++) o.put(oo + i, a.get(ao + i) - b.get(bo + i)); break;
            case MUL: for (int i = lo; i < hi; i++) o.put(oo + i, a.get(ao + i) * b.get(bo + i)); break;
            case DIV: for (int i = lo; i < hi; i++) o.put(oo + i, a.get(ao + i) / b.get(bo + i)); break;
            default: for (int i = lo; i < hi; i++) o.put(oo + i, (float) op.apply(a.get(ao + i), b.get(bo + i)));
        }
    }

    private static void binScalarF(BinaryOp op, FloatBuffer a, int ao, float s, FloatBuffer o, int oo, int lo, int hi) {
        switch (op) {
            case ADD: for (int i = lo; i < hi; i++) o.put(oo + i, a.get(ao + i) + s); break;
            case MUL: for (int i = lo; i < hi; i++) o.put(oo + i, a.get(ao + i) * s); break;
            default: for (int i = lo; i < hi; i++) o.put(oo + i, (float) op.apply(a.get(ao + i), s));
        }
    }

    private static void binRowF(BinaryOp op, FloatBuffer a, int ao, FloatBuffer b, int bo, FloatBuffer o, int oo, int len) {
        switch (op) {
            case ADD: for (int j = 0; j < len; j++) o.put(oo + j, a.get(ao + j) + b.get(bo + j)); break;
            case MUL: for (int j = 0; j < len; j++) o.put(oo + j, a.get(ao + j) * b.get(bo + j)); break;
            default: for (int j = 0; j < len; j++) o.put(oo + j, (float) op.apply(a.get(ao + j), b.get(bo + j)));
        }
    }

    // ------------------------------------------------------------------------------------------------ reductions
    private final class Reduce implements ReduceOps {
        @Override
        public void sumTo(Tensor x, double beta, Tensor out) {
            int[] xs = x.shape(), os = out.shape();
            long[] so = Shapes.broadcastStrides(os, xs);
            CpuBuffer bx = buf(x), bo = buf(out);
            long xo = x.offset(), oo = out.offset();
            long n = x.size(), m = out.size();
            if (m == n) {
                elementwise.axpby(1.0, x.reshape(os), beta, out);
                return;
            }
            double[] acc = new double[(int) m];
            int cols = xs.length == 0 ? 1 : xs[xs.length - 1];
            boolean columnSums = m == cols && lastDims(os, cols);
            if (columnSums && f32()) {
                FloatBuffer f = bx.f;
                int rows = (int) (n / cols), xoi = (int) xo;
                for (int r = 0; r < rows; r++) {
                    int base = xoi + r * cols;
                    for (int j = 0; j < cols; j++) acc[j] += f.get(base + j);
                }
            } else {
                int r = xs.length;
                int[] idx = new int[r];
                long io = 0;
                for (long i = 0; i < n; i++) {
                    acc[(int) io] += bx.get(xo + i);
                    for (int d = r - 1; d >= 0; d--) {
                        idx[d]++;
                        io += so[d];
                        if (idx[d] < xs[d]) break;
                        io -= so[d] * xs[d];
                        idx[d] = 0;
                    }
                }
            }
            for (int j = 0; j < m; j++) bo.set(oo + j, acc[j] + (beta == 0 ? 0 : beta * bo.get(oo + j)));
        }

        private boolean lastDims(int[] os, int cols) {
            return os.length >= 1 && os[os.length - 1] == cols && Shapes.size(os) == cols;
        }

        @Override
        public void sum(Tensor x, Tensor out) {
            CpuBuffer bx = buf(x);
            long xo = x.offset();
            double s = par.sum(x.size(), (lo, hi) -> {
                double a = 0;
                for (int i = lo; i < hi; i++) a += bx.get(xo + i);
                return a;
            });
            buf(out).set(out.offset(), s);
        }

        @Override
        public void sumSquares(Tensor x, Tensor out) {
            CpuBuffer bx = buf(x);
            long xo = x.offset();
            double s = par.sum(x.size(), (lo, hi) -> {
                double a = 0;
                for (int i = lo; i < hi; i++) { double v = bx.get(xo + i); a += v * v; }
                return a;
            });
            buf(out).set(out.offset(), s);
        }

        @Override
        public void nonFinite(Tensor x, Tensor out) {
            CpuBuffer bx = buf(x);
            long xo = x.offset();
            double s = par.sum(x.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) if (!Double.isFinite(bx.get(xo + i))) return 1;
                return 0;
            });
            buf(out).set(out.offset(), s > 0 ? 1 : 0);
        }
    }

    // ------------------------------------------------------------------------------------------------ activations
    private final class Activations implements ActivationOps {
        @Override
        public void forward(Activation kind, double alpha, Tensor x, Tensor y) {
            sameSize(x, y, kind.name());
            CpuBuffer bx = buf(x), by = buf(y);
            int xo = (int) x.offset(), yo = (int) y.offset();
            if (f32()) {
                FloatBuffer fx = bx.f, fy = by.f;
                float al = (float) alpha;
                par.range(x.size(), (lo, hi) -> {
                    switch (kind) {
                        case IDENTITY:
                            for (int i = lo; i < hi; i++) fy.put(yo + i, fx.get(xo + i));
                            break;
                        case RELU:
                            reluF(fx, xo, fy, yo, lo, hi);
                            break;
                        case LEAKY_RELU:
                            for (int i = lo; i < hi; i++) { float v = fx.get(xo + i); fy.put(yo + i, v <= 0 ? al * v : v); }
                            break;
                        case SIGMOID:
                            for (int i = lo; i < hi; i++) fy.put(yo + i, sigmoidF(fx.get(xo + i)));
                            break;
                        default:
                            for (int i = lo; i < hi; i++) fy.put(yo + i, (float) kind.apply(fx.get(xo + i), alpha));
                    }
                });
            } else {
                par.range(x.size(), (lo, hi) -> {
                    for (int i = lo; i < hi; i++) by.set(yo + i, kind.apply(bx.get(xo + i), alpha));
                });
            }
        }

        @Override
        public void backward(Activation kind, double alpha, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate) {
            sameSize(x, dx, kind.name());
            sameSize(dy, dx, kind.name());
            CpuBuffer bx = buf(x), by = buf(y), bdy = buf(dy), bdx = buf(dx);
            int xo = (int) x.offset(), yo = (int) y.offset(), dyo = (int) dy.offset(), dxo = (int) dx.offset();
            if (f32()) {
                FloatBuffer fx = bx.f, fy = by.f, fdy = bdy.f, fdx = bdx.f;
                float al = (float) alpha;
                if (kind == Activation.RELU) {
                    par.range(x.size(), (lo, hi) -> reluBackwardF(fx, xo, fdy, dyo, fdx, dxo, accumulate, lo, hi));
                    return;
                }
                par.range(x.size(), (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        float d;
                        switch (kind) {
                            case IDENTITY: d = 1f; break;
                            case RELU: d = fx.get(xo + i) <= 0 ? 0f : 1f; break;
                            case LEAKY_RELU: d = fx.get(xo + i) <= 0 ? al : 1f; break;
                            case SIGMOID: { float s = fy.get(yo + i); d = s * (1f - s); break; }
                            case TANH: { float t = fy.get(yo + i); d = 1f - t * t; break; }
                            default: d = (float) kind.derivative(fx.get(xo + i), fy.get(yo + i), alpha);
                        }
                        float g = d * fdy.get(dyo + i);
                        fdx.put(dxo + i, accumulate ? fdx.get(dxo + i) + g : g);
                    }
                });
            } else {
                par.range(x.size(), (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        double g = kind.derivative(bx.get(xo + i), by.get(yo + i), alpha) * bdy.get(dyo + i);
                        bdx.set(dxo + i, accumulate ? bdx.get(dxo + i) + g : g);
                    }
                });
            }
        }
    }

    private static void reluF(FloatBuffer x, int xo, FloatBuffer y, int yo, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float v = x.get(xo + i);
            y.put(yo + i, Math.max(v, 0f));
        }
    }

    /**
     * dx (+)= dy where !(x <= 0) (x > 0 or NaN of either sign), else 0, without branches (random signs would
     * mispredict every other element): the int bits of a float are positive exactly when it is > 0 or a NaN with
     * the sign bit clear, so {@code (-bits & ~bits) >> 31} is the mask for those, and {@code (0x7f800000 - (bits &
     * 0x7fffffff)) >> 31} adds the NaNs with the sign bit set (x86 produces those for 0/0).
     */
    private static void reluBackwardF(FloatBuffer x, int xo, FloatBuffer dy, int dyo, FloatBuffer dx, int dxo,
                                      boolean accumulate, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            int bits = Float.floatToRawIntBits(x.get(xo + i));
            int mask = ((-bits & ~bits) | (0x7f800000 - (bits & 0x7fffffff))) >> 31; // -0.0f (bits = MIN_VALUE) gives 0
            // masked: keep dy's sign bit, so the result is 0 * dy (+-0) as on the other backends
            float g = Float.intBitsToFloat(Float.floatToRawIntBits(dy.get(dyo + i)) & (mask | 0x80000000));
            dx.put(dxo + i, accumulate ? dx.get(dxo + i) + g : g);
        }
    }

    private static void adamF(FloatBuffer p, int po, FloatBuffer g, int go, FloatBuffer m, int mo, FloatBuffer v, int vo,
                              float b1, float b2, float c1, float c2, float stepSize, float invSqrtBc2, float eps, float wd,
                              float decay, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float pi = p.get(po + i) * decay;
            float gi = g.get(go + i) + wd * pi;
            float mi = b1 * m.get(mo + i) + c1 * gi;
            float vi = b2 * v.get(vo + i) + c2 * gi * gi;
            m.put(mo + i, mi);
            v.put(vo + i, vi);
            p.put(po + i, pi - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps));
        }
    }

    static float sigmoidF(float v) {
        float e = FastMath.expNonPositive(-Math.abs(v));
        return (v >= 0 ? 1f : e) / (1f + e);
    }

    // ------------------------------------------------------------------------------------------------ losses
    private final class Losses implements LossOps {
        @Override
        public void lossAndGrad(Loss kind, Loss.Reduction reduction, Tensor pred, Tensor target, Tensor out,
                                Tensor grad, double gradScale) {
            sameSize(pred, target, "loss " + kind);
            if (grad != null) sameSize(pred, grad, "loss gradient");
            long n = pred.size();
            double denom = reduction == Loss.Reduction.MEAN ? n : pred.rows();
            double gs = gradScale / denom;
            CpuBuffer bp = buf(pred), bt = buf(target), bg = grad == null ? null : buf(grad);
            int po = (int) pred.offset(), to = (int) target.offset(), go = grad == null ? 0 : (int) grad.offset();
            double total;
            if (f32()) {
                FloatBuffer fp = bp.f, ft = bt.f, fg = bg == null ? null : bg.f;
                float gsf = (float) gs;
                total = par.sum(n, (lo, hi) -> lossF(kind, fp, po, ft, to, fg, go, gsf, lo, hi));
            } else {
                total = par.sum(n, (lo, hi) -> {
                    double s = 0;
                    for (int i = lo; i < hi; i++) {
                        double p = bp.get(po + i), t = bt.get(to + i);
                        s += kind.value(p, t);
                        if (bg != null) bg.set(go + i, gs * kind.derivative(p, t));
                    }
                    return s;
                });
            }
            buf(out).set(out.offset(), total / denom);
        }
    }

    private static double lossF(Loss kind, FloatBuffer p, int po, FloatBuffer t, int to, FloatBuffer g, int go, float gs,
                                int lo, int hi) {
        double s = 0;
        switch (kind) {
            case MSE:
                for (int i = lo; i < hi; i++) {
                    float d = p.get(po + i) - t.get(to + i);
                    s += d * d;
                    if (g != null) g.put(go + i, 2f * gs * d);
                }
                break;
            case BCE_WITH_LOGITS:
                for (int i = lo; i < hi; i++) {
                    float z = p.get(po + i), y = t.get(to + i);
                    float e = FastMath.expNonPositive(-Math.abs(z));
                    s += Math.max(z, 0f) - z * y + FastMath.log1pUnit(e);
                    if (g != null) {
                        float sig = (z >= 0 ? 1f : e) / (1f + e);
                        g.put(go + i, gs * (sig - y));
                    }
                }
                break;
            case BCE: {
                final float eps = (float) Loss.BCE_EPS;
                for (int i = lo; i < hi; i++) {
                    float q = p.get(po + i), y = t.get(to + i);
                    float c = Math.min(Math.max(q, eps), 1f - eps);
                    s += -(y * Math.log(c) + (1 - y) * Math.log(1 - c));
                    if (g != null) g.put(go + i, (q < eps || q > 1f - eps) ? 0f : gs * (q - y) / (q * (1f - q)));
                }
                break;
            }
            case L1:
                for (int i = lo; i < hi; i++) {
                    float d = p.get(po + i) - t.get(to + i);
                    s += Math.abs(d);
                    if (g != null) g.put(go + i, gs * Math.signum(d));
                }
                break;
            default:
                throw new AssertionError(kind);
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------------ random
    private final class Random implements RandomOps {
        @Override
        public void uniform(Tensor out, long seed, long counter, double lo0, double hi0) {
            CpuBuffer b = buf(out);
            long o = out.offset();
            double w = hi0 - lo0;
            par.range(out.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) b.set(o + i, lo0 + w * CounterRng.uniform(seed, counter + i));
            });
        }

        @Override
        public void normal(Tensor out, long seed, long counter, double mean, double std) {
            CpuBuffer b = buf(out);
            long o = out.offset();
            par.range(out.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) b.set(o + i, mean + std * CounterRng.normal(seed, counter + i));
            });
        }

        @Override
        public void bernoulli(Tensor out, long seed, long counter, double p) {
            CpuBuffer b = buf(out);
            long o = out.offset();
            par.range(out.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) b.set(o + i, CounterRng.uniform(seed, counter + i) < p ? 1.0 : 0.0);
            });
        }
    }

    // ------------------------------------------------------------------------------------------------ optimizers
    private final class Optimizer implements OptimizerOps {
        @Override
        public void sgd(Tensor params, Tensor grads, Tensor velocity, double lr, double momentum, boolean nesterov,
                        double weightDecay) {
            sameSize(params, grads, "sgd");
            if (momentum != 0) sameSize(params, velocity, "sgd velocity");
            CpuBuffer p = buf(params), g = buf(grads), v = momentum != 0 ? buf(velocity) : null;
            long po = params.offset(), go = grads.offset(), vo = momentum != 0 ? velocity.offset() : 0;
            par.range(params.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    double pi = p.get(po + i);
                    double gi = g.get(go + i) + weightDecay * pi;
                    if (v != null) {
                        double vi = momentum * v.get(vo + i) + gi;
                        v.set(vo + i, vi);
                        gi = nesterov ? gi + momentum * vi : vi;
                    }
                    p.set(po + i, pi - lr * gi);
                }
            });
        }

        @Override
        public void adam(Tensor params, Tensor grads, Tensor m, Tensor v, double lr, double beta1, double beta2,
                         double eps, double weightDecay, boolean decoupled, long step) {
            sameSize(params, grads, "adam");
            sameSize(params, m, "adam m");
            sameSize(params, v, "adam v");
            if (step < 1) throw new IllegalArgumentException("adam step must be >= 1");
            double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
            CpuBuffer bp = buf(params), bg = buf(grads), bm = buf(m), bv = buf(v);
            int po = (int) params.offset(), go = (int) grads.offset(), mo = (int) m.offset(), vo = (int) v.offset();
            if (f32()) {
                FloatBuffer fp = bp.f, fg = bg.f, fm = bm.f, fv = bv.f;
                float b1 = (float) beta1, b2 = (float) beta2, c1 = (float) (1 - beta1), c2 = (float) (1 - beta2);
                float stepSize = (float) (lr / bc1), invSqrtBc2 = (float) (1 / Math.sqrt(bc2)), ep = (float) eps;
                float wd = decoupled ? 0f : (float) weightDecay, decay = decoupled ? (float) (1 - lr * weightDecay) : 1f;
                par.range(params.size(), (lo, hi) -> adamF(fp, po, fg, go, fm, mo, fv, vo, b1, b2, c1, c2, stepSize, invSqrtBc2, ep,
                        wd, decay, lo, hi));
            } else {
                par.range(params.size(), (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        double pi = bp.get(po + i), gi = bg.get(go + i);
                        if (decoupled) pi *= 1 - lr * weightDecay; else gi += weightDecay * pi;
                        double mi = beta1 * bm.get(mo + i) + (1 - beta1) * gi;
                        double vi = beta2 * bv.get(vo + i) + (1 - beta2) * gi * gi;
                        bm.set(mo + i, mi);
                        bv.set(vo + i, vi);
                        bp.set(po + i, pi - lr * (mi / bc1) / (Math.sqrt(vi / bc2) + eps));
                    }
                });
            }
        }

        @Override
        public void rmsprop(Tensor params, Tensor grads, Tensor sqAvg, Tensor buffer, double lr, double alpha, double eps,
                            double weightDecay, double momentum) {
            sameSize(params, grads, "rmsprop");
            sameSize(params, sqAvg, "rmsprop square average");
            if (momentum != 0) sameSize(params, buffer, "rmsprop momentum buffer");
            CpuBuffer p = buf(params), g = buf(grads), s = buf(sqAvg), b = momentum != 0 ? buf(buffer) : null;
            long po = params.offset(), go = grads.offset(), so = sqAvg.offset(), bo = momentum != 0 ? buffer.offset() : 0;
            par.range(params.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    double pi = p.get(po + i);
                    double gi = g.get(go + i) + weightDecay * pi;
                    double si = alpha * s.get(so + i) + (1 - alpha) * gi * gi;
                    s.set(so + i, si);
                    double upd = gi / (Math.sqrt(si) + eps);
                    if (b != null) {
                        upd = momentum * b.get(bo + i) + upd;
                        b.set(bo + i, upd);
                    }
                    p.set(po + i, pi - lr * upd);
                }
            });
        }
    }
}
