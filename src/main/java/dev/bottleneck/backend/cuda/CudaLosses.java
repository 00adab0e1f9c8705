package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.LossOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;

/** {@link LossOps} of the {@link CudaBackend}. */
final class CudaLosses extends CudaOps implements LossOps {
    CudaLosses(CudaBackend be) {
        super(be);
    }

    @Override
    public void lossAndGrad(Loss kind, Loss.Reduction reduction, Tensor pred, Tensor target, Tensor out,
                            Tensor grad, double gradScale) {
        Shapes.sameSize(pred, target, "loss " + kind);
        if (grad != null) Shapes.sameSize(pred, grad, "loss gradient");
        CudaBackend.scalar(out, "loss " + kind);
        long n = pred.size();
        double denom = reduction == Loss.Reduction.MEAN ? n : pred.rows();
        be.locked(() -> {
            int g = CudaBackend.partialsFor(n);
            be.kernels().loss_partials(g, CudaBackend.BLOCK,
                    kind.ordinal(), be.addr(pred), be.addr(target), grad == null ? 0 : be.addr(grad), n, (float) (gradScale / denom), be.partials);
            be.finish(g, out, denom, 0.0, false);
        });
    }

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor target, Tensor out, Tensor grad, double gradScale) {
        if (logits.rank() != 4) throw new IllegalArgumentException("softmax cross-entropy: logits must be [n, c, h, w], got " + Shapes.str(logits.shape()));
        int n = logits.dim(0), c = logits.dim(1);
        long hw = (long) logits.dim(2) * logits.dim(3);
        CudaConv.check(target, new int[] {n, logits.dim(2), logits.dim(3)}, "softmax cross-entropy targets");
        if (out.size() != 1) throw new IllegalArgumentException("softmax cross-entropy: out must have one element");
        if (grad != null) CudaConv.check(grad, logits.shape(), "softmax cross-entropy logit gradient");
        be.locked(() -> be.kernels().loss_softmax_ce(1, CudaBackend.BLOCK,
                be.addr(logits), be.addr(target), be.addr(out), grad == null ? 0 : be.addr(grad), n, c, hw, (float) (gradScale / ((double) n * hw))));
    }
}
