package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.ActivationOps;
import dev.bottleneck.tensor.Tensor;

/** {@link ActivationOps} of the {@link CudaBackend}. */
final class CudaActivations implements ActivationOps {
    private final CudaBackend be;

    CudaActivations(CudaBackend be) {
        this.be = be;
    }

    @Override
    public void forward(Activation kind, double alpha, Tensor x, Tensor y) {
        CudaBackend.sameSize(x, y, kind.name());
        be.enter();
        long n = x.size();
        if (n == 0) return;
        synchronized (be) {
            be.kernels().act_forward(be.gridFor(n), CudaBackend.BLOCK, kind.ordinal(), (float) alpha, be.addr(x), be.addr(y), n);
        }
    }

    @Override
    public void backward(Activation kind, double alpha, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate) {
        CudaBackend.sameSize(x, dx, kind.name());
        CudaBackend.sameSize(y, dx, kind.name());
        CudaBackend.sameSize(dy, dx, kind.name());
        be.enter();
        long n = x.size();
        if (n == 0) return;
        synchronized (be) {
            be.kernels().act_backward(be.gridFor(n), CudaBackend.BLOCK,
                    kind.ordinal(), (float) alpha, be.addr(x), be.addr(y), be.addr(dy), be.addr(dx), n, accumulate ? 1 : 0);
        }
    }
}
