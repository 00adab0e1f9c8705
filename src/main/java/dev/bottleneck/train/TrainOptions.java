package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.optim.OptimizerConfig;

import java.io.PrintStream;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.optim.Optimizer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How an application (AutoRec, segmentation, super-resolution) runs its {@link TrainingLoop}, beside its own
 * model settings: the hold-out fraction, the directory for checkpoints and metrics, whether to resume from it,
 * progress, logging, and extra listeners. Fluent setters; the defaults train on everything, write nothing and
 * print nothing.
 */
public final class TrainOptions {
    private double validation;
    private Path outDir;
    private Resume.Mode resume = Resume.Mode.NEVER;
    private Set<String> allowChanged = Set.of();
    private long checkpointEverySteps;
    private Duration checkpointEvery;
    private EventSink events = EventSink.NONE;
    private Boolean progress = Boolean.FALSE;
    private PrintStream progressOut = System.err;
    private Consumer<String> log = s -> { };
    private String metricsFormat = "csv";
    private Map<String, Object> config = Map.of();
    private final List<TrainingListener> listeners = new ArrayList<>();

    public static TrainOptions defaults() {
        return new TrainOptions();
    }

    /** Fraction of the training samples held out and scored after every epoch (0: none). */
    public TrainOptions validation(double v) {
        if (!(v >= 0 && v < 1)) throw new BottleneckException("--validation must be in [0, 1), got " + v);
        validation = v;
        return this;
    }

    /** Where checkpoints, metrics and the loss curve go (null: nothing is written). */
    public TrainOptions outDir(Path v) { outDir = v; return this; }

    /** Continue the training saved in {@link #outDir} instead of starting afresh (true: {@link Resume.Mode#ALWAYS}). */
    public TrainOptions resume(boolean v) { resume = v ? Resume.Mode.ALWAYS : Resume.Mode.NEVER; return this; }

    /** How to treat a checkpoint in {@link #outDir} ({@link Resume}). */
    public TrainOptions resume(Resume.Mode v) { resume = v; return this; }

    /** Settings a resume may find changed ({@link Resume#allowChanged}). */
    public TrainOptions allowChanged(Collection<String> names) { allowChanged = Set.copyOf(names); return this; }

    /** Checkpoints inside epochs too ({@link FitConfig#checkpointEvery(long, Duration)}). */
    public TrainOptions checkpointEvery(long steps, Duration time) {
        checkpointEverySteps = steps;
        checkpointEvery = time;
        return this;
    }

    /** Where machine-readable events go (none by default). */
    public TrainOptions events(EventSink v) { events = v == null ? EventSink.NONE : v; return this; }

    /** Progress bar: true, false, or null for "when a terminal is attached". */
    public TrainOptions progress(Boolean v) { progress = v; return this; }

    public TrainOptions progressOut(PrintStream v) { progressOut = v; return this; }

    /** Receives the per-epoch lines and notes; null is taken as no logging. */
    public TrainOptions log(Consumer<String> v) { log = v == null ? s -> { } : v; return this; }

    public TrainOptions metricsFormat(String v) { metricsFormat = v; return this; }

    /** The content of config.json in every checkpoint (the application's own description of the run). */
    public TrainOptions config(Map<String, Object> v) { config = new LinkedHashMap<>(v); return this; }

    /** A listener run after the standard ones. */
    public TrainOptions listener(TrainingListener l) { listeners.add(l); return this; }

    public double validation() { return validation; }
    public Path outDir() { return outDir; }
    /** Whether a checkpoint in {@link #outDir} may be continued (mode {@link Resume.Mode#ALWAYS} or {@link Resume.Mode#AUTO}). */
    public boolean resume() { return resume != Resume.Mode.NEVER; }
    public Resume.Mode resumeMode() { return resume; }
    public Set<String> allowChanged() { return allowChanged; }
    public EventSink events() { return events; }
    public PrintStream progressOut() { return progressOut; }
    public Consumer<String> log() { return log; }
    public Map<String, Object> config() { return config; }
    public List<TrainingListener> listeners() { return List.copyOf(listeners); }

    /**
     * The loop settings of an application trained with Adam at a constant learning rate: its epochs, batch, rate
     * and seed, with these options' hold-out, directory, metrics format and progress.
     */
    public FitConfig fitConfig(int epochs, int batch, double lr, long seed) {
        if (resume == Resume.Mode.ALWAYS && outDir == null) throw new BottleneckException("--resume needs the model directory (--out) to resume from");
        return new FitConfig().epochs(epochs).batch(batch).seed(seed).validation(validation).optimizer(OptimizerConfig.adam(lr))
                .outDir(outDir).metricsFormat(metricsFormat).progress(progress).checkpointEvery(checkpointEverySteps, checkpointEvery);
    }

    /**
     * The standard listeners of an application's loop with these options: its log and progress output, and on
     * divergence the advice to lower {@code --lr} (an application may give more specific advice).
     */
    public StandardListeners.Builder listenerBuilder(FitConfig fc) {
        return StandardListeners.builder(fc, log).progressOut(progressOut).divergenceAdvice(lr -> "lower --lr (now " + lr + ")");
    }

    /**
     * Runs an application's loop with these options: holds {@link #outDir} ({@link RunDirectory}), continues its
     * checkpoint as {@link #resumeMode} says (comparing {@link #config} and {@code fc} with the checkpoint's), adds
     * {@link #listeners} after the loop's own, and reports to {@link #events}.
     */
    public TrainingLoop.Result fit(TrainingLoop loop, BatchSource train, FitConfig fc, ParameterStore params, Optimizer optimizer) {
        loop.events(events).listeners(listeners);
        if (outDir == null) return loop.fit(train, null);
        try (RunDirectory held = RunDirectory.open(outDir, log)) {
            TrainState resumed = Resume.in(outDir).mode(resume).allowChanged(allowChanged).log(log).events(events)
                    .load(config, fc, params, optimizer);
            return loop.fit(train, resumed);
        }
    }
}
