package dev.bottleneck.train;

/**
 * Callbacks of a {@link TrainingLoop}, all no-ops by default. In one fit they come in this order:
 * <pre>
 * onFitStart
 *   for every epoch:  onEpochStart, (onStepEnd per step, onSync at sync points), onValidation, onEpochEnd
 * onFitEnd
 * onFitExit (always)
 * </pre>
 * {@code onValidation} comes only when the loop has a validator. Listeners run in the order they were added; one
 * that throws ends the fit (that is how {@link DivergenceGuard} stops a diverging run). {@code onFitEnd} comes only
 * after a fit that ran to its end, early stopping included. When the run is asked to stop ({@link Preemption}), the
 * loop calls {@code onInterrupt} after the step in progress (or after the epoch end) and then throws
 * {@link TrainingInterrupted}; {@code onFitExit} comes after every fit, however it ended.
 *
 * <p>Per-step hooks run inside the measured epoch time and must stay cheap: {@link #onStepEnd} gets no loss value
 * on purpose; the loss is only known on the host at {@link #onSync}.
 */
public interface TrainingListener {
    /** Before the first epoch of this run ({@link LoopContext#state()} holds the resumed state, if any). */
    default void onFitStart(LoopContext ctx) {
    }

    /** Before the first step of an epoch; {@link LoopContext#epoch()} and {@link LoopContext#lr()} are set. */
    default void onEpochStart(LoopContext ctx) {
    }

    /** After the optimizer update of every step (the global step count already includes it). */
    default void onStepEnd(LoopContext ctx) {
    }

    /** After the accumulated training loss has been read back (see {@link SyncPoint} for when that happens). */
    default void onSync(LoopContext ctx, SyncPoint sync) {
    }

    /** After the epoch's held-out data has been scored: {@code loss} is its mean, NaN where there was none. */
    default void onValidation(LoopContext ctx, double loss) {
    }

    /** After an epoch, once its metrics are in {@link TrainState#history()} and {@link TrainState#epochsDone()} counts it. */
    default void onEpochEnd(LoopContext ctx, EpochMetrics metrics) {
    }

    /** After the last epoch (or right away when there was nothing left to train). */
    default void onFitEnd(LoopContext ctx, TrainingLoop.Result result) {
    }

    /**
     * The run was asked to stop ({@link Preemption}) and is at a step boundary: {@link LoopContext#state()} holds
     * the exact position (epochs done, steps done in the next epoch). {@link Checkpointer} writes its checkpoint
     * here; then the loop throws {@link TrainingInterrupted}.
     */
    default void onInterrupt(LoopContext ctx) {
    }

    /** After the fit, whether it ended normally, was interrupted, or failed: release what {@code onFitStart} took. */
    default void onFitExit(LoopContext ctx) {
    }
}
