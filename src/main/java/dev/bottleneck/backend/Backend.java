package dev.bottleneck.backend;

import dev.bottleneck.tensor.DType;

/**
 * A compute backend: small op groups over {@link dev.bottleneck.tensor.Tensor}s that live in this backend's
 * memory. Code above this package (autograd, nn, models, training) only ever talks to this interface.
 *
 * <p>Conventions shared by every op group:
 * <ul>
 *   <li>Tensors are row-major and contiguous; an op may be given views (offsets) into a larger buffer.</li>
 *   <li>Unless an op says otherwise, outputs may alias inputs of the same shape (in-place is allowed).</li>
 *   <li>Ops are asynchronous on device backends; only {@link MemoryOps#download} and
 *       {@link MemoryOps#readScalar} wait for the device.</li>
 *   <li>Scalars ({@code double}) are converted to the backend's {@link #dtype()} before use.</li>
 * </ul>
 */
public interface Backend extends AutoCloseable {
    /** Short name: {@code cpu} or {@code cuda}. */
    String name();

    /** Element type of every tensor this backend allocates. */
    DType dtype();

    /** One line for logs: device, library versions, precision settings. */
    String describe();

    MemoryOps memory();

    BlasOps blas();

    ElementwiseOps elementwise();

    ReduceOps reduce();

    ActivationOps activations();

    LossOps losses();

    RandomOps random();

    /** Convolutions (NCHW). */
    ConvOps conv();

    /** Pooling, pooling with indices, un-pooling and up-sampling (NCHW). */
    PoolOps pool();

    /** Normalisation layers. */
    NormOps norm();

    /** Recurrent layers (LSTM, GRU) over batch-first sequences, weights in {@link RnnGeometry}'s canonical layout. */
    RnnOps rnn();

    OptimizerOps optimizer();

    /**
     * True where reading a scalar back costs nothing (host memory): the trainer then checks the loss every step
     * instead of at logging points.
     */
    default boolean cheapSync() {
        return false;
    }

    /** Starts or stops the backend's own timing counters (for the benchmark harness; off by default). */
    default void profile(boolean on) {
    }

    /**
     * Counters gathered while profiling, e.g. {@code gemm_seconds} and {@code gemm_flop}; empty where the backend
     * keeps none.
     */
    default java.util.Map<String, Double> profileCounters() {
        return java.util.Map.of();
    }

    /**
     * Collectives between processes on this kind of backend (NCCL on CUDA), or null where there are none: data-parallel
     * training then exchanges gradients through the host (dev.bottleneck.dist).
     */
    default CollectiveSupport collectives() {
        return null;
    }

    /** Waits until all queued work is done (a no-op on the CPU). */
    void synchronize();

    /** Frees pools and handles. Tensors of this backend must not be used afterwards. */
    @Override
    void close();
}
