package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.OptimizerOps;
import dev.bottleneck.tensor.Tensor;

/** {@link OptimizerOps} of the {@link CudaBackend}. */
final class CudaOptimizer implements OptimizerOps {
    private final CudaBackend be;

    CudaOptimizer(CudaBackend be) {
        this.be = be;
    }

    @Override
    public void sgd(Tensor params, Tensor grads, Tensor velocity, double lr, double momentum, boolean nesterov,
                    double weightDecay) {
        CudaBackend.sameSize(params, grads, "sgd");
        if (momentum != 0) {
            if (velocity == null) throw new IllegalArgumentException("sgd with momentum needs a velocity buffer");
            CudaBackend.sameSize(params, velocity, "sgd velocity");
        }
        be.enter();
        long n = params.size();
        if (n == 0) return;
        synchronized (be) {
            be.kernels().opt_sgd(be.gridFor(n), CudaBackend.BLOCK,
                    be.addr(params), be.addr(grads), momentum != 0 ? be.addr(velocity) : 0, n, lr, momentum, nesterov ? 1 : 0, weightDecay);
        }
    }

    @Override
    public void adam(Tensor params, Tensor grads, Tensor m, Tensor v, double lr, double beta1, double beta2,
                     double eps, double weightDecay, boolean decoupled, long step) {
        CudaBackend.sameSize(params, grads, "adam");
        CudaBackend.sameSize(params, m, "adam m");
        CudaBackend.sameSize(params, v, "adam v");
        if (step < 1) throw new IllegalArgumentException("adam step must be >= 1");
        be.enter();
        long n = params.size();
        if (n == 0) return;
        // the same float constants as the CPU backend's F32 path
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        synchronized (be) {
            be.kernels().opt_adam(be.gridFor(n), CudaBackend.BLOCK,
                    be.addr(params), be.addr(grads), be.addr(m), be.addr(v), n, (float) beta1, (float) beta2, (float) (1 - beta1), (float) (1 - beta2), (float) (lr / bc1), (float) (1 / Math.sqrt(bc2)), (float) eps, (float) weightDecay, (float) (1 - lr * weightDecay), decoupled ? 1 : 0);
        }
    }

    @Override
    public void rmsprop(Tensor params, Tensor grads, Tensor sqAvg, Tensor buf, double lr, double alpha, double eps,
                        double weightDecay, double momentum) {
        CudaBackend.sameSize(params, grads, "rmsprop");
        CudaBackend.sameSize(params, sqAvg, "rmsprop square average");
        if (momentum != 0) {
            if (buf == null) throw new IllegalArgumentException("rmsprop with momentum needs a momentum buffer");
            CudaBackend.sameSize(params, buf, "rmsprop momentum buffer");
        }
        be.enter();
        long n = params.size();
        if (n == 0) return;
        synchronized (be) {
            be.kernels().opt_rmsprop(be.gridFor(n), CudaBackend.BLOCK,
                    be.addr(params), be.addr(grads), be.addr(sqAvg), momentum != 0 ? be.addr(buf) : 0, n, lr, alpha, eps, weightDecay, momentum);
        }
    }
}
