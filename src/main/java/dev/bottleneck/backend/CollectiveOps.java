package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/**
 * A communicator between processes that each own one backend of the same kind (NCCL between CUDA devices): the
 * collectives of data-parallel training over tensors of this backend, queued on the backend's stream behind the
 * work before them, like any other op. Created by {@link CollectiveSupport#join}.
 *
 * <p>{@link #asyncError} and {@link #abort} may be called from any thread (a watchdog); everything else from the
 * thread that trains.
 */
public interface CollectiveOps extends AutoCloseable {
    /** {@code t} becomes the element-wise sum of every rank's {@code t} (in place); the same bits on every rank. */
    void allReduceSum(Tensor t);

    /** Every rank's {@code t} becomes rank {@code root}'s. */
    void broadcast(Tensor t, int root);

    /** Null while the communicator is healthy, else what went wrong (a peer or the network failed). Any thread. */
    String asyncError();

    /** Cancels what is queued and makes every later call fail; the stream no longer waits on other ranks. Any thread. */
    void abort();

    /** Waits for what is queued and frees the communicator (aborts it when that does not finish in time). */
    @Override
    void close();
}
