package dev.bottleneck.train;

import dev.bottleneck.io.LossCurvePlot;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Redraws {@code loss.png} (training and validation loss per epoch) after every epoch. On a Java runtime without
 * the {@code java.desktop} module it says so once and carries on without the picture.
 */
public final class LossCurve implements TrainingListener {
    public static final String FILE = "loss.png";

    private final Path dir;
    private final String title;
    private final String lossLabel;
    private final Consumer<String> log;
    private boolean unavailable;

    public LossCurve(Path dir, String title, Consumer<String> log) {
        this(dir, title, null, log);
    }

    /** {@code lossLabel} labels the loss axis (what the loss is, e.g. "bce, mean per value"); null: "loss". */
    public LossCurve(Path dir, String title, String lossLabel, Consumer<String> log) {
        this.dir = dir;
        this.title = title;
        this.lossLabel = lossLabel;
        this.log = log;
    }

    @Override
    public void onEpochEnd(LoopContext ctx, EpochMetrics m) {
        if (unavailable) return;
        try {
            LossCurvePlot.write(dir.resolve(FILE), ctx.state().history.stream().mapToDouble(EpochMetrics::trainLoss).toArray(),
                    ctx.state().history.stream().mapToDouble(EpochMetrics::valLoss).toArray(), title, lossLabel);
        } catch (LinkageError e) { // a runtime without java.desktop (the slim GPU bundle)
            unavailable = true;
            log.accept("note: " + FILE + " not drawn: this Java runtime lacks the java.desktop module (" + e.getMessage() + ")");
        }
    }
}
