package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.CounterRng;
import dev.bottleneck.backend.RandomOps;
import dev.bottleneck.tensor.Tensor;

/** {@link RandomOps} of the {@link CpuBackend}. */
final class CpuRandom implements RandomOps {
    private final CpuBackend be;

    CpuRandom(CpuBackend be) {
        this.be = be;
    }

    @Override
    public void uniform(Tensor out, long seed, long counter, double lo0, double hi0) {
        CpuBuffer b = be.buf(out);
        long o = out.offset();
        double w = hi0 - lo0;
        be.par.range(out.size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) b.set(o + i, lo0 + w * CounterRng.uniform(seed, counter + i));
        });
    }

    @Override
    public void normal(Tensor out, long seed, long counter, double mean, double std) {
        CpuBuffer b = be.buf(out);
        long o = out.offset();
        be.par.range(out.size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) b.set(o + i, mean + std * CounterRng.normal(seed, counter + i));
        });
    }

    @Override
    public void bernoulli(Tensor out, long seed, long counter, double p) {
        CpuBuffer b = be.buf(out);
        long o = out.offset();
        be.par.range(out.size(), (lo, hi) -> {
            for (int i = lo; i < hi; i++) b.set(o + i, CounterRng.uniform(seed, counter + i) < p ? 1.0 : 0.0);
        });
    }
}
