package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.RandomOps;
import dev.bottleneck.tensor.Tensor;

/** {@link RandomOps} of the {@link CudaBackend}. */
final class CudaRandom extends CudaOps implements RandomOps {
    CudaRandom(CudaBackend be) {
        super(be);
    }

    @Override
    public void uniform(Tensor out, long seed, long counter, double lo, double hi) {
        long n = out.size();
        be.launch(n, grid -> be.kernels().rng_uniform(grid, CudaBackend.BLOCK, be.addr(out), n, seed, counter, lo, hi - lo));
    }

    @Override
    public void normal(Tensor out, long seed, long counter, double mean, double std) {
        long n = out.size();
        be.launch(n, grid -> be.kernels().rng_normal(grid, CudaBackend.BLOCK, be.addr(out), n, seed, counter, mean, std));
    }

    @Override
    public void bernoulli(Tensor out, long seed, long counter, double p) {
        long n = out.size();
        be.launch(n, grid -> be.kernels().rng_bernoulli(grid, CudaBackend.BLOCK, be.addr(out), n, seed, counter, p));
    }
}
