package dev.bottleneck.train;

import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.optim.Optimizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Writes a resumable checkpoint into a model directory after every epoch: {@code model.safetensors},
 * {@code best.safetensors} when the epoch improved and early stopping is on, {@code optimizer.safetensors},
 * {@code config.json}, and last {@code trainer.json}, which names the step the other files belong to (every
 * file is replaced atomically). {@link Checkpoint#resume} reads it back.
 *
 * <p>At the end of a run stopped early it can put the best epoch's weights back (and into model.safetensors).
 * Add it after {@link EarlyStopping}, whose verdict it saves.
 */
public final class Checkpointer implements TrainingListener {
    private final Path dir;
    private final ParameterStore params;
    private final Map<String, Object> modelDescription;
    private final Optimizer optimizer;
    private final Supplier<Map<String, Object>> config;
    private final boolean keepBest;
    private final boolean restoreBest;
    private final Consumer<String> log;

    /**
     * @param modelDescription the model's spec (or another description), stored in the weights files' metadata
     * @param config           the content of config.json, asked for at every checkpoint
     * @param keepBest         also keep the best epoch's weights in best.safetensors
     * @param restoreBest      after early stopping, load those weights back
     */
    public Checkpointer(Path dir, ParameterStore params, Map<String, Object> modelDescription, Optimizer optimizer,
                        Supplier<Map<String, Object>> config, boolean keepBest, boolean restoreBest, Consumer<String> log) {
        this.dir = dir;
        this.params = params;
        this.modelDescription = new LinkedHashMap<>(modelDescription); // keeps the key order of the metadata JSON
        this.optimizer = optimizer;
        this.config = config;
        this.keepBest = keepBest;
        this.restoreBest = restoreBest;
        this.log = log;
    }

    @Override
    public void onEpochEnd(LoopContext ctx, EpochMetrics m) {
        TrainState state = ctx.state();
        Checkpoint.saveWeights(dir.resolve(Checkpoint.MODEL), params, modelDescription);
        if (keepBest && state.bestEpoch == state.epochsDone) Checkpoint.saveWeights(dir.resolve(Checkpoint.BEST), params, modelDescription);
        Checkpoint.saveOptimizer(dir.resolve(Checkpoint.OPTIMIZER), optimizer);
        Checkpoint.saveConfig(dir, config.get());
        Checkpoint.saveState(dir, state);
    }

    @Override
    public void onFitEnd(LoopContext ctx, TrainingLoop.Result result) {
        TrainState state = ctx.state();
        Path best = dir.resolve(Checkpoint.BEST);
        if (state.stoppedEarly && restoreBest && Files.isRegularFile(best)) {
            Checkpoint.loadWeights(best, params);
            log.accept("restored the weights of epoch " + state.bestEpoch);
            Checkpoint.saveWeights(dir.resolve(Checkpoint.MODEL), params, modelDescription);
        }
    }
}
