package dev.bottleneck.train;

import java.util.function.Consumer;

/**
 * Tracks the best epoch by the validation loss (the training loss where there is no validation) and stops the run
 * after {@code patience} epochs in a row without an improvement of more than {@code minDelta}. The best loss and
 * epoch go into {@link TrainState}, so they are saved with every checkpoint and survive a resume; with a patience
 * of 0 the listener only keeps that record and never stops.
 *
 * <p>Listeners added after this one see the epoch's verdict: {@link TrainState#bestEpoch()} equals
 * {@link TrainState#epochsDone()} when the epoch improved, and {@link TrainState#stoppedEarly()} is set when it
 * was the last.
 */
public final class EarlyStopping implements TrainingListener {
    private final int patience;
    private final double minDelta;
    private final Consumer<String> log;

    public EarlyStopping(int patience, double minDelta, Consumer<String> log) {
        if (patience < 0) throw new IllegalArgumentException("patience must be >= 0");
        this.patience = patience;
        this.minDelta = minDelta;
        this.log = log;
    }

    @Override
    public void onEpochEnd(LoopContext ctx, EpochMetrics m) {
        TrainState state = ctx.state();
        double monitored = Double.isNaN(m.valLoss()) ? m.trainLoss() : m.valLoss();
        if (monitored < state.best - minDelta) {
            state.best = monitored;
            state.bestEpoch = state.epochsDone;
            state.badEpochs = 0;
        } else {
            state.badEpochs++;
        }
        if (patience > 0 && state.badEpochs >= patience) {
            state.stoppedEarly = true;
            log.accept("early stopping: no improvement for " + patience + " epochs (best epoch " + state.bestEpoch + ")");
        }
    }
}
