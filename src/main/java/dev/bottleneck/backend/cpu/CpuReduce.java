package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.ReduceOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;

/** {@link ReduceOps} of the {@link CpuBackend}. */
final class CpuReduce implements ReduceOps {
    private final CpuBackend be;

    CpuReduce(CpuBackend be) {
        this.be = be;
    }

    @Override
    public void sumTo(Tensor x, double beta, Tensor out) {
        int[] xs = x.shape(), os = out.shape();
        long[] so = Shapes.broadcastStrides(os, xs);
        CpuBuffer bx = be.buf(x), bo = be.buf(out);
        long xo = x.offset(), oo = out.offset();
        long n = x.size(), m = out.size();
        if (m == n) {
            be.elementwise().axpby(1.0, x.reshape(os), beta, out);
            return;
        }
        double[] acc = new double[(int) m];
        int cols = xs.length == 0 ? 1 : xs[xs.length - 1];
        boolean columnSums = m == cols && lastDims(os, cols);
        if (columnSums && be.f32()) {
            int rows = (int) (n / cols), base = (int) xo;
            // column blocks of 64 (a multiple of every vector width) over the threads; each column sums in row order
            int blocks = (cols + 63) / 64;
            CpuArr.split(be, blocks, 64L * rows, (lo, hi) ->
                    CpuKernels.columnSums(bx, base, rows, cols, lo * 64, Math.min(cols, hi * 64), acc));
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
        sumOf(x, false, out);
    }

    @Override
    public void sumSquares(Tensor x, Tensor out) {
        sumOf(x, true, out);
    }

    /** The sum of x's elements (or of their squares) in double, chunk by chunk in chunk order, into out. */
    private void sumOf(Tensor x, boolean squares, Tensor out) {
        CpuBuffer bx = be.buf(x);
        long xo = x.offset();
        double s = be.par.sum(x.size(), (lo, hi) -> {
            double a = 0;
            for (int i = lo; i < hi; i++) { double v = bx.get(xo + i); a += squares ? v * v : v; }
            return a;
        });
        be.buf(out).set(out.offset(), s);
    }

    @Override
    public void nonFinite(Tensor x, Tensor out) {
        CpuBuffer bx = be.buf(x);
        long xo = x.offset();
        double s = be.par.sum(x.size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) if (!Double.isFinite(bx.get(xo + i))) return 1;
            return 0;
        });
        be.buf(out).set(out.offset(), s > 0 ? 1 : 0);
    }
}
