package dev.bottleneck.train;

import dev.bottleneck.io.Json;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.optim.Optimizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Writes resumable checkpoints of a run into its directory, each one unit published atomically
 * ({@link CheckpointStore}): after every epoch, every {@link FitConfig#checkpointEverySteps()} global steps and
 * every {@link FitConfig#checkpointEvery()} of wall time inside an epoch, and when the run is interrupted
 * ({@link Preemption}). A unit holds {@code model.safetensors}, {@code optimizer.safetensors}, {@code config.json},
 * {@code trainer.json} (the position, the loss history, the early-stopping record, the loop settings) and, with
 * early stopping, {@code best.safetensors}; the top of the directory gets the same files once the unit is
 * published. {@link Resume} reads it back.
 *
 * <p>While it trains, the run holds its directory ({@link RunDirectory}): a second process cannot write into it.
 *
 * <p>At the end of a run stopped early it can put the best epoch's weights back (and into model.safetensors).
 * Add it after {@link EarlyStopping}, whose verdict it saves.
 */
public final class Checkpointer implements TrainingListener {
    private final Path dir;
    private final CheckpointStore store;
    private final ParameterStore params;
    private final Map<String, Object> modelDescription;
    private final Optimizer optimizer;
    private final Supplier<Map<String, Object>> config;
    private final boolean keepBest;
    private final boolean restoreBest;
    private final Consumer<String> log;
    private long everySteps;
    private long everyNanos;

    private RunDirectory held;
    private long lastSavedStep = -1;
    private long lastSavedAt;
    private Path bestFile; // this run's best weights: in the latest unit, or where a resumed state had them

    /**
     * @param modelDescription the model's spec (or another description), stored in the weights files' metadata
     * @param config           the content of config.json, asked for at every checkpoint
     * @param keepBest         also keep the best epoch's weights in best.safetensors
     * @param restoreBest      after early stopping, load those weights back
     */
    public Checkpointer(Path dir, ParameterStore params, Map<String, Object> modelDescription, Optimizer optimizer,
                        Supplier<Map<String, Object>> config, boolean keepBest, boolean restoreBest, Consumer<String> log) {
        this.dir = dir;
        this.store = new CheckpointStore(dir);
        this.params = params;
        this.modelDescription = new LinkedHashMap<>(modelDescription); // keeps the key order of the metadata JSON
        this.optimizer = optimizer;
        this.config = config;
        this.keepBest = keepBest;
        this.restoreBest = restoreBest;
        this.log = log;
    }

    /**
     * Also checkpoints inside epochs: when the global step is a multiple of {@code steps} (0: never), and when
     * {@code time} has passed since the last checkpoint (null or zero: never). Not at an epoch's last step, whose
     * epoch-end checkpoint follows at once.
     */
    public Checkpointer every(long steps, Duration time) {
        this.everySteps = Math.max(0, steps);
        this.everyNanos = time == null ? 0 : Math.max(0, time.toNanos());
        return this;
    }

    @Override
    public void onFitStart(LoopContext ctx) {
        held = RunDirectory.open(dir, log);
        TrainState state = ctx.state();
        lastSavedAt = System.nanoTime();
        Path from = state.resumedFrom;
        if (from != null) {
            lastSavedStep = state.globalStep;
            ctx.lastCheckpoint(from);
            Path best = from.resolve(Checkpoint.BEST);
            bestFile = Files.isRegularFile(best) ? best : null;
        } else {
            lastSavedStep = -1;
            bestFile = null;
        }
    }

    @Override
    public void onStepEnd(LoopContext ctx) {
        if (everySteps == 0 && everyNanos == 0) return;
        if (ctx.stepInEpoch() >= ctx.stepsPerEpoch()) return; // the epoch-end checkpoint comes next
        boolean bySteps = everySteps > 0 && ctx.globalStep() % everySteps == 0;
        boolean byTime = everyNanos > 0 && System.nanoTime() - lastSavedAt >= everyNanos;
        if (bySteps || byTime) save(ctx, bySteps ? "steps" : "time");
    }

    @Override
    public void onEpochEnd(LoopContext ctx, EpochMetrics m) {
        save(ctx, "epoch");
    }

    @Override
    public void onInterrupt(LoopContext ctx) {
        if (ctx.globalStep() != lastSavedStep) save(ctx, "signal");
    }

    private void save(LoopContext ctx, String reason) {
        TrainState state = ctx.state();
        long t0 = System.nanoTime();
        ctx.captureEpochLoss();
        boolean improved = keepBest && state.stepInEpoch == 0 && state.bestEpoch == state.epochsDone && state.bestEpoch > 0;
        Path previousBest = bestFile;
        Map<String, Object> trainer = state.toMap();
        trainer.put("settings", ctx.config().toMap());
        CheckpointStore.Unit unit = store.publish(state, reason, tmp -> {
            Checkpoint.saveWeights(tmp.resolve(Checkpoint.MODEL), params, modelDescription);
            if (improved) {
                Checkpoint.saveWeights(tmp.resolve(Checkpoint.BEST), params, modelDescription);
            } else if (keepBest && previousBest != null && state.bestEpoch > 0) {
                try {
                    CheckpointStore.linkOrCopy(previousBest, tmp.resolve(Checkpoint.BEST));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            Checkpoint.saveOptimizer(tmp.resolve(Checkpoint.OPTIMIZER), optimizer);
            Checkpoint.saveConfig(tmp, config.get());
            Json.writeFile(tmp.resolve(Checkpoint.STATE), trainer);
        });
        Path best = unit.file(Checkpoint.BEST);
        bestFile = Files.isRegularFile(best) ? best : null;
        lastSavedStep = state.globalStep;
        lastSavedAt = System.nanoTime();
        ctx.lastCheckpoint(unit.dir());
        Map<String, Object> ev = Json.object("path", unit.dir().toString(), "reason", reason,
                "epoch", state.stepInEpoch == 0 ? state.epochsDone : state.epochsDone + 1,
                "step", state.stepInEpoch == 0 ? ctx.stepsPerEpoch() : state.stepInEpoch, "steps", ctx.stepsPerEpoch(),
                "epochs_done", state.epochsDone, "global_step", state.globalStep,
                "seconds", Math.round((System.nanoTime() - t0) / 1e6) / 1e3);
        ctx.events().emit("checkpoint", ev);
    }

    @Override
    public void onFitEnd(LoopContext ctx, TrainingLoop.Result result) {
        TrainState state = ctx.state();
        Path best = bestFile != null ? bestFile : dir.resolve(Checkpoint.BEST);
        if (state.stoppedEarly && restoreBest && Files.isRegularFile(best)) {
            Checkpoint.loadWeights(best, params);
            log.accept("restored the weights of epoch " + state.bestEpoch);
            Checkpoint.saveWeights(dir.resolve(Checkpoint.MODEL), params, modelDescription);
        }
    }

    @Override
    public void onFitExit(LoopContext ctx) {
        if (held != null) held.close();
        held = null;
    }
}
