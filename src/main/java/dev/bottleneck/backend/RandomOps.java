package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/**
 * Counter-based random numbers: element {@code i} of the output is a pure function of
 * {@code (seed, counter + i)} as defined by {@link CounterRng}, so every backend draws the same numbers and a
 * resumed run draws what an uninterrupted one would have.
 */
public interface RandomOps {
    /** Uniform on [lo, hi). */
    void uniform(Tensor out, long seed, long counter, double lo, double hi);

    /** Normal with the given mean and standard deviation (Box–Muller). */
    void normal(Tensor out, long seed, long counter, double mean, double std);

    /** 1 with probability p, else 0. */
    void bernoulli(Tensor out, long seed, long counter, double p);
}
