package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.io.Json;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Rewrites the per-epoch metrics file after every epoch with the whole history (resumed epochs included):
 * {@code metrics.csv} with a header row, or {@code metrics.jsonl} with one JSON object per epoch. A resumed fit
 * rewrites it at its start, so that it matches the checkpoint it continues.
 */
public final class MetricsFile implements TrainingListener {
    public static final String CSV = "metrics.csv";
    public static final String JSONL = "metrics.jsonl";
    public static final String CSV_HEADER = "epoch,train_loss,val_loss,lr,samples_per_s,seconds,mean_code_activation";

    private final Path dir;
    private final String format;

    /** @param format {@code csv} or {@code jsonl} */
    public MetricsFile(Path dir, String format) {
        if (!format.equals("csv") && !format.equals("jsonl")) throw new BottleneckException("metrics format must be csv or jsonl, got " + format);
        this.dir = dir;
        this.format = format;
    }

    /** A resumed run rewrites the file from the checkpoint's history (it may have been written before or after it). */
    @Override
    public void onFitStart(LoopContext ctx) {
        if (ctx.state().resumedFrom != null && !ctx.state().history.isEmpty()) write(dir, format, ctx.state().history);
    }

    @Override
    public void onEpochEnd(LoopContext ctx, EpochMetrics m) {
        write(dir, format, ctx.state().history);
    }

    static void write(Path dir, String format, List<EpochMetrics> history) {
        StringBuilder b = new StringBuilder();
        if (format.equals("jsonl")) {
            for (EpochMetrics e : history) b.append(Json.writeCompact(e.toMap())).append('\n');
            AtomicFiles.writeString(dir.resolve(JSONL), b.toString());
        } else {
            b.append(CSV_HEADER).append('\n');
            for (EpochMetrics e : history) {
                b.append(String.format(Locale.ROOT, "%d,%.8g,%s,%.6g,%.1f,%.3f,%s%n", e.epoch(), e.trainLoss(),
                        Double.isNaN(e.valLoss()) ? "" : String.format(Locale.ROOT, "%.8g", e.valLoss()), e.lr(),
                        e.samplesPerSecond(), e.seconds(),
                        Double.isNaN(e.meanCodeActivation()) ? "" : String.format(Locale.ROOT, "%.6g", e.meanCodeActivation())));
            }
            AtomicFiles.writeString(dir.resolve(CSV), b.toString());
        }
    }
}
