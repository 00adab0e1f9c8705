package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.ReduceOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;
import java.util.Arrays;

/** {@link ReduceOps} of the {@link CudaBackend}. */
final class CudaReduce extends CudaOps implements ReduceOps {
    CudaReduce(CudaBackend be) {
        super(be);
    }

    @Override
    public void sumTo(Tensor x, double beta, Tensor out) {
        be.enter();
        int[] xs = x.shape(), os = out.shape();
        long[] so = Shapes.broadcastStrides(os, xs);   // validates that out broadcasts to x
        long n = x.size(), m = out.size();
        if (m == n) {
            be.elementwise().axpby(1.0, x.reshape(os), beta, out);
            return;
        }
        if (m == 0) return;
        synchronized (be) {
            if (m == 1) {
                be.finish(be.partialSums(0, x), out, 1.0, beta, false);
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
                if (so[d] != 0) nk = append(kd, ks, nk, xs[d], xStride[d]);
                else nr = append(rd, rs, nr, xs[d], xStride[d]);
            }
            if (nk > CudaBackend.MAX_RANK || nr > CudaBackend.MAX_RANK) {
                throw new IllegalArgumentException("sumTo " + Shapes.str(xs) + " -> " + Shapes.str(os)
                        + ": too many dimensions for the cuda backend (" + CudaBackend.MAX_RANK + " max after merging)");
            }
            KernelStruct.BnReduce plan = new KernelStruct.BnReduce(Arrays.copyOf(kd, nk), Arrays.copyOf(ks, nk),
                    Arrays.copyOf(rd, nr), Arrays.copyOf(rs, nr), nk, nr);
            long nRed = n / m;
            if (m >= 4096 || nRed <= 32) {
                be.kernels().red_sum_to_thread(be.gridFor(m), CudaBackend.BLOCK, be.addr(x), be.addr(out), m, nRed, plan, beta);
            } else {
                be.kernels().red_sum_to_block((int) Math.min(m, 65535), CudaBackend.BLOCK, be.addr(x), be.addr(out), m, nRed, plan, beta);
            }
        }
    }

    /**
     * Appends a dimension of {@code size} elements {@code stride} apart to the first {@code count} entries of dims and
     * strides, merged into the last one when the two are contiguous; returns the new count.
     */
    private static int append(long[] dims, long[] strides, int count, long size, long stride) {
        if (count > 0 && strides[count - 1] == stride * size) {
            dims[count - 1] *= size;
            strides[count - 1] = stride;
            return count;
        }
        dims[count] = size;
        strides[count] = stride;
        return count + 1;
    }

    @Override public void sum(Tensor x, Tensor out) { total(0, x, out, "sum"); }
    @Override public void sumSquares(Tensor x, Tensor out) { total(1, x, out, "sumSquares"); }
    @Override public void nonFinite(Tensor x, Tensor out) { total(2, x, out, "nonFinite"); }

    /** out[0] = the two-stage reduction of all of x: mode 0 sum, 1 sum of squares, 2 the non-finite flag. */
    private void total(int mode, Tensor x, Tensor out, String op) {
        CudaBackend.scalar(out, op);
        be.locked(() -> be.finish(be.partialSums(mode, x), out, 1.0, 0.0, mode == 2));
    }
}
