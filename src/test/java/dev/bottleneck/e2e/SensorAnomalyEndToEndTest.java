package dev.bottleneck.e2e;

import dev.bottleneck.anomaly.SeriesDetector;
import dev.bottleneck.anomaly.Threshold;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.RnnGeometry;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.TimeSeries;
import dev.bottleneck.data.TimeSeriesReader;
import dev.bottleneck.model.SequenceSpec;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.train.FitConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Suthaharan wireless sensor series (4 motes, humidity and temperature, 149 rows labelled anomalous), installed
 * by {@code scripts/fetch-data.sh --only sensor}; skipped with the reason when absent. Per mote, the first 35% of the
 * rows train an LSTM autoencoder on windows over time, the next 10% (normal) choose the threshold, and the last 55%
 * (which hold every labelled anomaly) are scored. The autoencoder must beat the per-feature z-score baseline's
 * ROC-AUC computed the same way.
 */
class SensorAnomalyEndToEndTest {
    static Path sensorCsv() {
        Path p = DataSources.cacheDir().resolve("sensor").resolve("data.csv");
        assumeTrue(Files.isRegularFile(p), "sensor data not installed at " + p + "; run scripts/fetch-data.sh --only sensor");
        return p;
    }

    /** The configuration the README table reports (also used by {@code bottleneck detect}'s example). */
    static SeriesDetector.Config config(int epochs) {
        FitConfig fit = new FitConfig().epochs(epochs).batch(64).seed(7).optimizer(OptimizerConfig.adam(3e-3));
        SequenceSpec model = new SequenceSpec("sensor-lstm-ae", 16, 2, RnnGeometry.Cell.LSTM, 32, 1, 8, false, false);
        return new SeriesDetector.Config(16, 4, 0.35, 0.10, Threshold.parse("p99"), model, fit, 7);
    }

    @Test
    void lstmAutoencoderBeatsTheZScoreBaseline() {
        TimeSeries s = TimeSeriesReader.read(sensorCsv(), TimeSeriesReader.Options.defaults()
                .withTimestamp("reading").withGroup("mote_id").withLabel("label").withSkip(Set.of("indoor")));
        Backend be = BackendsUnderTest.get("cpu");
        SeriesDetector.Report r = SeriesDetector.run(s, config(6), be, System.out::println);
        try (var m = r.model()) {
            System.out.println(r.autoencoder().row(Locale.ROOT));
            System.out.println(r.baseline().row(Locale.ROOT));
            assertTrue(r.autoencoder().rocAuc() > r.baseline().rocAuc(), "autoencoder ROC-AUC " + r.autoencoder().rocAuc()
                    + " does not beat the baseline's " + r.baseline().rocAuc());
        }
    }
}
