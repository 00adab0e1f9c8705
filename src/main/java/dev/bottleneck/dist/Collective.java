package dev.bottleneck.dist;

import dev.bottleneck.tensor.Tensor;

/**
 * The collectives data-parallel training needs, over the ranks of one job. Two implementations: {@link TcpRing}
 * (host memory, TCP between the ranks, any backend; a ring in a fixed order, so results repeat bit for bit) and
 * {@link DeviceCollective} (the backend's own, NCCL on CUDA, queued on the backend's stream).
 *
 * <p>Every call either completes or fails with a {@link dev.bottleneck.BottleneckException} within the collective
 * timeout; after {@link #abort} every call fails with the abort's reason.
 */
public interface Collective extends AutoCloseable {
    int rank();

    int worldSize();

    /** One line for logs: {@code TCP ring over 4 ranks}, {@code NCCL 2.29.3 over 8 ranks}. */
    String describe();

    /** {@code t} (a tensor of the training backend) becomes the element-wise sum over the ranks, the same bits on every rank. */
    void allReduceSum(Tensor t);

    /** Every rank's {@code t} becomes rank {@code root}'s. */
    void broadcast(Tensor t, int root);

    /** The element-wise sum of small host vectors (losses, counts), the same bits on every rank. */
    double[] sumHost(double[] values);

    /** Ends the collectives: calls in progress and later ones fail with {@code reason}. Any thread. */
    void abort(String reason);

    @Override
    void close();
}
