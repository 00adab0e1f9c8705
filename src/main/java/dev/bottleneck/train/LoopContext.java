package dev.bottleneck.train;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.optim.Optimizer;

import java.nio.file.Path;

/** What a {@link TrainingListener} can see of a running {@link TrainingLoop}, and how it asks the loop to stop. */
public final class LoopContext {
    private final ParameterStore params;
    private final Optimizer optimizer;
    private final FitConfig config;
    private final TrainState state;
    private final int samplesPerEpoch;
    private final int stepsPerEpoch;
    private final EventSink events;
    private final Runnable epochLossReader;
    private int epoch;
    private double lr = Double.NaN;
    private boolean stopRequested;
    private Path lastCheckpoint;

    LoopContext(ParameterStore params, Optimizer optimizer, FitConfig config, TrainState state, int samplesPerEpoch, int stepsPerEpoch,
                EventSink events, Runnable epochLossReader) {
        this.params = params;
        this.optimizer = optimizer;
        this.config = config;
        this.state = state;
        this.samplesPerEpoch = samplesPerEpoch;
        this.stepsPerEpoch = stepsPerEpoch;
        this.events = events;
        this.epochLossReader = epochLossReader;
        this.epoch = state.epochsDone;
    }

    void beginEpoch(int epoch, double lr) {
        this.epoch = epoch;
        this.lr = lr;
    }

    public ParameterStore params() { return params; }
    public Optimizer optimizer() { return optimizer; }
    public Backend backend() { return params.backend(); }
    public FitConfig config() { return config; }

    /** The run's state: completed epochs, global step, best loss, history. Listeners in this package update it. */
    public TrainState state() { return state; }

    /** The current (or, after the loop, the last started) epoch, 0-based. */
    public int epoch() { return epoch; }

    /** Epochs the fit trains up to (counting those done before a resume). */
    public int epochs() { return config.epochs(); }

    /** The current epoch's learning rate (NaN before the first epoch of this run). */
    public double lr() { return lr; }

    /** Optimizer steps taken over the whole training, resumed runs included. */
    public long globalStep() { return state.globalStep; }

    /** Steps done in the current epoch (0 at an epoch end). */
    public int stepInEpoch() { return state.stepInEpoch; }

    public int samplesPerEpoch() { return samplesPerEpoch; }

    public int stepsPerEpoch() { return stepsPerEpoch; }

    /** Where the run's machine-readable events go ({@link EventSink#NONE} unless {@link TrainingLoop#events} set one). */
    public EventSink events() { return events; }

    /**
     * Brings the epoch's running loss into {@link #state()} (one read from the backend), so that a checkpoint taken
     * inside an epoch can continue the epoch's loss exactly. A no-op at an epoch end.
     */
    public void captureEpochLoss() {
        if (state.stepInEpoch > 0) epochLossReader.run();
    }

    /** The checkpoint that holds the run's latest saved position, or null (set by {@link Checkpointer}). */
    public Path lastCheckpoint() { return lastCheckpoint; }

    void lastCheckpoint(Path p) { lastCheckpoint = p; }

    /**
     * Asks the loop to stop after the current epoch (its checkpoint is still written). Unlike early stopping this is
     * not saved: a resumed run carries on.
     */
    public void requestStop() { stopRequested = true; }

    public boolean stopRequested() { return stopRequested; }
}
