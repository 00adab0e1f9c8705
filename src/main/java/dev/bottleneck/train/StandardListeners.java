package dev.bottleneck.train;

import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.optim.Optimizer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleFunction;
import java.util.function.Supplier;

/**
 * The listeners every training run gets from its {@link FitConfig}, in the order that makes them work together:
 * <ol>
 *   <li>{@link DivergenceGuard} (before anything reports a NaN loss as progress),</li>
 *   <li>{@link ProgressBar} ({@link FitConfig#progress()}),</li>
 *   <li>{@link EpochLog},</li>
 *   <li>{@link EarlyStopping} ({@link FitConfig#patience()}, {@link FitConfig#minDelta()}),</li>
 *   <li>{@link JobEvents} (machine-readable events, where the loop has an {@link EventSink}),</li>
 *   <li>with an {@link FitConfig#outDir()}: when {@link Builder#checkpoint} was given, {@link Checkpointer}
 *       (at epoch ends and every {@link FitConfig#checkpointEverySteps()} / {@link FitConfig#checkpointEvery()}),
 *       then {@link MetricsFile} and {@link LossCurve}, so that the metrics never run ahead of the checkpoint.</li>
 * </ol>
 */
public final class StandardListeners {
    private StandardListeners() {}

    public static Builder builder(FitConfig cfg, Consumer<String> log) {
        return new Builder(cfg, log);
    }

    /** A neutral epoch line: {@code epoch 3/10  train 0.12345  val 0.12456  1,234 samples/s  2.1s}. */
    public static String defaultLine(EpochMetrics m, int epochs) {
        return String.format(Locale.ROOT, "epoch %d/%d  train %.5f%s  %,.0f samples/s  %.1fs", m.epoch(), epochs, m.trainLoss(),
                Double.isNaN(m.valLoss()) ? "" : String.format(Locale.ROOT, "  val %.5f", m.valLoss()), m.samplesPerSecond(), m.seconds());
    }

    public static final class Builder {
        private final FitConfig cfg;
        private final Consumer<String> log;
        private PrintStream progressOut = System.err;
        private EpochLog.Format line = StandardListeners::defaultLine;
        private DoubleFunction<String> advice;
        private String curveTitle = "loss per epoch";
        private String curveLossLabel;
        private ParameterStore params;
        private Map<String, Object> model;
        private Optimizer optimizer;
        private Supplier<Map<String, Object>> config;

        private Builder(FitConfig cfg, Consumer<String> log) {
            this.cfg = cfg;
            this.log = log;
        }

        /** Where the progress bar is drawn (standard error by default). */
        public Builder progressOut(PrintStream out) { this.progressOut = out; return this; }

        public Builder epochLine(EpochLog.Format f) { this.line = f; return this; }

        /** What the divergence message advises, given the learning rate (default: the train command's advice). */
        public Builder divergenceAdvice(DoubleFunction<String> a) { this.advice = a; return this; }

        public Builder curveTitle(String t) { this.curveTitle = t; return this; }

        /** The loss axis label of loss.png (what the loss is); default "loss". */
        public Builder curveLossLabel(String l) { this.curveLossLabel = l; return this; }

        /**
         * Checkpoints into {@link FitConfig#outDir()} after every epoch (and inside epochs as the config says).
         *
         * @param model  the description stored in the weights files (a model spec)
         * @param config the content of config.json
         */
        public Builder checkpoint(ParameterStore params, Map<String, Object> model, Optimizer optimizer, Supplier<Map<String, Object>> config) {
            this.params = params;
            this.model = model;
            this.optimizer = optimizer;
            this.config = config;
            return this;
        }

        public List<TrainingListener> build() {
            List<TrainingListener> ls = new ArrayList<>();
            ls.add(advice == null ? new DivergenceGuard() : new DivergenceGuard(advice));
            ls.add(new ProgressBar(progressOut, cfg.progress()));
            ls.add(new EpochLog(log, line));
            ls.add(new EarlyStopping(cfg.patience(), cfg.minDelta(), log));
            ls.add(new JobEvents());
            Path dir = cfg.outDir();
            if (dir != null) {
                if (params != null) {
                    ls.add(new Checkpointer(dir, params, model, optimizer, config, cfg.patience() > 0, cfg.restoreBest(), log)
                            .every(cfg.checkpointEverySteps(), cfg.checkpointEvery()));
                }
                ls.add(new MetricsFile(dir, cfg.metricsFormat()));
                ls.add(new LossCurve(dir, curveTitle, curveLossLabel, log));
            }
            return ls;
        }
    }
}
