package dev.bottleneck.train;

import dev.bottleneck.io.Json;
import java.util.Map;

/**
 * One epoch's numbers. Losses are sample-weighted means over the epoch; {@code valLoss} is NaN without a
 * validation split.
 */
public record EpochMetrics(int epoch, double trainLoss, double valLoss, double lr, double samplesPerSecond,
                           double seconds, double meanCodeActivation) {
    /** Without a measured code activation (NaN). */
    public EpochMetrics(int epoch, double trainLoss, double valLoss, double lr, double samplesPerSecond, double seconds) {
        this(epoch, trainLoss, valLoss, lr, samplesPerSecond, seconds, Double.NaN);
    }

    public Map<String, Object> toMap() {
        return Json.object("epoch", epoch, "train_loss", trainLoss, "val_loss", Double.isNaN(valLoss) ? null : valLoss,
                "lr", lr, "samples_per_s", samplesPerSecond, "seconds", seconds,
                "mean_code_activation", Double.isNaN(meanCodeActivation) ? null : meanCodeActivation);
    }

    public static EpochMetrics fromMap(Map<String, Object> m) {
        Object v = m.get("val_loss");
        return new EpochMetrics(((Number) m.get("epoch")).intValue(), ((Number) m.get("train_loss")).doubleValue(),
                v == null ? Double.NaN : ((Number) v).doubleValue(), ((Number) m.get("lr")).doubleValue(),
                ((Number) m.get("samples_per_s")).doubleValue(), ((Number) m.get("seconds")).doubleValue(),
                m.get("mean_code_activation") instanceof Number ? ((Number) m.get("mean_code_activation")).doubleValue() : Double.NaN);
    }
}
