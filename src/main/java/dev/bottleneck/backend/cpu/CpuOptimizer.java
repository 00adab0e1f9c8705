package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.OptimizerOps;
import dev.bottleneck.tensor.Tensor;

/** {@link OptimizerOps} of the {@link CpuBackend}. */
final class CpuOptimizer implements OptimizerOps {
    private final CpuBackend be;

    CpuOptimizer(CpuBackend be) {
        this.be = be;
    }

    @Override
    public void sgd(Tensor params, Tensor grads, Tensor velocity, double lr, double momentum, boolean nesterov,
                    double weightDecay) {
        CpuBackend.sameSize(params, grads, "sgd");
        if (momentum != 0) CpuBackend.sameSize(params, velocity, "sgd velocity");
        CpuBuffer p = be.buf(params), g = be.buf(grads), v = momentum != 0 ? be.buf(velocity) : null;
        long po = params.offset(), go = grads.offset(), vo = momentum != 0 ? velocity.offset() : 0;
        be.par.range(params.size(), (lo, hi) -> {
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
        CpuBackend.sameSize(params, grads, "adam");
        CpuBackend.sameSize(params, m, "adam m");
        CpuBackend.sameSize(params, v, "adam v");
        if (step < 1) throw new IllegalArgumentException("adam step must be >= 1");
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        CpuBuffer bp = be.buf(params), bg = be.buf(grads), bm = be.buf(m), bv = be.buf(v);
        int po = (int) params.offset(), go = (int) grads.offset(), mo = (int) m.offset(), vo = (int) v.offset();
        if (be.f32()) {
            float b1 = (float) beta1, b2 = (float) beta2, c1 = (float) (1 - beta1), c2 = (float) (1 - beta2);
            float stepSize = (float) (lr / bc1), invSqrtBc2 = (float) (1 / Math.sqrt(bc2)), ep = (float) eps;
            float wd = decoupled ? 0f : (float) weightDecay, decay = decoupled ? (float) (1 - lr * weightDecay) : 1f;
            be.par.range(params.size(), (lo, hi) -> CpuKernels.adam(bp, po, bg, go, bm, mo, bv, vo, b1, b2, c1, c2, stepSize,
                    invSqrtBc2, ep, wd, decay, lo, hi));
        } else {
            be.par.range(params.size(), (lo, hi) -> {
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
        CpuBackend.sameSize(params, grads, "rmsprop");
        CpuBackend.sameSize(params, sqAvg, "rmsprop square average");
        if (momentum != 0) CpuBackend.sameSize(params, buffer, "rmsprop momentum buffer");
        CpuBuffer p = be.buf(params), g = be.buf(grads), s = be.buf(sqAvg), b = momentum != 0 ? be.buf(buffer) : null;
        long po = params.offset(), go = grads.offset(), so = sqAvg.offset(), bo = momentum != 0 ? buffer.offset() : 0;
        be.par.range(params.size(), (lo, hi) -> {
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
