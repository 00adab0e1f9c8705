package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.Conv2dGeometry;
import dev.bottleneck.backend.ConvOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.util.Arrays;

/**
 * Convolutions of the CPU backend: im2col per image onto a single-threaded {@code cblas_sgemm}/{@code cblas_dgemm},
 * with the images of a batch split over the backend's threads (each thread has its own column buffer from the
 * backend's pool, so a training step allocates nothing once the pool is warm). For image i, with
 * {@code K = cIn kh kw} and {@code P = outH outW}:
 * <ul>
 *   <li>forward: {@code y_i [cOut, P] = W [cOut, K] col(x_i) [K, P] (+ bias)};</li>
 *   <li>backward data: {@code dcol = W^T dy_i}, then col2im adds it into {@code dx_i};</li>
 *   <li>backward filter: {@code dW += dy_i col(x_i)^T}, summed per thread and then over threads in a fixed order
 *       (deterministic run to run for a given thread count).</li>
 * </ul>
 * A 1x1 convolution with stride 1 and no padding uses the input itself as its column matrix.
 */
final class CpuConv implements ConvOps {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    /** Below this many multiply-adds a convolution runs on the calling thread. */
    private static final long PARALLEL_MACS = 1L << 20;

    /**
     * Per-thread heap copies of one image and its column matrix for the F32 loops (grown on demand, then reused:
     * steady-state training allocates nothing).
     */
    private static final ThreadLocal<float[]> HEAP_X = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> HEAP_COL = ThreadLocal.withInitial(() -> new float[0]);

    private final CpuBackend be;
    volatile boolean profile;
    long nanos, flop;

    CpuConv(CpuBackend be) {
        this.be = be;
    }

    void resetProfile(boolean on) {
        if (on) {
            nanos = 0;
            flop = 0;
        }
        profile = on;
    }

    // ------------------------------------------------------------------------------------------ ops

    @Override
    public void forward(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        check(g, x, "input", g.inputShape());
        check(g, w, "weight", g.weightShape());
        check(g, y, "output", g.outputShape());
        if (bias != null && bias.size() != g.cOut()) {
            throw new IllegalArgumentException("conv2d: bias has " + bias.size() + " elements, expected " + g.cOut());
        }
        long t0 = profile ? System.nanoTime() : 0;
        CpuBuffer bx = buf(x), bw = buf(w), by = buf(y);
        CpuArr bb = bias == null ? null : CpuArr.of(be, bias);
        int k = g.cIn() * g.kh() * g.kw(), p = g.outH() * g.outW(), cOut = g.cOut();
        long xStride = (long) g.cIn() * g.h() * g.w(), yStride = (long) cOut * p;
        perSample(g, k * p, (i, bc, colOff) -> {
            long xo = x.offset() + i * xStride, yo = y.offset() + i * yStride;
            CpuBuffer colBuf = bx;
            long co = xo;
            if (bc != null) {
                im2col(g, bx, xo, bc, colOff);
                colBuf = bc;
                co = colOff;
            }
            double beta = 0;
            if (bb != null) {
                fillRows(by, yo, cOut, p, bb);
                beta = 1;
            }
            gemm(false, false, cOut, p, k, bw, w.offset(), k, colBuf, co, p, beta, by, yo, p);
        });
        count(t0, g);
    }

    /** One sample's work: its index, and its part's column buffer (null for a direct convolution) at colOff. */
    private interface SampleWork {
        void run(int i, CpuBuffer cols, long colOff);
    }

    /**
     * Runs {@code work} for the samples [0, n) of g, split into {@link #parts} contiguous parts over the threads,
     * each part with a column buffer of {@code colSize} values unless the convolution is direct.
     */
    private void perSample(Conv2dGeometry g, int colSize, SampleWork work) {
        boolean direct = isDirect(g);
        int parts = parts(g);
        Tensor cols = direct ? null : be.memory().allocate(parts, colSize);
        try {
            CpuBuffer bc = direct ? null : buf(cols);
            long colBase = direct ? 0 : cols.offset();
            be.par.tasks(parts, part -> {
                int i0 = (int) ((long) g.n() * part / parts), i1 = (int) ((long) g.n() * (part + 1) / parts);
                long colOff = colBase + (long) part * colSize;
                for (int i = i0; i < i1; i++) work.run(i, bc, colOff);
            });
        } finally {
            if (cols != null) be.memory().release(cols);
        }
    }

    @Override
    public void backwardData(Conv2dGeometry g, Tensor dy, Tensor w, Tensor dx, boolean accumulate) {
        check(g, dy, "output gradient", g.outputShape());
        check(g, w, "weight", g.weightShape());
        check(g, dx, "input gradient", g.inputShape());
        long t0 = profile ? System.nanoTime() : 0;
        CpuBuffer bdy = buf(dy), bw = buf(w), bdx = buf(dx);
        int k = g.cIn() * g.kh() * g.kw(), p = g.outH() * g.outW(), cOut = g.cOut();
        long xStride = (long) g.cIn() * g.h() * g.w(), yStride = (long) cOut * p;
        perSample(g, k * p, (i, bc, colOff) -> {
            long xo = dx.offset() + i * xStride, yo = dy.offset() + i * yStride;
            if (bc == null) { // direct: dx_i [cIn, P] (+)= W^T [cIn, cOut] dy_i [cOut, P]
                gemm(true, false, k, p, cOut, bw, w.offset(), k, bdy, yo, p, accumulate ? 1 : 0, bdx, xo, p);
            } else {
                gemm(true, false, k, p, cOut, bw, w.offset(), k, bdy, yo, p, 0, bc, colOff, p);
                col2im(g, bc, colOff, bdx, xo, accumulate);
            }
        });
        count(t0, g);
    }

    @Override
    public void backwardFilter(Conv2dGeometry g, Tensor x, Tensor dy, Tensor dw, boolean accumulate) {
        check(g, x, "input", g.inputShape());
        check(g, dy, "output gradient", g.outputShape());
        check(g, dw, "weight gradient", g.weightShape());
        long t0 = profile ? System.nanoTime() : 0;
        CpuBuffer bx = buf(x), bdy = buf(dy), bdw = buf(dw);
        int k = g.cIn() * g.kh() * g.kw(), p = g.outH() * g.outW(), cOut = g.cOut();
        long xStride = (long) g.cIn() * g.h() * g.w(), yStride = (long) cOut * p;
        int wSize = cOut * k;
        boolean direct = isDirect(g);
        int parts = parts(g);
        // per part: its column buffer, and (with several parts) its partial weight gradient
        int perPart = (direct ? 0 : k * p) + (parts > 1 ? wSize : 0);
        Tensor scratch = perPart == 0 ? null : be.memory().allocate(parts, perPart);
        try {
            CpuBuffer bs = scratch == null ? null : buf(scratch);
            long base = scratch == null ? 0 : scratch.offset();
            be.par.tasks(parts, part -> {
                int i0 = (int) ((long) g.n() * part / parts), i1 = (int) ((long) g.n() * (part + 1) / parts);
                long colOff = base + (long) part * perPart;
                long accOff = colOff + (direct ? 0 : (long) k * p);
                CpuBuffer accBuf = parts > 1 ? bs : bdw;
                long accAt = parts > 1 ? accOff : dw.offset();
                boolean first = parts > 1 || !accumulate;
                for (int i = i0; i < i1; i++) {
                    long xo = x.offset() + i * xStride, yo = dy.offset() + i * yStride;
                    CpuBuffer colBuf = bx;
                    long co = xo;
                    if (!direct) {
                        im2col(g, bx, xo, bs, colOff);
                        colBuf = bs;
                        co = colOff;
                    }
                    // dW [cOut, K] (+)= dy_i [cOut, P] col_i^T [P, K]
                    gemm(false, true, cOut, k, p, bdy, yo, p, colBuf, co, p, first ? 0 : 1, accBuf, accAt, k);
                    first = false;
                }
            });
            if (parts > 1) {
                CpuArr out = CpuArr.of(be, dw);
                CpuArr[] partial = new CpuArr[parts];
                for (int q = 0; q < parts; q++) {
                    long off = base + (long) q * perPart + (direct ? 0 : (long) k * p) - scratch.offset();
                    partial[q] = CpuArr.of(be, scratch.view(off, wSize));
                }
                CpuArr.split(be, wSize, parts, (lo, hi) -> {
                    for (int j = lo; j < hi; j++) {
                        double s = accumulate ? out.get(j) : 0;
                        for (CpuArr a : partial) s += a.get(j);
                        out.set(j, s);
                    }
                });
            }
        } finally {
            if (scratch != null) be.memory().release(scratch);
        }
        count(t0, g);
    }

    @Override
    public void backwardBias(Tensor dy, Tensor db, boolean accumulate) {
        if (dy.rank() < 2) throw new IllegalArgumentException("backwardBias: dy must be [n, c, ...], got " + Shapes.str(dy.shape()));
        int n = dy.dim(0), c = dy.dim(1);
        int s = (int) (dy.size() / ((long) n * c));
        if (db.size() != c) throw new IllegalArgumentException("backwardBias: db has " + db.size() + " elements, dy has " + c + " channels");
        CpuArr d = CpuArr.of(be, dy), out = CpuArr.of(be, db);
        CpuBuffer bdy = buf(dy);
        int dyo = Math.toIntExact(dy.offset());
        CpuArr.split(be, c, (long) n * s, (lo, hi) -> {
            float[] row = bdy.f == null ? null : HEAP_COL.get();
            if (row != null && row.length < s) HEAP_COL.set(row = new float[s]);
            for (int ch = lo; ch < hi; ch++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * s;
                    if (row != null) {
                        bdy.f.get(dyo + base, row, 0, s);
                        float part = 0; // short float partial per row, added in double
                        for (int j = 0; j < s; j++) part += row[j];
                        sum += part;
                    } else {
                        for (int j = 0; j < s; j++) sum += d.get(base + j);
                    }
                }
                out.set(ch, accumulate ? out.get(ch) + sum : sum);
            }
        });
    }

    // ------------------------------------------------------------------------------------------ helpers

    private CpuBuffer buf(Tensor t) {
        return CpuArr.buffer(be, t);
    }

    private static void check(Conv2dGeometry g, Tensor t, String what, int[] shape) {
        if (t.size() != Shapes.size(shape)) {
            throw new IllegalArgumentException("conv2d: " + what + " " + Shapes.str(t.shape()) + " does not match " + Shapes.str(shape)
                    + " of " + g);
        }
    }

    private static boolean isDirect(Conv2dGeometry g) {
        return g.kh() == 1 && g.kw() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0;
    }

    private int parts(Conv2dGeometry g) {
        if (be.par.threads() == 1 || g.macs() < PARALLEL_MACS) return 1;
        return Math.min(be.par.threads(), g.n());
    }

    private void count(long t0, Conv2dGeometry g) {
        if (profile) {
            nanos += System.nanoTime() - t0;
            flop += 2 * g.macs();
        }
    }

    private static void fillRows(CpuBuffer y, long yo, int rows, int cols, CpuArr bias) {
        if (y.f != null) {
            float[] row = HEAP_COL.get();
            if (row.length < cols) HEAP_COL.set(row = new float[cols]);
            for (int r = 0; r < rows; r++) {
                Arrays.fill(row, 0, cols, (float) bias.get(r));
                y.f.put(Math.toIntExact(yo + (long) r * cols), row, 0, cols);
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            double v = bias.get(r);
            long base = yo + (long) r * cols;
            for (int j = 0; j < cols; j++) y.set(base + j, v);
        }
    }

    private static void gemm(boolean transA, boolean transB, int m, int n, int k, CpuBuffer a, long aOff, int lda,
                             CpuBuffer b, long bOff, int ldb, double beta, CpuBuffer c, long cOff, int ldc) {
        if (c.f != null) {
            openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k,
                    1f, a.floatAt(aOff), lda, b.floatAt(bOff), ldb, (float) beta, c.floatAt(cOff), ldc);
        } else {
            openblas_nolapack.cblas_dgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k,
                    1.0, a.doubleAt(aOff), lda, b.doubleAt(bOff), ldb, beta, c.doubleAt(cOff), ldc);
        }
    }

    /** First output column whose input column {@code ox * stride + off} is >= 0. */
    private static int firstValid(int off, int stride, int outW) {
        return off >= 0 ? 0 : Math.min(outW, (-off + stride - 1) / stride);
    }

    /** One past the last output column whose input column {@code ox * stride + off} is < inW. */
    private static int endValid(int off, int stride, int outW, int inW) {
        int last = inW - 1 - off;
        return last < 0 ? 0 : Math.min(outW, last / stride + 1);
    }

    /** col [K, P] from image x (one sample, [cIn, h, w]) at element offsets xo and co. */
    static void im2col(Conv2dGeometry g, CpuBuffer x, long xo, CpuBuffer col, long co) {
        int cIn = g.cIn(), h = g.h(), w = g.w(), kh = g.kh(), kw = g.kw(), oh = g.outH(), ow = g.outW();
        int sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW(), dh = g.dilH(), dw = g.dilW();
        int p = oh * ow;
        int xOff = Math.toIntExact(xo), cOff = Math.toIntExact(co);
        if (x.f != null) { // on heap copies: array loops run several times faster than direct-buffer element access
            int img = cIn * h * w;
            float[] xh = HEAP_X.get(), ch = HEAP_COL.get();
            if (xh.length < img) HEAP_X.set(xh = new float[img]);
            if (ch.length < cIn * kh * kw * p) HEAP_COL.set(ch = new float[cIn * kh * kw * p]);
            x.f.get(xOff, xh, 0, img);
            int r = 0;
            for (int c = 0; c < cIn; c++) {
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++, r++) {
                        int off = kj * dw - pw;
                        int lo = firstValid(off, sw, ow), hi = Math.max(lo, endValid(off, sw, ow, w));
                        int row = r * p;
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * sh - ph + ki * dh;
                            int dst = row + oy * ow;
                            if (iy < 0 || iy >= h) {
                                Arrays.fill(ch, dst, dst + ow, 0f);
                                continue;
                            }
                            int src = (c * h + iy) * w + off;
                            if (lo > 0) Arrays.fill(ch, dst, dst + lo, 0f);
                            if (sw == 1) {
                                if (hi > lo) System.arraycopy(xh, src + lo, ch, dst + lo, hi - lo);
                            } else {
                                for (int ox = lo; ox < hi; ox++) ch[dst + ox] = xh[src + ox * sw];
                            }
                            if (hi < ow) Arrays.fill(ch, dst + hi, dst + ow, 0f);
                        }
                    }
                }
            }
            col.f.put(cOff, ch, 0, r * p);
        } else {
            int r = 0;
            for (int c = 0; c < cIn; c++) {
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++, r++) {
                        int off = kj * dw - pw;
                        int lo = firstValid(off, sw, ow), hi = Math.max(lo, endValid(off, sw, ow, w));
                        int row = cOff + r * p;
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * sh - ph + ki * dh;
                            int dst = row + oy * ow;
                            boolean rowOk = iy >= 0 && iy < h;
                            int src = xOff + (c * h + iy) * w + off;
                            for (int ox = 0; ox < ow; ox++) {
                                col.d.put(dst + ox, rowOk && ox >= lo && ox < hi ? x.d.get(src + ox * sw) : 0.0);
                            }
                        }
                    }
                }
            }
        }
    }

    /** dx_i (+)= col2im(col): the adjoint of {@link #im2col}. */
    static void col2im(Conv2dGeometry g, CpuBuffer col, long co, CpuBuffer dx, long xo, boolean accumulate) {
        int cIn = g.cIn(), h = g.h(), w = g.w(), kh = g.kh(), kw = g.kw(), oh = g.outH(), ow = g.outW();
        int sh = g.strideH(), sw = g.strideW(), ph = g.padH(), pw = g.padW(), dh = g.dilH(), dw = g.dilW();
        int p = oh * ow;
        int xOff = Math.toIntExact(xo), cOff = Math.toIntExact(co);
        int planeSize = cIn * h * w;
        if (dx.f != null) { // on heap copies, as in im2col
            float[] xh = HEAP_X.get(), ch = HEAP_COL.get();
            if (xh.length < planeSize) HEAP_X.set(xh = new float[planeSize]);
            if (ch.length < cIn * kh * kw * p) HEAP_COL.set(ch = new float[cIn * kh * kw * p]);
            col.f.get(cOff, ch, 0, cIn * kh * kw * p);
            if (accumulate) dx.f.get(xOff, xh, 0, planeSize);
            else Arrays.fill(xh, 0, planeSize, 0f);
            int r = 0;
            for (int c = 0; c < cIn; c++) {
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++, r++) {
                        int off = kj * dw - pw;
                        int lo = firstValid(off, sw, ow), hi = Math.max(lo, endValid(off, sw, ow, w));
                        int row = r * p;
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * sh - ph + ki * dh;
                            if (iy < 0 || iy >= h) continue;
                            int src = row + oy * ow;
                            int dst = (c * h + iy) * w + off;
                            for (int ox = lo; ox < hi; ox++) xh[dst + ox * sw] += ch[src + ox];
                        }
                    }
                }
            }
            dx.f.put(xOff, xh, 0, planeSize);
            return;
        }
        if (!accumulate) for (int i = 0; i < planeSize; i++) dx.d.put(xOff + i, 0.0);
        int r = 0;
        for (int c = 0; c < cIn; c++) {
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++, r++) {
                    int off = kj * dw - pw;
                    int lo = firstValid(off, sw, ow), hi = Math.max(lo, endValid(off, sw, ow, w));
                    int row = cOff + r * p;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh - ph + ki * dh;
                        if (iy < 0 || iy >= h) continue;
                        int src = row + oy * ow;
                        int dst = xOff + (c * h + iy) * w + off;
                        for (int ox = lo; ox < hi; ox++) {
                            int t = dst + ox * sw;
                            dx.d.put(t, dx.d.get(t) + col.d.get(src + ox));
                        }
                    }
                }
            }
        }
    }
}
