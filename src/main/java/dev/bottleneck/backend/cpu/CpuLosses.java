package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.LossOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;
import java.nio.FloatBuffer;

/** {@link LossOps} of the {@link CpuBackend}. */
final class CpuLosses implements LossOps {
    private final CpuBackend be;

    CpuLosses(CpuBackend be) {
        this.be = be;
    }

    @Override
    public void lossAndGrad(Loss kind, Loss.Reduction reduction, Tensor pred, Tensor target, Tensor out,
                            Tensor grad, double gradScale) {
        CpuBackend.sameSize(pred, target, "loss " + kind);
        if (grad != null) CpuBackend.sameSize(pred, grad, "loss gradient");
        long n = pred.size();
        double denom = reduction == Loss.Reduction.MEAN ? n : pred.rows();
        double gs = gradScale / denom;
        CpuBuffer bp = be.buf(pred), bt = be.buf(target), bg = grad == null ? null : be.buf(grad);
        int po = (int) pred.offset(), to = (int) target.offset(), go = grad == null ? 0 : (int) grad.offset();
        double total;
        if (be.f32()) {
            FloatBuffer fp = bp.f, ft = bt.f, fg = bg == null ? null : bg.f;
            float gsf = (float) gs;
            total = kind == Loss.BCE_WITH_LOGITS
                    ? be.par.sum(n, (lo, hi) -> CpuKernels.bceWithLogits(bp, po, bt, to, bg, go, gsf, lo, hi))
                    : be.par.sum(n, (lo, hi) -> lossF(kind, fp, po, ft, to, fg, go, gsf, lo, hi));
        } else {
            total = be.par.sum(n, (lo, hi) -> {
                double s = 0;
                for (int i = lo; i < hi; i++) {
                    double p = bp.get(po + i), t = bt.get(to + i);
                    s += kind.value(p, t);
                    if (bg != null) bg.set(go + i, gs * kind.derivative(p, t));
                }
                return s;
            });
        }
        be.buf(out).set(out.offset(), total / denom);
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
                return CpuKernels.bceWithLogitsScalar(p, po, t, to, g, go, gs, lo, hi);
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

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor target, Tensor out, Tensor grad, double gradScale) {
        if (logits.rank() != 4) throw new IllegalArgumentException("softmax cross-entropy: logits must be [n, c, h, w], got " + Shapes.str(logits.shape()));
        int n = logits.dim(0), c = logits.dim(1), hw = logits.dim(2) * logits.dim(3);
        checkSize(target, "targets", new int[] {n, logits.dim(2), logits.dim(3)});
        if (out.size() != 1) throw new IllegalArgumentException("softmax cross-entropy: out must have one element");
        if (grad != null) checkSize(grad, "logit gradient", logits.shape());
        CpuArr la = CpuArr.of(be, logits), ta = CpuArr.of(be, target), ga = grad == null ? null : CpuArr.of(be, grad);
        double pixels = (double) n * hw, scale = gradScale / pixels;
        double[] part = new double[n];
        CpuArr.split(be, n, (long) c * hw, (lo, hi) -> {
            for (int s = lo; s < hi; s++) {
                double sum = 0;
                int base = s * c * hw;
                for (int i = 0; i < hw; i++) {
                    double t = ta.get(s * hw + i);
                    int k = (int) t;
                    if (!(t >= 0 && t < c && k == t)) {
                        // not a class (an "ignore" value such as 255, negative, fractional, NaN): as the CUDA kernel,
                        // that pixel's loss and gradients are NaN, never an index, so the divergence guard stops the run
                        sum += Double.NaN;
                        if (ga != null) for (int j = 0; j < c; j++) ga.set(base + j * hw + i, Double.NaN);
                        continue;
                    }
                    double m = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < c; j++) m = Math.max(m, la.get(base + j * hw + i));
                    double z = 0;
                    for (int j = 0; j < c; j++) z += Math.exp(la.get(base + j * hw + i) - m);
                    double logZ = m + Math.log(z);
                    sum += logZ - la.get(base + k * hw + i);
                    if (ga != null) {
                        for (int j = 0; j < c; j++) {
                            double p = Math.exp(la.get(base + j * hw + i) - logZ);
                            ga.set(base + j * hw + i, scale * (p - (j == k ? 1.0 : 0.0)));
                        }
                    }
                }
                part[s] = sum;
            }
        });
        double total = 0;
        for (double v : part) total += v;
        CpuArr.of(be, out).set(0, total / pixels);
    }

    private static void checkSize(Tensor t, String what, int[] shape) {
        if (t.size() != Shapes.size(shape)) {
            throw new IllegalArgumentException("softmax cross-entropy: " + what + " " + Shapes.str(t.shape()) + " does not match " + Shapes.str(shape));
        }
    }
}
