package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.backend.SegOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;

/**
 * Segmentation ops through our own kernels ({@code kernels/pool.cu}, {@code kernels/loss.cu}); the reference is the CPU backend's CpuSeg.
 * Scatters (pool backward, unpool forward) zero their output with a fill unless accumulating, then add with
 * atomics: exact and deterministic when no two window maxima share an index (non-overlapping windows, e.g. 2x2
 * stride 2). The cross-entropy is one block with a deterministic block sum. Compile-checked only so far.
 */
final class CudaSeg implements SegOps {
    private static final int BLOCK = 256;

    private final CudaBackend backend;

    CudaSeg(CudaBackend backend) {
        this.backend = backend;
    }

    private static void check(Tensor t, String what, int[] shape) {
        if (t.size() != Shapes.size(shape)) {
            throw new IllegalArgumentException("segmentation: " + what + " " + Shapes.str(t.shape()) + " does not match " + Shapes.str(shape));
        }
    }

    @Override
    public void maxPoolIndicesForward(Pool2dGeometry g, Tensor x, Tensor y, Tensor indices) {
        check(x, "pool input", g.inputShape());
        check(y, "pool output", g.outputShape());
        check(indices, "pool indices", g.outputShape());
        long planes = (long) g.n() * g.c(), n = planes * g.outH() * g.outW();
        backend.enter();
        synchronized (backend) {
            backend.kernels().pool_max_forward(backend.gridFor(n), BLOCK,
                    backend.addr(x), backend.addr(y), backend.addr(indices), planes, g.h(), g.w(), g.outH(), g.outW(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW());
        }
    }

    @Override
    public void maxPoolIndicesBackward(Pool2dGeometry g, Tensor indices, Tensor dy, Tensor dx, boolean accumulate) {
        check(indices, "pool indices", g.outputShape());
        check(dy, "pool output gradient", g.outputShape());
        check(dx, "pool input gradient", g.inputShape());
        scatter((long) g.n() * g.c(), g.outH() * g.outW(), g.h() * g.w(), indices, dy, dx, accumulate);
    }

    private void scatter(long planes, int smallHw, int bigHw, Tensor indices, Tensor small, Tensor big, boolean accumulate) {
        if (!accumulate) backend.memory().fill(big, 0.0);
        long n = planes * smallHw;
        backend.enter();
        synchronized (backend) {
            backend.kernels().pool_index_scatter_add(backend.gridFor(n), BLOCK,
                    backend.addr(indices), backend.addr(small), backend.addr(big), planes, smallHw, bigHw);
        }
    }

    private static void samePlanes(Tensor small, Tensor big, String what) {
        if (small.rank() != 4 || big.rank() != 4 || small.dim(0) != big.dim(0) || small.dim(1) != big.dim(1)) {
            throw new IllegalArgumentException("segmentation: " + what + ": " + Shapes.str(small.shape()) + " and " + Shapes.str(big.shape())
                    + " must both be [n, c, h, w] with the same n and c");
        }
    }

    @Override
    public void maxUnpoolForward(Tensor x, Tensor indices, Tensor y) {
        samePlanes(x, y, "unpool");
        check(indices, "unpool indices", x.shape());
        scatter((long) x.dim(0) * x.dim(1), x.dim(2) * x.dim(3), y.dim(2) * y.dim(3), indices, x, y, false);
    }

    @Override
    public void maxUnpoolBackward(Tensor indices, Tensor dy, Tensor dx, boolean accumulate) {
        samePlanes(dx, dy, "unpool backward");
        check(indices, "unpool indices", dx.shape());
        long planes = (long) dx.dim(0) * dx.dim(1);
        int smallHw = dx.dim(2) * dx.dim(3), bigHw = dy.dim(2) * dy.dim(3);
        backend.enter();
        synchronized (backend) {
            backend.kernels().pool_index_gather(backend.gridFor(planes * smallHw), BLOCK,
                    backend.addr(indices), backend.addr(dy), backend.addr(dx), planes, smallHw, bigHw, accumulate ? 1 : 0);
        }
    }

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor target, Tensor out, Tensor grad, double gradScale) {
        if (logits.rank() != 4) throw new IllegalArgumentException("softmax cross-entropy: logits must be [n, c, h, w], got " + Shapes.str(logits.shape()));
        int n = logits.dim(0), c = logits.dim(1);
        long hw = (long) logits.dim(2) * logits.dim(3);
        check(target, "targets", new int[] {n, logits.dim(2), logits.dim(3)});
        if (out.size() != 1) throw new IllegalArgumentException("softmax cross-entropy: out must have one element");
        if (grad != null) check(grad, "logit gradient", logits.shape());
        backend.enter();
        synchronized (backend) {
            backend.kernels().loss_softmax_ce(1, BLOCK,
                    backend.addr(logits), backend.addr(target), backend.addr(out), grad == null ? 0 : backend.addr(grad), n, c, hw, (float) (gradScale / ((double) n * hw)));
        }
    }
}
