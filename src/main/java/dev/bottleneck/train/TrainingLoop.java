package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.tensor.Tensor;

import java.nio.file.Path;
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
    private EventSink events = EventSink.NONE;
    private DataParallel parallel;

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
     * Makes this loop one rank of a data-parallel job (null: a single process). {@link FitConfig#batch()} is then the
     * global batch, and the source given to {@link #fit} holds the whole data set; see {@link DataParallel}.
     */
    public TrainingLoop dataParallel(DataParallel p) {
        this.parallel = p;
        return this;
    }

    /**
     * What {@link #fit} returns: the final state, the last epoch's training and validation loss (NaN when this run
     * trained no epoch), the throughput over this run's epochs after the first (all of them when it trained just
     * one) and the seconds spent in epochs.
     */
    public record Result(TrainState state, double trainLoss, double valLoss, double samplesPerSecond, double seconds) { }

    /** Where machine-readable events of the run go (the listeners' and checkpoints'); none by default. */
    public TrainingLoop events(EventSink sink) {
        this.events = sink == null ? EventSink.NONE : sink;
        return this;
    }

    /**
     * Trains until {@link FitConfig#epochs()} epochs are done, early stopping sets {@link TrainState#stoppedEarly()},
     * or a listener {@linkplain LoopContext#requestStop() asks to stop}.
     *
     * <p>A resumed state may lie inside an epoch ({@link TrainState#stepInEpoch()} steps of epoch
     * {@code epochsDone + 1} done): the loop then continues that epoch at its next step, with the epoch's running
     * loss restored, so the run takes exactly the steps an uninterrupted one would. When {@link Preemption} reports a
     * signal, the loop stops at the next step boundary (or after the epoch end in progress), lets the listeners save
     * the position ({@link TrainingListener#onInterrupt}) and throws {@link TrainingInterrupted}.
     *
     * @param resume a state read from a checkpoint (the weights and optimizer state must already be loaded), or null
     *               to start afresh
     */
    public Result fit(BatchSource train, TrainState resume) {
        TrainStep step = parallel == null ? this.step : parallel.step(this.step);
        List<TrainingListener> listeners = new ArrayList<>(this.listeners);
        if (parallel != null) {
            train = parallel.shard(train);
            listeners.add(parallel.listener());
        }
        TrainState state = resume != null ? resume : new TrainState();
        int n = train.size();
        if (n < 1) throw new BottleneckException("nothing to train on: no training samples are left (is the validation fraction too large?)");
        int batch = Math.min(cfg.batch(), n);
        int steps = (n + batch - 1) / batch;
        checkData(state, resume != null, train.fingerprint(), n, steps);
        List<GradientHook> gradientHooks = new ArrayList<>(hooks);
        if (parallel != null) gradientHooks.add(0, parallel.gradients());
        if (cfg.clipNorm() > 0) gradientHooks.add(new GradientClipping(cfg.clipNorm()));
        Tensor lossAcc = be.memory().zeros(1);
        long[] epochStart = {System.nanoTime()};
        double[] secondsBefore = {0};
        LoopContext ctx = new LoopContext(params, optimizer, cfg, state, n, steps, events, () -> {
            state.epochLossSum = be.memory().readScalar(lossAcc);
            state.epochSeconds = secondsBefore[0] + (System.nanoTime() - epochStart[0]) / 1e9;
        });
        double measuredSamples = 0, measuredSeconds = 0, totalSeconds = 0;
        double lastTrain = Double.NaN, lastVal = Double.NaN;
        int firstEpochThisRun = state.epochsDone;
        Preemption.enterLoop();
        try {
            for (TrainingListener l : listeners) l.onFitStart(ctx);
            for (int epoch = state.epochsDone; epoch < cfg.epochs() && !state.stoppedEarly && !ctx.stopRequested(); epoch++) {
                double lr = cfg.schedule().lr(cfg.optimizer().lr(), epoch);
                int[] perm = Dataset.epochPermutation(n, cfg.seed(), epoch);
                int first = state.stepInEpoch; // steps of this epoch a resumed run has already taken
                train.position(perm, first * batch, batch);
                step.beginEpoch(epoch);
                ctx.beginEpoch(epoch, lr);
                double weight = 0;
                if (first > 0) {
                    be.memory().fill(lossAcc, state.epochLossSum);
                    weight = state.epochWeightSum;
                    secondsBefore[0] = state.epochSeconds;
                } else {
                    be.memory().fill(lossAcc, 0.0);
                    secondsBefore[0] = 0;
                }
                long t0 = System.nanoTime();
                epochStart[0] = t0;
                for (TrainingListener l : listeners) l.onEpochStart(ctx);
                double hostLoss = 0, syncedWeight = weight;
                int lastSync = first;
                for (int s = first; s < steps; s++) {
                    int from = s * batch, b = Math.min(batch, n - from);
                    long stepSeed = Graph.streamSeed(cfg.seed(), state.globalStep);
                    try (Batch xb = train.gather(perm, from, b);
                         Graph g = new Graph(be, true, true, parallel == null ? stepSeed : parallel.stepSeed(stepSeed))) {
                        params.zeroGrads();
                        StepLoss loss = step.loss(g, xb);
                        g.backward(loss.objective());
                        for (GradientHook h : gradientHooks) h.apply(g, params);
                        optimizer.step(lr);
                        be.elementwise().axpby(loss.weight(), loss.reported().value(), 1.0, lossAcc);
                        weight += loss.weight();
                    }
                    state.globalStep++;
                    state.stepInEpoch = s + 1;
                    state.epochWeightSum = weight;
                    boolean last = s == steps - 1;
                    if (be.cheapSync() || last || (s + 1) % SYNC_EVERY == 0) {
                        hostLoss = be.memory().readScalar(lossAcc);
                        syncedWeight = weight;
                        if (parallel != null) {
                            double[] sum = parallel.sumOverRanks(hostLoss, weight);
                            hostLoss = sum[0];
                            syncedWeight = sum[1];
                        }
                        SyncPoint p = new SyncPoint(epoch, s + 1, lastSync + 1, steps, (long) from + b, n, hostLoss, syncedWeight,
                                secondsBefore[0] + (System.nanoTime() - t0) / 1e9, lr, last, be.cheapSync());
                        lastSync = s + 1;
                        for (TrainingListener l : listeners) l.onSync(ctx, p);
                    }
                    for (TrainingListener l : listeners) l.onStepEnd(ctx);
                    if (!last && Preemption.requested()) interrupt(ctx, epoch + 1, s + 1, steps);
                }
                be.synchronize();
                double secondsHere = (System.nanoTime() - t0) / 1e9;
                double seconds = secondsBefore[0] + secondsHere;
                totalSeconds += secondsHere;
                if (epoch > firstEpochThisRun || cfg.epochs() - firstEpochThisRun == 1) {
                    measuredSamples += n - Math.min(n, (long) first * batch);
                    measuredSeconds += secondsHere;
                }
                lastTrain = hostLoss / syncedWeight;
                lastVal = validator == null ? Double.NaN : validator.validate();
                if (validator != null) for (TrainingListener l : listeners) l.onValidation(ctx, lastVal);
                double code = codeActivation == null ? Double.NaN : codeActivation.getAsDouble();
                EpochMetrics em = new EpochMetrics(epoch + 1, lastTrain, lastVal, lr, n / seconds, seconds, code);
                state.history.add(em);
                state.epochsDone = epoch + 1;
                state.stepInEpoch = 0;
                state.epochLossSum = 0;
                state.epochWeightSum = 0;
                state.epochSeconds = 0;
                for (TrainingListener l : listeners) l.onEpochEnd(ctx, em);
                if (Preemption.requested()) interrupt(ctx, epoch + 1, steps, steps);
            }
            Result r = new Result(state, lastTrain, lastVal, measuredSeconds > 0 ? measuredSamples / measuredSeconds : Double.NaN,
                    totalSeconds);
            for (TrainingListener l : listeners) l.onFitEnd(ctx, r);
            return r;
        } catch (AtomicFiles.WriteFailed e) {
            // a metrics file, a picture: say which checkpoint the run can continue from
            Path last = ctx.lastCheckpoint();
            throw new BottleneckException(e.getMessage().replaceFirst(" \\(check that.*\\)$", "")
                    + (last == null ? "" : "; the last checkpoint, " + last + ", is intact and --resume continues from it"), e);
        } finally {
            Preemption.exitLoop();
            for (TrainingListener l : listeners) {
                try {
                    l.onFitExit(ctx);
                } catch (RuntimeException ignored) {
                    // releasing must not hide why the fit ended
                }
            }
            be.memory().release(lossAcc);
        }
    }

    /** At a step boundary after a stop request: listeners save the position, then the fit ends. */
    private void interrupt(LoopContext ctx, int epoch, int step, int steps) {
        ctx.captureEpochLoss();
        for (TrainingListener l : listeners) l.onInterrupt(ctx);
        Path checkpoint = ctx.lastCheckpoint();
        throw new TrainingInterrupted(Preemption.signal(), Preemption.exitStatus(), epoch, step, steps, checkpoint);
    }

    /**
     * A resumed run must see the data its checkpoint was trained on (unless the resume allowed a change); with other
     * data, or another batch size, a position inside an epoch means nothing, so such an epoch starts over.
     */
    private static void checkData(TrainState state, boolean resumed, String fingerprint, int n, int steps) {
        if (resumed && state.dataFingerprint != null && fingerprint != null && !state.dataFingerprint.equals(fingerprint)
                && !state.dataChangeAllowed) {
            throw new BottleneckException("--resume: the training data is not the data of the checkpoint"
                    + (state.resumedFrom == null ? "" : " in " + state.resumedFrom) + " (fingerprint " + state.dataFingerprint + " there, "
                    + fingerprint + " now; a different data set, --limit, --validation or data files): rerun with the same data, "
                    + "or add --allow-changed data to continue on this one");
        }
        boolean otherEpoch = state.stepsPerEpoch > 0 && (state.stepsPerEpoch != steps || state.samplesPerEpoch != n);
        if (state.stepInEpoch > 0 && (otherEpoch || state.stepInEpoch >= steps)) {
            state.stepInEpoch = 0; // only reachable through an allowed change of the data or the batch size
            state.epochLossSum = 0;
            state.epochWeightSum = 0;
            state.epochSeconds = 0;
        }
        state.dataFingerprint = fingerprint;
        state.samplesPerEpoch = n;
        state.stepsPerEpoch = steps;
    }
}
