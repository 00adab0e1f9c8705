package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.ActivationOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;

/** {@link ActivationOps} of the {@link CudaBackend}. */
final class CudaActivations extends CudaOps implements ActivationOps {
    CudaActivations(CudaBackend be) {
        super(be);
    }

    @Override
    public void forward(Activation kind, double alpha, Tensor x, Tensor y) {
        Shapes.sameSize(x, y, kind.name());
        long n = x.size();
        be.launch(n, grid -> be.kernels().act_forward(grid, CudaBackend.BLOCK, kind.ordinal(), (float) alpha, be.addr(x), be.addr(y), n));
    }

    @Override
    public void backward(Activation kind, double alpha, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate) {
        Shapes.sameSize(x, dx, kind.name());
        Shapes.sameSize(y, dx, kind.name());
        Shapes.sameSize(dy, dx, kind.name());
        long n = x.size();
        be.launch(n, grid -> be.kernels().act_backward(grid, CudaBackend.BLOCK,
                kind.ordinal(), (float) alpha, be.addr(x), be.addr(y), be.addr(dy), be.addr(dx), n, accumulate ? 1 : 0));
    }
}
