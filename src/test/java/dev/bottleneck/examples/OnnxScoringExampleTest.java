package dev.bottleneck.examples;

import dev.bottleneck.cli.Main;
import dev.bottleneck.data.DataSources;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's ONNX walk-throughs. On real MNIST, shortened to one epoch on 3,000 images: train, detect (which saves
 * its threshold), export the scorer with detect's threshold, {@code bottleneck score} on the test IDX file, then
 * {@link OnnxScoring} (ONNX Runtime only) prints, for test images read straight from that file, the score and flag
 * that {@code score} wrote in scores.csv. On a table (built here, like the sensor readings): the same with a new CSV
 * file whose rows {@link OnnxScoring#csvRow} reads.
 */
class OnnxScoringExampleTest {
    @Test
    void readmeExampleGivesDetectsNumbers(@TempDir Path tmp) throws Exception {
        Path images;
        try {
            DataSources.resolve("mnist", null, null, 42);
            images = Path.of(System.getProperty("user.home"), ".cache", "bottleneck", "data", "mnist", "t10k-images-idx3-ubyte");
            String env = System.getenv("BOTTLENECK_DATA");
            if (env != null && !env.isBlank()) images = Path.of(env, "mnist", "t10k-images-idx3-ubyte");
        } catch (dev.bottleneck.BottleneckException e) {
            Assumptions.abort("MNIST is not installed: run scripts/fetch-data.sh (CI does)");
            return;
        }
        Path gz = images.resolveSibling(images.getFileName() + ".gz");
        if (!Files.isRegularFile(images) && Files.isRegularFile(gz)) { // the example reads the plain IDX file
            images = tmp.resolve("t10k-images-idx3-ubyte");
            try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(gz))) {
                Files.copy(in, images);
            }
        }
        Assumptions.assumeTrue(Files.isRegularFile(images), "the t10k images are not at " + images);
        Path model = tmp.resolve("w1"), det = tmp.resolve("w1-detect"), onnx = tmp.resolve("w1-score.onnx"), scores = tmp.resolve("scores.csv");
        cli("train", "mnist", "--model", "w1", "--epochs", "1", "--limit", "3000", "--out", model.toString(), "--backend", "cpu",
                "--pictures", "0");
        cli("detect", model.toString(), "--train-limit", "3000", "--out", det.toString(), "--backend", "cpu", "--top", "0");
        cli("export", model.toString(), "--format", "onnx", "--out", onnx.toString(), "--part", "score",
                "--threshold", det.resolve("report.json").toString(), "--backend", "cpu");

        cli("score", model.toString(), images.toString(), "--out", scores.toString(), "--backend", "cpu");
        List<String> rows = Files.readAllLines(scores); // index,label,score,flag
        // an IDX test file scored by 'score' gets the numbers of detect on the test split
        List<String> detected = Files.readAllLines(det.resolve("scores.csv"));
        assertEquals(detected.subList(1, detected.size()), rows.subList(1, rows.size()));
        for (int i = 0; i < 12; i++) {
            String[] c = rows.get(i + 1).split(",");
            OnnxScoring.Scored s = OnnxScoring.score(onnx, OnnxScoring.idxImage(images, i));
            double want = Double.parseDouble(c[2]), digit = Math.pow(10, Math.floor(Math.log10(want)) - 5);
            assertEquals(want, s.score(), 0.5 * digit + 1e-6 * want, "image " + i + ": printed " + String.format(Locale.ROOT, "%.6g", s.score())
                    + ", scores.csv " + c[2]);
            assertEquals(c[3].equals("1"), s.anomaly(), "flag of image " + i);
        }
        // and an image that score flagged
        String first = Files.readAllLines(tmp.resolve("flagged.csv")).get(1);
        int i = Integer.parseInt(first.split(",")[0]);
        OnnxScoring.Scored s = OnnxScoring.score(onnx, OnnxScoring.idxImage(images, i));
        assertTrue(s.anomaly(), "flagged image " + i + " scores " + s.score());
    }

    @Test
    void readmeTableExampleGivesScoresNumbers(@TempDir Path tmp) throws Exception {
        // readings of humidity and temperature (correlated), with a reading number; the new file has no label column
        Path readings = tmp.resolve("readings.csv"), fresh = tmp.resolve("new-readings.csv");
        StringBuilder train = new StringBuilder("reading,humidity,temperature,label\n"), next = new StringBuilder("reading,humidity,temperature\n");
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        for (int i = 0; i < 700; i++) {
            double h = 35 + 15 * r.nextDouble(), t = 40 - 0.4 * h + 0.5 * r.nextDouble();
            boolean odd = i >= 500 && i % 20 == 0;
            if (odd) t += 12;
            String row = String.format(Locale.ROOT, "%d,%.2f,%.2f", i + 1, h, t);
            if (i < 500) train.append(row).append(",0\n"); else next.append(row).append('\n');
        }
        Files.writeString(readings, train.toString());
        Files.writeString(fresh, next.toString());
        Path model = tmp.resolve("sensor"), det = tmp.resolve("sensor-detect"), onnx = tmp.resolve("sensor-score.onnx");
        Path scores = tmp.resolve("sensor-new").resolve("scores.csv");
        cli("train", readings.toString(), "--csv-label", "label", "--id-column", "reading", "--model", "2-8-2", "--loss", "mse",
                "--scale", "minmax", "--lr", "0.01", "--epochs", "20", "--batch", "32", "--out", model.toString(), "--backend", "cpu");
        cli("detect", model.toString(), "--out", det.toString(), "--backend", "cpu");
        cli("export", model.toString(), "--format", "onnx", "--out", onnx.toString(), "--part", "score",
                "--threshold", det.resolve("report.json").toString(), "--backend", "cpu");
        cli("score", model.toString(), fresh.toString(), "--out", scores.toString(), "--backend", "cpu");

        List<String> rows = Files.readAllLines(scores); // index,id,score,flag
        assertEquals("index,id,score,flag", rows.get(0));
        assertEquals(201, rows.size());
        double threshold = new com.fasterxml.jackson.databind.ObjectMapper().readTree(det.resolve("report.json").toFile())
                .get("threshold").asDouble();
        int flagged = 0;
        for (int i = 0; i < 60; i++) {   // a session per row, as in the README: the first 60 rows
            String[] c = rows.get(i + 1).split(",");
            assertEquals(Integer.toString(501 + i), c[1], "the reading number passes through");
            OnnxScoring.Scored s = OnnxScoring.score(onnx, OnnxScoring.csvRow(fresh, i, 1, 2));
            double want = Double.parseDouble(c[2]), digit = Math.pow(10, Math.floor(Math.log10(want)) - 5);
            // float32 scaling in the graph moves the errors by ~1e-7 of the scaled values: within 1e-5 of the threshold
            assertEquals(want, s.score(), 0.5 * digit + 1e-6 * want + 1e-5 * threshold, "row " + i);
            assertEquals(c[3].equals("1"), s.anomaly(), "flag of row " + i);
            if (s.anomaly()) flagged++;
        }
        assertTrue(flagged >= 3, "the 3 odd readings are flagged: " + flagged);
    }

    private static void cli(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int rc = Main.run(new PrintWriter(o), new PrintWriter(e), args);
        assertEquals(0, rc, String.join(" ", args) + ": " + e);
    }
}
