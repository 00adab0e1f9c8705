package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.OptimizerOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;

/** {@link OptimizerOps} of the {@link CudaBackend}. */
final class CudaOptimizer extends CudaOps implements OptimizerOps {
    CudaOptimizer(CudaBackend be) {
        super(be);
    }

    @Override
    public void sgd(Tensor params, Tensor grads, Tensor velocity, double lr, double momentum, boolean nesterov,
                    double weightDecay) {
        Shapes.sameSize(params, grads, "sgd");
        momentumBuffer(momentum, params, velocity, "sgd with momentum needs a velocity buffer", "sgd velocity");
        long n = params.size();
        be.launch(n, grid -> be.kernels().opt_sgd(grid, CudaBackend.BLOCK,
                be.addr(params), be.addr(grads), momentum != 0 ? be.addr(velocity) : 0, n, lr, momentum, nesterov ? 1 : 0, weightDecay));
    }

    @Override
    public void adam(Tensor params, Tensor grads, Tensor m, Tensor v, double lr, double beta1, double beta2,
                     double eps, double weightDecay, boolean decoupled, long step) {
        OptimizerOps.checkAdam(params, grads, m, v, step);
        long n = params.size();
        // the same float constants as the CPU backend's F32 path
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        be.launch(n, grid -> be.kernels().opt_adam(grid, CudaBackend.BLOCK,
                be.addr(params), be.addr(grads), be.addr(m), be.addr(v), n, (float) beta1, (float) beta2, (float) (1 - beta1), (float) (1 - beta2), (float) (lr / bc1), (float) (1 / Math.sqrt(bc2)), (float) eps, (float) weightDecay, (float) (1 - lr * weightDecay), decoupled ? 1 : 0));
    }

    @Override
    public void rmsprop(Tensor params, Tensor grads, Tensor sqAvg, Tensor buf, double lr, double alpha, double eps,
                        double weightDecay, double momentum) {
        Shapes.sameSize(params, grads, "rmsprop");
        Shapes.sameSize(params, sqAvg, "rmsprop square average");
        momentumBuffer(momentum, params, buf, "rmsprop with momentum needs a momentum buffer", "rmsprop momentum buffer");
        long n = params.size();
        be.launch(n, grid -> be.kernels().opt_rmsprop(grid, CudaBackend.BLOCK,
                be.addr(params), be.addr(grads), be.addr(sqAvg), momentum != 0 ? be.addr(buf) : 0, n, lr, alpha, eps, weightDecay, momentum));
    }

    /** With momentum, the momentum buffer must be given and have the parameters' size. */
    private static void momentumBuffer(double momentum, Tensor params, Tensor buf, String missing, String what) {
        if (momentum == 0) return;
        if (buf == null) throw new IllegalArgumentException(missing);
        Shapes.sameSize(params, buf, what);
    }
}
