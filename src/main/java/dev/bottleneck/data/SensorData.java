package dev.bottleneck.data;

import java.nio.file.Path;
import java.util.Set;

/**
 * The Suthaharan et al. single-hop wireless sensor series (CC-BY-4.0), installed by
 * {@code scripts/fetch-data.sh --only sensor} into {@code <cache>/sensor/data.csv}: columns
 * {@code reading,mote_id,indoor,humidity,temperature,label}; {@code reading} counts each mote's observations.
 */
public final class SensorData {
    private SensorData() {}

    /** The data-set name the CLI accepts for it. */
    public static final String NAME = "sensor";

    public static Path path() {
        return DataSources.cacheDir().resolve("sensor").resolve("data.csv");
    }

    /** Per mote, ordered by reading; humidity and temperature are the features; label 1 marks anomalies. */
    public static TimeSeriesReader.Options options() {
        return TimeSeriesReader.Options.defaults().withTimestamp("reading").withGroup("mote_id").withLabel("label")
                .withSkip(Set.of("indoor"));
    }
}
