package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.BinaryOp;
import dev.bottleneck.backend.ElementwiseOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.tensor.Tensor;
import java.util.Arrays;

/** {@link ElementwiseOps} of the {@link CudaBackend}. */
final class CudaElementwise extends CudaOps implements ElementwiseOps {
    CudaElementwise(CudaBackend be) {
        super(be);
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        be.enter();
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        long n = Shapes.size(shape);
        if (n != out.size()) {
            throw new IllegalArgumentException(op + ": output " + Shapes.str(out.shape()) + " is not the broadcast shape "
                    + Shapes.str(shape));
        }
        if (n == 0) return;
        long pa = suffixPeriod(a.shape(), shape), pb = suffixPeriod(b.shape(), shape);
        synchronized (be) {
            if (pa > 0 && pb > 0) {
                be.kernels().ew_binary_mod(be.gridFor(n), CudaBackend.BLOCK, op.ordinal(), be.addr(a), pa, be.addr(b), pb, be.addr(out), n);
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
            if (r > CudaBackend.MAX_RANK) {
                throw new IllegalArgumentException(op + ": broadcasting " + Shapes.str(a.shape()) + " with " + Shapes.str(b.shape())
                        + " needs " + r + " dimensions; the cuda backend supports " + CudaBackend.MAX_RANK);
            }
            KernelStruct.BnBroadcast bcast = new KernelStruct.BnBroadcast(Arrays.copyOf(dims, r), Arrays.copyOf(as, r),
                    Arrays.copyOf(bs, r), r);
            be.kernels().ew_binary_bcast(be.gridFor(n), CudaBackend.BLOCK, op.ordinal(), be.addr(a), be.addr(b), be.addr(out), n, bcast);
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
        Shapes.sameSize(x, out, op.name());
        long n = x.size();
        be.launch(n, grid -> be.kernels().ew_unary(grid, CudaBackend.BLOCK, op.ordinal(), be.addr(x), be.addr(out), n));
    }

    @Override
    public void affine(Tensor x, double alpha, double beta, Tensor out) {
        Shapes.sameSize(x, out, "affine");
        long n = x.size();
        be.launch(n, grid -> be.kernels().ew_affine(grid, CudaBackend.BLOCK, be.addr(x), (float) alpha, (float) beta, be.addr(out), n));
    }

    @Override
    public void axpby(double alpha, Tensor x, double beta, Tensor y) {
        Shapes.sameSize(x, y, "axpby");
        long n = x.size();
        be.launch(n, grid -> be.kernels().ew_axpby(grid, CudaBackend.BLOCK, (float) alpha, be.addr(x), (float) beta, be.addr(y), n));
    }

    @Override
    public void clamp(Tensor x, double lo, double hi, Tensor out) {
        Shapes.sameSize(x, out, "clamp");
        long n = x.size();
        be.launch(n, grid -> be.kernels().ew_clamp(grid, CudaBackend.BLOCK, be.addr(x), lo, hi, be.addr(out), n));
    }
}
