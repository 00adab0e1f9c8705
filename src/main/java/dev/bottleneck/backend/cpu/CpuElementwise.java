package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.BinaryOp;
import dev.bottleneck.backend.ElementwiseOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/** {@link ElementwiseOps} of the {@link CpuBackend}. */
final class CpuElementwise implements ElementwiseOps {
    private final CpuBackend be;

    CpuElementwise(CpuBackend be) {
        this.be = be;
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        if (Shapes.size(shape) != out.size()) {
            throw new IllegalArgumentException(op + ": output " + Shapes.str(out.shape()) + " is not the broadcast shape "
                    + Shapes.str(shape));
        }
        CpuBuffer ba = be.buf(a), bb = be.buf(b), bo = be.buf(out);
        int ao = (int) a.offset(), bo2 = (int) b.offset(), oo = (int) out.offset();
        long n = out.size();
        if (be.f32() && a.size() == n && (b.size() == n || b.size() == 1 || (shape.length > 0 && b.size() == shape[shape.length - 1]
                && lastDimOnly(b.shape())))) {
            FloatBuffer fa = ba.f, fb = bb.f, fo = bo.f;
            int period = (int) b.size();
            if (period == n) {
                be.par.range(n, (lo, hi) -> binF(op, fa, ao, fb, bo2, fo, oo, lo, hi));
            } else if (period == 1) {
                float s = fb.get(bo2);
                be.par.range(n, (lo, hi) -> binScalarF(op, fa, ao, s, fo, oo, lo, hi));
            } else {
                int rows = (int) (n / period);
                CpuArr.split(be, rows, period, (lo, hi) -> {
                    if (op == BinaryOp.ADD) {
                        for (int r = lo; r < hi; r++) CpuKernels.addRow(ba, ao + r * period, bb, bo2, bo, oo + r * period, period);
                    } else {
                        for (int r = lo; r < hi; r++) binRowF(op, fa, ao + r * period, fb, bo2, fo, oo + r * period, period);
                    }
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
        CpuBackend.sameSize(x, out, op.name());
        CpuBuffer bx = be.buf(x), bo = be.buf(out);
        long xo = x.offset(), oo = out.offset();
        be.par.range(x.size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) bo.set(oo + i, op.apply(bx.get(xo + i)));
        });
    }

    @Override
    public void affine(Tensor x, double alpha, double beta, Tensor out) {
        CpuBackend.sameSize(x, out, "affine");
        CpuBuffer bx = be.buf(x), bo = be.buf(out);
        int xo = (int) x.offset(), oo = (int) out.offset();
        if (be.f32()) {
            float al = (float) alpha, bt = (float) beta;
            FloatBuffer fx = bx.f, fo = bo.f;
            be.par.range(x.size(), (lo, hi) -> { for (int i = lo; i < hi; i++) fo.put(oo + i, al * fx.get(xo + i) + bt); });
        } else {
            DoubleBuffer dx = bx.d, dout = bo.d;
            be.par.range(x.size(), (lo, hi) -> { for (int i = lo; i < hi; i++) dout.put(oo + i, alpha * dx.get(xo + i) + beta); });
        }
    }

    @Override
    public void axpby(double alpha, Tensor x, double beta, Tensor y) {
        CpuBackend.sameSize(x, y, "axpby");
        CpuBuffer bx = be.buf(x), by = be.buf(y);
        int xo = (int) x.offset(), yo = (int) y.offset();
        if (be.f32()) {
            float al = (float) alpha, bt = (float) beta;
            FloatBuffer fx = bx.f, fy = by.f;
            if (beta == 0) be.par.range(x.size(), (lo, hi) -> { for (int i = lo; i < hi; i++) fy.put(yo + i, al * fx.get(xo + i)); });
            else be.par.range(x.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) fy.put(yo + i, al * fx.get(xo + i) + bt * fy.get(yo + i));
            });
        } else {
            DoubleBuffer dx = bx.d, dy = by.d;
            be.par.range(x.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) dy.put(yo + i, alpha * dx.get(xo + i) + (beta == 0 ? 0 : beta * dy.get(yo + i)));
            });
        }
    }

    @Override
    public void clamp(Tensor x, double lo0, double hi0, Tensor out) {
        CpuBackend.sameSize(x, out, "clamp");
        CpuBuffer bx = be.buf(x), bo = be.buf(out);
        long xo = x.offset(), oo = out.offset();
        be.par.range(x.size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                // comparisons, not Math.max/min: NaN stays NaN and -0 stays -0 (lo = 0), as in the CUDA kernel
                double v = bx.get(xo + i);
                double r = v < lo0 ? lo0 : v;
                bo.set(oo + i, r > hi0 ? hi0 : r);
            }
        });
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
}
