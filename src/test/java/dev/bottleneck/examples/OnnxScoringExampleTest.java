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
 * The README's ONNX walk-through on real MNIST, shortened to one epoch on 3,000 images: train, detect, export the
 * scorer with detect's threshold, then {@link OnnxScoring} (ONNX Runtime only) prints, for test images read straight
 * from the IDX file, the score and flag that {@code detect} wrote in scores.csv.
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
        Path model = tmp.resolve("w1"), det = tmp.resolve("w1-detect"), onnx = tmp.resolve("w1-score.onnx");
        cli("train", "mnist", "--model", "w1", "--epochs", "1", "--limit", "3000", "--out", model.toString(), "--backend", "cpu",
                "--pictures", "0");
        cli("detect", model.toString(), "--train-limit", "3000", "--out", det.toString(), "--backend", "cpu", "--top", "0");
        cli("export", model.toString(), "--format", "onnx", "--out", onnx.toString(), "--part", "score",
                "--threshold", det.resolve("report.json").toString(), "--backend", "cpu");

        List<String> rows = Files.readAllLines(det.resolve("scores.csv")); // index,label,error,flag
        for (int i = 0; i < 12; i++) {
            String[] c = rows.get(i + 1).split(",");
            OnnxScoring.Scored s = OnnxScoring.score(onnx, OnnxScoring.idxImage(images, i));
            double want = Double.parseDouble(c[2]), digit = Math.pow(10, Math.floor(Math.log10(want)) - 5);
            assertEquals(want, s.score(), 0.5 * digit + 1e-6 * want, "image " + i + ": printed " + String.format(Locale.ROOT, "%.6g", s.score())
                    + ", scores.csv " + c[2]);
            assertEquals(c[3].equals("1"), s.anomaly(), "flag of image " + i);
        }
        // and an image that detect flagged
        String first = Files.readAllLines(det.resolve("flagged.csv")).get(1);
        int i = Integer.parseInt(first.split(",")[0]);
        OnnxScoring.Scored s = OnnxScoring.score(onnx, OnnxScoring.idxImage(images, i));
        assertTrue(s.anomaly(), "flagged image " + i + " scores " + s.score());
    }

    private static void cli(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int rc = Main.run(new PrintWriter(o), new PrintWriter(e), args);
        assertEquals(0, rc, String.join(" ", args) + ": " + e);
    }
}
