package dev.bottleneck.train;

/**
 * How a {@link TrainingLoop} runs as one rank of a data-parallel job ({@link TrainingLoop#dataParallel}; the job
 * side is {@code dev.bottleneck.dist.DistributedDataParallel}). The loop itself stays the single-process loop over
 * the <em>global</em> batch ({@link FitConfig#batch()} is the batch of all ranks together) and the global sample
 * count; this interface narrows it to one rank:
 * <ul>
 *   <li>{@link #shard} gives each rank its share of every global batch (the loop still walks the same per-epoch
 *       permutation on every rank);</li>
 *   <li>{@link #step} adjusts the rank's objective (a rank with no sample in a short last batch counts nothing);</li>
 *   <li>{@link #gradients} runs first among the gradient hooks and makes the gradients those of the global batch;</li>
 *   <li>{@link #sumOverRanks} turns the rank's accumulated loss and weight into the job's at every sync point, so
 *       listeners (progress, early stopping, the divergence guard, metrics) see the same numbers on every rank;</li>
 *   <li>{@link #stepSeed} gives every rank its own random stream (dropout, noise);</li>
 *   <li>{@link #listener} runs after the other listeners.</li>
 * </ul>
 */
public interface DataParallel {
    int rank();

    int worldSize();

    /** The rank's view of a source of the whole data set; it reports the global size. */
    BatchSource shard(BatchSource global);

    /** The objective this rank optimises, given the single-process one. */
    TrainStep step(TrainStep local);

    /** Runs on the gradients before every other hook. */
    GradientHook gradients();

    /** {@code {lossSum, weightSum}} summed over the ranks (the same values on every rank). */
    double[] sumOverRanks(double lossSum, double weightSum);

    /** The random stream of this rank's step whose single-process stream would be {@code seed}. */
    long stepSeed(long seed);

    /** Added after the loop's other listeners. */
    TrainingListener listener();
}
