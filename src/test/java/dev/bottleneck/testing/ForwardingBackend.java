package dev.bottleneck.testing;

import dev.bottleneck.backend.ActivationOps;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BlasOps;
import dev.bottleneck.backend.ConvOps;
import dev.bottleneck.backend.ElementwiseOps;
import dev.bottleneck.backend.LossOps;
import dev.bottleneck.backend.MemoryOps;
import dev.bottleneck.backend.NormOps;
import dev.bottleneck.backend.OptimizerOps;
import dev.bottleneck.backend.PoolOps;
import dev.bottleneck.backend.RandomOps;
import dev.bottleneck.backend.ReduceOps;
import dev.bottleneck.backend.RnnOps;
import dev.bottleneck.tensor.DType;

/**
 * A test backend that runs every op group on another backend; subclasses replace what they observe or fake. The
 * optional methods ({@code cheapSync}, {@code profile}, {@code collectives}) keep the interface's defaults unless
 * overridden.
 */
public abstract class ForwardingBackend implements Backend {
    protected final Backend inner;

    protected ForwardingBackend(Backend inner) {
        this.inner = inner;
    }

    @Override public String name() { return inner.name(); }
    @Override public DType dtype() { return inner.dtype(); }
    @Override public String describe() { return inner.describe(); }
    @Override public MemoryOps memory() { return inner.memory(); }
    @Override public BlasOps blas() { return inner.blas(); }
    @Override public ElementwiseOps elementwise() { return inner.elementwise(); }
    @Override public ReduceOps reduce() { return inner.reduce(); }
    @Override public ActivationOps activations() { return inner.activations(); }
    @Override public LossOps losses() { return inner.losses(); }
    @Override public RandomOps random() { return inner.random(); }
    @Override public ConvOps conv() { return inner.conv(); }
    @Override public PoolOps pool() { return inner.pool(); }
    @Override public NormOps norm() { return inner.norm(); }
    @Override public RnnOps rnn() { return inner.rnn(); }
    @Override public OptimizerOps optimizer() { return inner.optimizer(); }
    @Override public void synchronize() { inner.synchronize(); }
    @Override public void close() { inner.close(); }
}
