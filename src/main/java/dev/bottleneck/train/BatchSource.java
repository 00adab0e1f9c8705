package dev.bottleneck.train;

/**
 * Where a {@link TrainingLoop} takes its samples from. The loop decides the order (a seeded permutation per
 * epoch) and asks for consecutive slices of it; the source assembles each slice as a {@link Batch} in backend
 * memory. {@link AlignedArrays} keeps whole arrays resident on the backend; other sources (streamed from disk,
 * sharded across devices) only need to honour the same contract.
 */
public interface BatchSource extends AutoCloseable {
    /** Samples per epoch. */
    int size();

    /**
     * The samples {@code order[from] ... order[from + count - 1]} (indices in {@code [0, size())}) as one batch, in
     * that order. The caller closes the batch.
     */
    Batch gather(int[] order, int from, int count);

    /**
     * A short fingerprint of the samples (their values and order), which a checkpoint records so that a resumed run
     * can tell that it trains on the same data; null where the source cannot compute one cheaply.
     */
    default String fingerprint() {
        return null;
    }

    /**
     * Says where the loop will read next: consecutive batches of {@code batch} samples of {@code order}, the first
     * one at {@code order[from]} ({@code from} is 0 at the start of an epoch, {@code step * batch} when a run resumes
     * inside one). A source that reads ahead (streamed from disk) starts loading there, so the first step does not
     * wait; sources that hold everything in memory ignore it. Only a hint: {@link #gather} returns the right samples
     * for any arguments, with or without it.
     */
    default void position(int[] order, int from, int batch) {
    }

    /** Frees what the source holds in backend memory. */
    @Override
    void close();
}
