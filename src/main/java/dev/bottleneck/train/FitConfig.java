package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Json;
import dev.bottleneck.optim.LrSchedule;
import dev.bottleneck.optim.OptimizerConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Everything {@link Trainer#fit} needs besides the model and the data: the loop settings {@link TrainingLoop} reads
 * (epochs, batch, seed, optimizer, schedule, clipping) and those of the {@link StandardListeners} (early stopping,
 * output directory, metrics format, progress). Fluent setters.
 */
public final class FitConfig {
    private int epochs = 10;
    private int batch = 256;
    private long seed = 42;
    private double validation = 0.1;
    private OptimizerConfig optimizer = OptimizerConfig.adam(1e-3);
    private LrSchedule schedule = LrSchedule.constant();
    private double clipNorm = 0;
    private int patience = 0;
    private double minDelta = 0;
    private boolean restoreBest = true;
    private Path outDir;
    private String metricsFormat = "csv";
    private Boolean progress; // null: only when a terminal is attached
    private Noise noise; // null: no input corruption (not a denoising autoencoder)
    private long checkpointEverySteps; // 0: only at epoch ends
    private Duration checkpointEvery; // null: only at epoch ends

    public int epochs() { return epochs; }
    public int batch() { return batch; }
    public long seed() { return seed; }
    public double validation() { return validation; }
    public OptimizerConfig optimizer() { return optimizer; }
    public LrSchedule schedule() { return schedule; }
    public double clipNorm() { return clipNorm; }
    public int patience() { return patience; }
    public double minDelta() { return minDelta; }
    public boolean restoreBest() { return restoreBest; }
    public Path outDir() { return outDir; }
    public String metricsFormat() { return metricsFormat; }
    /** The progress bar: as set, else only when standard error is a terminal (never in a log file or a job's pipe). */
    public boolean progress() { return progress != null ? progress : Terminal.stderrIsTerminal(); }

    /** Checkpoints inside epochs every this many global steps (0: only at epoch ends). */
    public long checkpointEverySteps() { return checkpointEverySteps; }

    /** Checkpoints inside epochs when this much time has passed since the last one (null: only at epoch ends). */
    public Duration checkpointEvery() { return checkpointEvery; }

    /**
     * Checkpoints also inside epochs, every {@code steps} global steps (0: not by steps) and every {@code time}
     * (null: not by time), besides every epoch end. These are not training settings: they change what is saved, not
     * a single weight, so they are not part of {@link #toMap()} and a resumed run may choose others.
     */
    public FitConfig checkpointEvery(long steps, Duration time) {
        if (steps < 0) throw new BottleneckException("--checkpoint-every: the number of steps must be positive, got " + steps);
        if (time != null && (time.isNegative() || time.isZero())) throw new BottleneckException("--checkpoint-every: the duration must be positive");
        this.checkpointEverySteps = steps;
        this.checkpointEvery = time;
        return this;
    }
    /** Corruption of the training inputs (denoising autoencoder), or null. */
    public Noise noise() { return noise; }

    public FitConfig noise(Noise v) { noise = v; return this; }

    public FitConfig epochs(int v) {
        if (v < 1) throw new BottleneckException("--epochs must be at least 1, got " + v);
        epochs = v;
        return this;
    }

    public FitConfig batch(int v) {
        if (v < 1) throw new BottleneckException("--batch must be at least 1, got " + v);
        batch = v;
        return this;
    }

    public FitConfig seed(long v) { seed = v; return this; }

    /** Fraction of the training split held out for validation every epoch (0 disables). */
    public FitConfig validation(double v) {
        if (!(v >= 0 && v < 1)) throw new BottleneckException("--validation must be in [0, 1), got " + v);
        validation = v;
        return this;
    }

    public FitConfig optimizer(OptimizerConfig v) { optimizer = v; return this; }
    public FitConfig schedule(LrSchedule v) { schedule = v; return this; }

    /** Clip the global gradient L2 norm to this value (0: off). */
    public FitConfig clipNorm(double v) {
        if (!(v >= 0) || Double.isInfinite(v)) throw new BottleneckException("--clip-norm must be a finite number >= 0, got " + v);
        clipNorm = v;
        return this;
    }

    /** Stop after this many epochs without improvement of the monitored loss by more than {@code minDelta} (0: off). */
    public FitConfig earlyStopping(int patience, double minDelta, boolean restoreBest) {
        if (patience < 0) throw new BottleneckException("--patience must be >= 0");
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new BottleneckException("--min-delta must be a finite number >= 0, got " + minDelta);
        }
        this.patience = patience;
        this.minDelta = minDelta;
        this.restoreBest = restoreBest;
        return this;
    }

    /** Where checkpoints, metrics and pictures go (null: nothing is written). */
    public FitConfig outDir(Path v) { outDir = v; return this; }

    public FitConfig metricsFormat(String v) {
        if (!v.equals("csv") && !v.equals("jsonl")) throw new BottleneckException("--metrics must be csv or jsonl, got " + v);
        metricsFormat = v;
        return this;
    }

    public FitConfig progress(Boolean v) { progress = v; return this; }

    public Map<String, Object> toMap() {
        Map<String, Object> m = Json.object("epochs", epochs, "batch", batch, "seed", seed, "validation", validation,
                "optimizer", optimizer.toMap(), "schedule", schedule.toMap(), "clip_norm", clipNorm,
                "patience", patience, "min_delta", minDelta, "restore_best", restoreBest,
                "metrics_format", metricsFormat);
        if (noise != null) m.put("noise", noise.toMap());
        return m;
    }

    @SuppressWarnings("unchecked")
    public static FitConfig fromMap(Map<String, Object> m) {
        FitConfig c = new FitConfig();
        c.epochs(((Number) m.get("epochs")).intValue());
        c.batch(((Number) m.get("batch")).intValue());
        c.seed(((Number) m.get("seed")).longValue());
        c.validation(((Number) m.get("validation")).doubleValue());
        c.optimizer(OptimizerConfig.fromMap((Map<String, Object>) m.get("optimizer")));
        c.schedule(LrSchedule.fromMap((Map<String, Object>) m.get("schedule")));
        c.clipNorm(((Number) m.get("clip_norm")).doubleValue());
        c.earlyStopping(((Number) m.get("patience")).intValue(), ((Number) m.get("min_delta")).doubleValue(),
                Boolean.TRUE.equals(m.get("restore_best")));
        c.metricsFormat((String) m.get("metrics_format"));
        if (m.get("noise") instanceof Map) c.noise(Noise.fromMap((Map<String, Object>) m.get("noise")));
        return c;
    }
}
