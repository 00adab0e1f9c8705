package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * The training loop shared by every model: epochs over a seeded shuffle of a {@link BatchSource}, one
 * {@link TrainStep} per batch, gradient hooks between the backward pass and the optimizer update, and
 * {@link TrainingListener}s for everything else (progress, logs, early stopping, metrics files, checkpoints).
 *
 * <p>Reproducibility: epoch {@code e} visits the samples in {@link Dataset#epochPermutation}{@code (n, seed, e)},
 * and the graph of global step {@code s} draws its random numbers from {@link Graph#streamSeed}{@code (seed, s)}.
 * Both depend only on the configuration and the position in the run, so a run resumed from a checkpoint takes
 * exactly the steps an uninterrupted one would.
 *
 * <p>Host syncs: the reported loss of every step is added on the backend ({@code acc += weight * loss}); the
 * loop reads {@code acc} back only at sync points ({@link SyncPoint}), and nothing else in the loop waits for the
 * device.
 */
public final class TrainingLoop {
    /** On device backends, the accumulated loss is read back (and listeners see it) every this many steps. */
    public static final int SYNC_EVERY = 50;

    private final ParameterStore params;
    private final Optimizer optimizer;
    private final TrainStep step;
    private final FitConfig cfg;
    private final Backend be;
    private final List<GradientHook> hooks = new ArrayList<>();
    private final List<TrainingListener> listeners = new ArrayList<>();
    private Validator validator;
    private DoubleSupplier codeActivation;

    /**
     * @param cfg the loop reads epochs, batch, seed, the learning rate and its schedule, and the clipping norm; the
     *            other settings are for the listeners (see {@link StandardListeners})
     */
    public TrainingLoop(ParameterStore params, Optimizer optimizer, TrainStep step, FitConfig cfg) {
        this.params = params;
        this.optimizer = optimizer;
        this.step = step;
        this.cfg = cfg;
        this.be = params.backend();
    }

    /** Scores held-out data after every epoch (none by default: the validation loss is then NaN). */
    public TrainingLoop validator(Validator v) {
        this.validator = v;
        return this;
    }

    /** An extra per-epoch statistic stored as {@link EpochMetrics#meanCodeActivation()} (NaN by default). */
    public TrainingLoop codeActivation(DoubleSupplier s) {
        this.codeActivation = s;
        return this;
    }

    /** Adds a gradient hook; hooks run in the order added, and clipping ({@link FitConfig#clipNorm()}) after all of them. */
    public TrainingLoop gradientHook(GradientHook h) {
        hooks.add(h);
        return this;
    }

    public TrainingLoop listener(TrainingListener l) {
        listeners.add(l);
        return this;
    }

    public TrainingLoop listeners(Collection<? extends TrainingListener> ls) {
        listeners.addAll(ls);
        return this;
    }

    /**
     * What {@link #fit} returns: the final state, the last epoch's training and validation loss (NaN when this run
     * trained no epoch), the throughput over this run's epochs after the first (all of them when it trained just
     * one) and the seconds spent in epochs.
     */
    public record Result(TrainState state, double trainLoss, double valLoss, double samplesPerSecond, double seconds) { }

    /**
     * Trains until {@link FitConfig#epochs()} epochs are done, early stopping sets {@link TrainState#stoppedEarly()},
     * or a listener {@linkplain LoopContext#requestStop() asks to stop}.
     *
     * @param resume a state read from a checkpoint (the weights and optimizer state must already be loaded), or null
     *               to start afresh
     */
    public Result fit(BatchSource train, TrainState resume) {
        TrainState state = resume != null ? resume : new TrainState();
        int n = train.size();
        if (n < 1) throw new BottleneckException("nothing to train on: no training samples are left (is the validation fraction too large?)");
        int batch = Math.min(cfg.batch(), n);
        int steps = (n + batch - 1) / batch;
        List<GradientHook> gradientHooks = new ArrayList<>(hooks);
        if (cfg.clipNorm() > 0) gradientHooks.add(new GradientClipping(cfg.clipNorm()));
        LoopContext ctx = new LoopContext(params, optimizer, cfg, state, n, steps);
        Tensor lossAcc = be.memory().zeros(1);
        double measuredSamples = 0, measuredSeconds = 0, totalSeconds = 0;
        double lastTrain = Double.NaN, lastVal = Double.NaN;
        int firstEpochThisRun = state.epochsDone;
        try {
            for (TrainingListener l : listeners) l.onFitStart(ctx);
            for (int epoch = state.epochsDone; epoch < cfg.epochs() && !state.stoppedEarly && !ctx.stopRequested(); epoch++) {
                double lr = cfg.schedule().lr(cfg.optimizer().lr(), epoch);
                int[] perm = Dataset.epochPermutation(n, cfg.seed(), epoch);
                train.position(perm, 0, batch);
                step.beginEpoch(epoch);
                ctx.beginEpoch(epoch, lr);
                be.memory().fill(lossAcc, 0.0);
                long t0 = System.nanoTime();
                for (TrainingListener l : listeners) l.onEpochStart(ctx);
                double hostLoss = 0, weight = 0;
                int lastSync = 0;
                for (int s = 0; s < steps; s++) {
                    int from = s * batch, b = Math.min(batch, n - from);
                    try (Batch xb = train.gather(perm, from, b);
                         Graph g = new Graph(be, true, true, Graph.streamSeed(cfg.seed(), state.globalStep))) {
                        params.zeroGrads();
                        StepLoss loss = step.loss(g, xb);
                        g.backward(loss.objective());
                        for (GradientHook h : gradientHooks) h.apply(g, params);
                        optimizer.step(lr);
                        be.elementwise().axpby(loss.weight(), loss.reported().value(), 1.0, lossAcc);
                        weight += loss.weight();
                    }
                    state.globalStep++;
                    boolean last = s == steps - 1;
                    if (be.cheapSync() || last || (s + 1) % SYNC_EVERY == 0) {
                        hostLoss = be.memory().readScalar(lossAcc);
                        SyncPoint p = new SyncPoint(epoch, s + 1, lastSync + 1, steps, (long) from + b, n, hostLoss, weight,
                                (System.nanoTime() - t0) / 1e9, lr, last, be.cheapSync());
                        lastSync = s + 1;
                        for (TrainingListener l : listeners) l.onSync(ctx, p);
                    }
                    for (TrainingListener l : listeners) l.onStepEnd(ctx);
                }
                be.synchronize();
                double seconds = (System.nanoTime() - t0) / 1e9;
                totalSeconds += seconds;
                if (epoch > firstEpochThisRun || cfg.epochs() - firstEpochThisRun == 1) {
                    measuredSamples += n;
                    measuredSeconds += seconds;
                }
                lastTrain = hostLoss / weight;
                lastVal = validator == null ? Double.NaN : validator.validate();
                if (validator != null) for (TrainingListener l : listeners) l.onValidation(ctx, lastVal);
                double code = codeActivation == null ? Double.NaN : codeActivation.getAsDouble();
                EpochMetrics em = new EpochMetrics(epoch + 1, lastTrain, lastVal, lr, n / seconds, seconds, code);
                state.history.add(em);
                state.epochsDone = epoch + 1;
                for (TrainingListener l : listeners) l.onEpochEnd(ctx, em);
            }
            Result r = new Result(state, lastTrain, lastVal, measuredSeconds > 0 ? measuredSamples / measuredSeconds : Double.NaN,
                    totalSeconds);
            for (TrainingListener l : listeners) l.onFitEnd(ctx, r);
            return r;
        } finally {
            be.memory().release(lossAcc);
        }
    }
}
