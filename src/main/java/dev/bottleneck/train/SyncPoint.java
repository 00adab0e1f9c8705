package dev.bottleneck.train;

/**
 * The loop's view of an epoch at a sync point, where it reads the accumulated training loss back from the
 * backend: every step on backends where that is free ({@link dev.bottleneck.backend.Backend#cheapSync()}), else
 * every {@link TrainingLoop#SYNC_EVERY} steps and at the last step of the epoch.
 *
 * @param epoch     0-based epoch
 * @param step      steps done in this epoch (1-based number of the step just finished)
 * @param firstStep the first step this read covers (one after the previous sync point of the epoch)
 * @param steps     steps per epoch
 * @param samplesDone samples seen so far in this epoch
 * @param samples   samples per epoch
 * @param lossSum   the weighted sum of the reported losses so far in this epoch (see {@link StepLoss#weight})
 * @param weightSum the sum of the weights so far in this epoch
 * @param seconds   wall time since the epoch started
 * @param lr        the epoch's learning rate
 * @param last      whether this is the last step of the epoch
 * @param everyStep whether the loop syncs after every step (then {@code firstStep == step})
 */
public record SyncPoint(int epoch, int step, int firstStep, int steps, long samplesDone, long samples, double lossSum,
                        double weightSum, double seconds, double lr, boolean last, boolean everyStep) {
    /** The running mean loss of the epoch. */
    public double meanLoss() {
        return lossSum / weightSum;
    }

    public double samplesPerSecond() {
        return samplesDone / Math.max(seconds, 1e-9);
    }
}
