package dev.bottleneck.cli;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.IdxFixtures;
import dev.bottleneck.testing.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bottleneck export}: the score graph run by ONNX Runtime gives the numbers {@code bottleneck detect} writes
 * (scores.csv, to its 6 significant digits, and the same flags), with raw inputs, for an image model and for a table
 * model whose min-max scaling is inside the graph; and its errors are one-line messages.
 */
class ExportCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    /** The shared {@link CliRun}, under the name these tests use. */
    static final class Run extends CliRun {
        Run(String... args) { super(args); }
    }

    static Run run(String... args) { return new Run(args); }

    @Test
    void imageScoresMatchDetect(@TempDir Path tmp) throws Exception {
        Path data = IdxFixtures.writeDigitsFolder(tmp.resolve("data"), 600, 100, 12);
        Path model = tmp.resolve("model");
        assertEquals(0, run("train", data.toString(), "--model", "144-24-8", "--epochs", "2", "--batch", "50", "--out", model.toString(),
                "--backend", "cpu", "--pictures", "0").rc);
        Path det = tmp.resolve("det");
        Run d = run("detect", model.toString(), "--out", det.toString(), "--backend", "cpu", "--top", "0");
        assertEquals(0, d.rc, d.err);

        for (String part : List.of("encoder", "decoder", "autoencoder")) {
            Run e = run("export", model.toString(), "--format", "onnx", "--out", tmp.resolve(part + ".onnx").toString(), "--part", part,
                    "--backend", "cpu", "--json");
            assertEquals(0, e.rc, e.err);
            assertEquals(17, e.json().get("opset").asInt());
            assertEquals(part, e.json().get("part").asText());
        }
        Path onnx = tmp.resolve("score.onnx");
        Run e = run("export", model.toString(), "--out", onnx.toString(), "--part", "score", "--threshold", det.resolve("report.json").toString(),
                "--backend", "cpu", "--json");
        assertEquals(0, e.rc, e.err);
        double threshold = JSON.readTree(Files.readString(det.resolve("report.json"))).get("threshold").asDouble();
        assertEquals(threshold, e.json().get("threshold").asDouble(), 0.0);
        // the rule computed by export itself is the one detect chose
        Run rule = run("export", model.toString(), "--out", tmp.resolve("p99.onnx").toString(), "--part", "score", "--threshold", "p99",
                "--backend", "cpu", "--json");
        assertEquals(0, rule.rc, rule.err);
        assertEquals(threshold, rule.json().get("threshold").asDouble(), 1e-12 * threshold);

        Dataset test = DataSources.resolve(data.toString(), null, null, 42).test();
        assertScoresMatch(onnx, test, det.resolve("scores.csv"), threshold);
    }

    @Test
    void tableRowsAreScoredFromRawValues(@TempDir Path tmp) throws Exception {
        Path csv = tmp.resolve("sensor.csv");
        StringBuilder b = new StringBuilder("humidity,temperature,voltage,label\n");
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 600; i++) {
            boolean odd = i % 40 == 7;
            double h = 40 + 10 * r.nextDouble(), t = 20 + 0.3 * (h - 40) + r.nextDouble() + (odd ? 15 : 0), v = 2.6 + 0.1 * r.nextDouble();
            b.append(String.format(Locale.ROOT, "%.2f,%.2f,%.3f,%d%n", h, t, v, odd ? 1 : 0));
        }
        Files.writeString(csv, b.toString());
        Path model = tmp.resolve("model");
        Run t = run("train", csv.toString(), "--csv-label", "label", "--scale", "minmax", "--model", "3-8-2", "--epochs", "5",
                "--batch", "32", "--out", model.toString(), "--backend", "cpu");
        assertEquals(0, t.rc, t.err);
        Path det = tmp.resolve("det");
        Run d = run("detect", model.toString(), "--out", det.toString(), "--backend", "cpu", "--fpr", "0.05");
        assertEquals(0, d.rc, d.err);
        Path onnx = tmp.resolve("score.onnx");
        Run e = run("export", model.toString(), "--out", onnx.toString(), "--part", "score", "--threshold", "fpr:0.05", "--backend", "cpu",
                "--json");
        assertEquals(0, e.rc, e.err);
        assertEquals("minmax", e.json().get("input_scaling").asText());
        double threshold = JSON.readTree(Files.readString(det.resolve("report.json"))).get("threshold").asDouble();
        assertEquals(threshold, e.json().get("threshold").asDouble(), 1e-12);
        // the raw rows of the test split, as detect read them (same file, options and seed)
        Dataset test = DataSources.loadCsv(csv, CsvReader.options().labelColumn("label").build(), 42).test();
        assertTrue(test.x()[0] > 1, "raw humidity values, not scaled ones");
        assertScoresMatch(onnx, test, det.resolve("scores.csv"), threshold);
    }

    @Test
    void scoreAndTheOnnxScorerGiveTheSameNumbersOnANewTable(@TempDir Path tmp) throws Exception {
        Path train = tmp.resolve("orders.csv"), fresh = tmp.resolve("new-orders.csv"), model = tmp.resolve("m"), det = tmp.resolve("det");
        Files.writeString(train, ScoreCommandTest.table(400, 1, true));
        Files.writeString(fresh, ScoreCommandTest.table(150, 3, false));
        assertEquals(0, run("train", train.toString(), "--csv-label", "kind", "--id-column", "order_id", "--scale", "standard",
                "--model", "3-8-2:linear", "--output-activation", "linear", "--loss", "mse", "--lr", "0.01", "--epochs", "20",
                "--batch", "32", "--out", model.toString(), "--backend", "cpu").rc);
        Run d = run("detect", model.toString(), "--out", det.toString(), "--backend", "cpu");
        assertEquals(0, d.rc, d.err);
        Path onnx = tmp.resolve("score.onnx");
        Run e = run("export", model.toString(), "--out", onnx.toString(), "--part", "score", "--threshold", det.resolve("report.json").toString(),
                "--backend", "cpu", "--json");
        assertEquals(0, e.rc, e.err);
        assertEquals("standard", e.json().get("input_scaling").asText());
        Path scores = tmp.resolve("scores.csv");
        Run s = run("score", model.toString(), fresh.toString(), "--out", scores.toString(), "--backend", "cpu", "--json");
        assertEquals(0, s.rc, s.err);
        double threshold = s.json().get("threshold").asDouble();
        assertEquals(e.json().get("threshold").asDouble(), threshold, 0.0, "both use the threshold detect chose");
        // the new file's rows as written: the ONNX graph scales them itself
        Dataset rows = CsvReader.read(fresh, CsvReader.options().idColumn("order_id").build()).dataset();
        assertScoresMatch(onnx, rows, scores, threshold, 1e-5 * threshold);
    }

    @Test
    void scoreAndTheOnnxScorerGiveTheSameNumbersOnANewImageFolder(@TempDir Path tmp) throws Exception {
        Path pics = ScoreCommandTest.pictures(tmp.resolve("pics"), 50, 1), model = tmp.resolve("m"), det = tmp.resolve("det");
        assertEquals(0, run("train", pics.toString(), "--model", "64-16-4", "--epochs", "4", "--batch", "16", "--out", model.toString(),
                "--backend", "cpu", "--pictures", "0").rc);
        Run d = run("detect", model.toString(), "--out", det.toString(), "--backend", "cpu", "--top", "0");
        assertEquals(0, d.rc, d.err);
        Path onnx = tmp.resolve("score.onnx");
        Run e = run("export", model.toString(), "--out", onnx.toString(), "--part", "score", "--threshold", det.resolve("report.json").toString(),
                "--backend", "cpu");
        assertEquals(0, e.rc, e.err);
        Path fresh = ScoreCommandTest.pictures(tmp.resolve("new"), 10, 7, List.of("bars", "blank", "noise"));
        Path scores = tmp.resolve("scores.csv");
        Run s = run("score", model.toString(), fresh.toString(), "--out", scores.toString(), "--backend", "cpu", "--json");
        assertEquals(0, s.rc, s.err);
        Dataset images = dev.bottleneck.data.ImageFolderReader.read(fresh, new dev.bottleneck.data.ImageFolderReader.Options(1, 8, 8)).dataset();
        assertScoresMatch(onnx, images, scores, s.json().get("threshold").asDouble());
        List<String> lines = Files.readAllLines(scores);
        assertTrue(lines.get(11).startsWith("10,blank/img000.png,blank,"), lines.get(11));
    }

    /** Runs every sample through the exported scorer and compares with the score column of detect's or score's CSV. */
    private static void assertScoresMatch(Path onnx, Dataset test, Path scoresCsv, double threshold) throws Exception {
        assertScoresMatch(onnx, test, scoresCsv, threshold, 0);
    }

    /**
     * As above, also allowing {@code absolute} between the two: z-scoring inside the graph in float32 (x - mean, then
     * divided) rounds the inputs differently from the float64 scaling of Bottleneck's readers, by about 1e-7 of each
     * scaled value, which moves the reconstruction errors by that much in absolute terms (a few parts in a million of
     * the threshold, far more relative to a score near 0).
     */
    private static void assertScoresMatch(Path onnx, Dataset test, Path scoresCsv, double threshold, double absolute) throws Exception {
        List<String> rows = Files.readAllLines(scoresCsv);
        List<String> head = List.of(rows.get(0).split(","));
        int errCol = head.contains("error") ? head.indexOf("error") : head.indexOf("score"), flagCol = head.indexOf("flag");
        assertEquals(test.n() + 1, rows.size());
        try (OrtSession s = ENV.createSession(onnx.toString(), new OrtSession.SessionOptions());
             OnnxTensor x = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(test.x()), new long[] {test.n(), test.features()});
             OrtSession.Result r = s.run(Map.of("input", x))) {
            float[] score = (float[]) r.get("score").get().getValue();
            boolean[] anomaly = (boolean[]) r.get("anomaly").get().getValue();
            int flagged = 0;
            for (int i = 0; i < test.n(); i++) {
                String[] c = rows.get(i + 1).split(",");
                double want = Double.parseDouble(c[errCol]);
                // scores.csv holds 6 significant digits: equal up to their rounding (plus float32's own 1e-6)
                double digit = Math.pow(10, Math.floor(Math.log10(want)) - 5);
                assertEquals(want, score[i], 0.5 * digit + 1e-6 * want + absolute, "sample " + i + ": ONNX " + score[i] + ", detect " + c[errCol]);
                if (Math.abs(score[i] - threshold) > 1e-5 * threshold) assertEquals(c[flagCol].equals("1"), anomaly[i], "flag of sample " + i);
                if (anomaly[i]) flagged++;
            }
            assertTrue(flagged > 0, "nothing flagged");
        }
    }

    @Test
    void errorsAreOneLineMessages(@TempDir Path tmp) throws Exception {
        Path data = IdxFixtures.writeDigitsFolder(tmp.resolve("data"), 200, 50, 8);
        Path model = tmp.resolve("model");
        Run t = run("train", data.toString(), "--model", "64-8", "--epochs", "1", "--batch", "50", "--out", model.toString(), "--backend", "cpu",
                "--pictures", "0");
        assertEquals(0, t.rc, t.err);
        String out = tmp.resolve("m.onnx").toString();
        expectError("unknown --format 'tflite'", "export", model.toString(), "--format", "tflite", "--out", out);
        expectError("unknown --part 'middle'", "export", model.toString(), "--out", out, "--part", "middle");
        expectError("--threshold is for --part score only", "export", model.toString(), "--out", out, "--threshold", "0.1");
        expectError("no such file", "export", model.toString(), "--out", out, "--part", "score", "--threshold", tmp.resolve("none.json").toString());
        Files.writeString(tmp.resolve("bad.json"), "{\"flagged\": 3}");
        expectError("has no numeric 'threshold'", "export", model.toString(), "--out", out, "--part", "score", "--threshold",
                tmp.resolve("bad.json").toString());
        expectError("is not a number, a detect report.json or a rule", "export", model.toString(), "--out", out, "--part", "score",
                "--threshold", "top-5");
        expectError("must be a finite number", "export", model.toString(), "--out", out, "--part", "score", "--threshold", "NaN");
        expectError("is a folder", "export", model.toString(), "--out", tmp.toString());
        expectError("no model in", "export", tmp.resolve("nothing").toString(), "--out", out);
        Run missing = run("export", model.toString());
        assertEquals(2, missing.rc);
        assertTrue(missing.err.contains("--out"), missing.err);
        assertTrue(Files.notExists(Path.of(out)), "nothing written on errors");
    }

    private static void expectError(String part, String... args) {
        Run r = run(args);
        assertEquals(1, r.rc, r.err);
        assertTrue(r.err.contains(part), r.err);
        List<String> lines = r.err.lines().filter(l -> l.startsWith("error:")).toList();
        assertEquals(1, lines.size(), r.err);
    }
}
