package dev.bottleneck.train;

import java.util.function.Consumer;

/** Logs one line per finished epoch, worded by the model's own {@link Format}. */
public final class EpochLog implements TrainingListener {
    /** Words an epoch's line. */
    @FunctionalInterface
    public interface Format {
        /** @param epochs the number of epochs the fit trains up to */
        String line(EpochMetrics m, int epochs);
    }

    private final Consumer<String> log;
    private final Format format;

    public EpochLog(Consumer<String> log, Format format) {
        this.log = log;
        this.format = format;
    }

    @Override
    public void onEpochEnd(LoopContext ctx, EpochMetrics m) {
        log.accept(format.line(m, ctx.epochs()));
    }
}
