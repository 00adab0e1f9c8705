package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.RandomOps;
import dev.bottleneck.tensor.Tensor;

/** {@link RandomOps} of the {@link CudaBackend}. */
final class CudaRandom implements RandomOps {
    private final CudaBackend be;

    CudaRandom(CudaBackend be) {
        this.be = be;
    }

    @Override
    public void uniform(Tensor out, long seed, long counter, double lo, double hi) {
        be.enter();
        long n = out.size();
        if (n == 0) return;
        synchronized (be) {
            be.kernels().rng_uniform(be.gridFor(n), CudaBackend.BLOCK, be.addr(out), n, seed, counter, lo, hi - lo);
        }
    }

    @Override
    public void normal(Tensor out, long seed, long counter, double mean, double std) {
        be.enter();
        long n = out.size();
        if (n == 0) return;
        synchronized (be) {
            be.kernels().rng_normal(be.gridFor(n), CudaBackend.BLOCK, be.addr(out), n, seed, counter, mean, std);
        }
    }

    @Override
    public void bernoulli(Tensor out, long seed, long counter, double p) {
        be.enter();
        long n = out.size();
        if (n == 0) return;
        synchronized (be) {
            be.kernels().rng_bernoulli(be.gridFor(n), CudaBackend.BLOCK, be.addr(out), n, seed, counter, p);
        }
    }
}
