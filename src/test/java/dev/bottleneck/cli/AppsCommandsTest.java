package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.apps.AnomalyScoring;
import dev.bottleneck.apps.OneClass;
import dev.bottleneck.apps.Ranking;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.Backends;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.testing.CliRun;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The application commands (detect MODEL_DIR, one-class, inpaint, impute, index/search, encode .npy, plot-latent, probe,
 * cluster, compress/decompress) end to end on real MNIST: a small dense model trained once on 3,000 images.
 */
class AppsCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path tmp;
    static Path model;

    /** The shared {@link CliRun}, under the name these tests use. */
    static final class Run extends CliRun {
        Run(String... args) { super(args); }
    }

    static Run run(String... args) { return new Run(args); }

    static boolean mnistInstalled() {
        try {
            DataSources.resolve("mnist", null, null, 42);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @BeforeAll
    static void train() {
        assumeTrue(mnistInstalled(), "MNIST is not installed; run scripts/fetch-data.sh");
        model = tmp.resolve("m");
        Run t = run("train", "mnist", "--model", "784-64-16", "--limit", "3000", "--epochs", "3", "--validation", "0.1",
                "--batch", "64", "--out", model.toString(), "--backend", "cpu");
        assertEquals(0, t.rc, t.err);
    }

    @Test
    void trainingWritesALossCurve() throws Exception {
        var img = ImageIO.read(model.resolve("loss.png").toFile());
        assertNotNull(img);
        assertEquals(640, img.getWidth());
    }

    @Test
    void detectScoresImagesAndReportsConsistentMetrics() throws Exception {
        Path out = tmp.resolve("det");
        Run r = run("detect", model.toString(), "--normal-labels", "1", "--fpr", "0.05", "--out", out.toString(), "--json", "--backend", "cpu");
        assertEquals(0, r.rc, r.err);
        JsonNode j = r.json();
        // recompute ROC-AUC and AP from scores.csv: the reported numbers must match
        List<String> lines = Files.readAllLines(out.resolve("scores.csv"));
        assertEquals("index,label,anomaly,error,flag", lines.get(0));
        assertEquals(10001, lines.size());
        double[] s = new double[10000];
        int[] y = new int[10000];
        int flagged = 0;
        for (int i = 0; i < 10000; i++) {
            String[] p = lines.get(i + 1).split(",");
            y[i] = Integer.parseInt(p[2]);
            assertEquals(p[1].equals("1") ? 0 : 1, y[i]);
            s[i] = Double.parseDouble(p[3]);
            flagged += Integer.parseInt(p[4]);
            assertEquals(s[i] > j.get("threshold").asDouble() ? 1 : 0, Integer.parseInt(p[4]));
        }
        assertEquals(flagged, j.get("flagged").asInt());
        assertEquals(Ranking.rocAuc(s, y), j.get("roc_auc").asDouble(), 1e-4);
        assertEquals(Ranking.averagePrecision(s, y), j.get("pr_auc").asDouble(), 1e-3);
        assertTrue(j.get("roc_auc").asDouble() > 0.8, "digit 1 reconstructs best: " + j);
        assertEquals(0.05, j.get("validation_flagged_fraction").asDouble(), 0.02, "the threshold meets the target FPR on validation");
        assertEquals(flagged + 1, Files.readAllLines(out.resolve("flagged.csv")).size());
        assertNotNull(ImageIO.read(out.resolve("errors.png").toFile()));
        // one-line error for a data set that does not fit the model
        Run bad = run("detect", tmp.resolve("nope").toString(), "--out", out.toString());
        assertEquals(1, bad.rc);
        assertTrue(bad.err.startsWith("error: "), bad.err);
    }

    @Test
    void oneClassOnDigitOne() {
        TrainTest tt = DataSources.resolve("mnist", null, null, 42);
        try (Backend be = Backends.create("cpu", new BackendOptions(DType.F32, false, 0), s -> { })) {
            OneClass.ClassResult c = OneClass.runClass(be, tt.train(), tt.test().head(2000, "t"), 1,
                    new OneClass.Config(() -> ModelSpec.parse("784-64-16", 784), 2, 64, 1e-3, 42, 1500), s -> { });
            assertEquals(1500, c.trainSamples());
            assertTrue(c.rocAuc() > 0.95, "ROC-AUC " + c.rocAuc());
        }
        assertEquals(0, AnomalyScoring.anomalyLabels(new int[] {3}, Set.of(3))[0]);
    }

    @Test
    void inpaintingBeatsTheMeanFillOnRandomPixels() throws Exception {
        Path png = tmp.resolve("inp.png");
        Run r = run("inpaint", model.toString(), "--random", "0.5", "--limit", "300", "--iterations", "10", "--out", png.toString(), "--json",
                "--backend", "cpu");
        assertEquals(0, r.rc, r.err);
        JsonNode j = r.json();
        assertEquals(0.5, j.get("masked_fraction").asDouble(), 0.02);
        assertTrue(j.get("mse_masked_filled").asDouble() < j.get("mse_masked_mean_fill").asDouble(), j.toString());
        var img = ImageIO.read(png.toFile());
        assertTrue(img.getHeight() > 3 * 28 * 3 - 1, "three rows");
        Run bad = run("inpaint", model.toString(), "--rect", "20,20,10,10");
        assertEquals(1, bad.rc);
        assertTrue(bad.err.contains("does not fit"), bad.err);
    }

    @Test
    void indexAndSearch() throws Exception {
        Path idx = tmp.resolve("idx.safetensors");
        Run i = run("index", model.toString(), "--split", "train", "--limit", "2000", "--out", idx.toString(), "--backend", "cpu");
        assertEquals(0, i.rc, i.err);
        Path strip = tmp.resolve("strip.png");
        Run s = run("search", idx.toString(), "--query", "3", "--k", "5", "--out", strip.toString(), "--eval", "200", "--json", "--backend", "cpu");
        assertEquals(0, s.rc, s.err);
        JsonNode j = s.json();
        assertEquals(5, j.get("neighbours").size());
        double prev = -1;
        for (JsonNode h : j.get("neighbours")) {
            assertTrue(h.get("distance").asDouble() >= prev);
            prev = h.get("distance").asDouble();
        }
        assertTrue(j.get("precision_at_k_codes").asDouble() > 0.6, j.toString());
        assertTrue(j.get("precision_at_k_raw").asDouble() > 0.6, j.toString());
        assertEquals(6 * 28 * 3 + 5 * 2, ImageIO.read(strip.toFile()).getWidth(), 12);
    }

    @Test
    void encodeNpyPlotProbeCluster() throws Exception {
        Path npy = tmp.resolve("codes.npy");
        Run e = run("encode", model.toString(), "--out", npy.toString(), "--limit", "50", "--backend", "cpu");
        assertEquals(0, e.rc, e.err);
        byte[] b = Files.readAllBytes(npy);
        int hl = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        assertTrue(new String(b, 10, hl).contains("'shape': (50, 16)"));
        assertEquals(10 + hl + 50 * 16 * 4, b.length);
        byte[] lab = Files.readAllBytes(tmp.resolve("codes.labels.npy"));
        assertEquals(7, ByteBuffer.wrap(lab, 128, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(), "first MNIST test label is 7");

        Path png = tmp.resolve("latent.png");
        Run p = run("plot-latent", model.toString(), "--out", png.toString(), "--limit", "500", "--json", "--backend", "cpu");
        assertEquals(0, p.rc, p.err);
        assertTrue(p.json().get("pca").asBoolean());
        assertNotNull(ImageIO.read(png.toFile()));

        Run pr = run("probe", model.toString(), "--train-limit", "1000", "--test-limit", "500", "--epochs", "10", "--json", "--backend", "cpu");
        assertEquals(0, pr.rc, pr.err);
        JsonNode pj = pr.json();
        assertTrue(pj.get("code_accuracy").asDouble() > 0.4, pj.toString()); // chance is 0.1; a 3-epoch 16-d code
        assertTrue(pj.get("raw_accuracy").asDouble() > 0.7, pj.toString());

        Run c = run("cluster", model.toString(), "--limit", "500", "--json", "--backend", "cpu");
        assertEquals(0, c.rc, c.err);
        JsonNode cj = c.json();
        for (String k : List.of("code_purity", "code_nmi", "raw_purity", "raw_nmi")) {
            assertTrue(cj.get(k).asDouble() > 0.2 && cj.get(k).asDouble() <= 1, k + " " + cj);
        }
    }

    @Test
    void compressAndDecompress() throws Exception {
        Path bin = tmp.resolve("c.bin");
        Run c = run("compress", model.toString(), "--format", "u8", "--limit", "200", "--out", bin.toString(), "--json", "--backend", "cpu");
        assertEquals(0, c.rc, c.err);
        JsonNode j = c.json();
        assertEquals(17 + 8 * 16 + 200 * 16, Files.size(bin));
        assertEquals(8.0 * Files.size(bin) / 200, j.get("bits_per_sample").asDouble(), 1e-9);
        assertEquals(784 * 8 / j.get("bits_per_sample").asDouble(), j.get("ratio_vs_raw_8bit").asDouble(), 1e-9);
        assertTrue(j.get("ratio_vs_png").asDouble() > 1, j.toString());
        // 8-bit codes lose little against float codes
        assertEquals(j.get("psnr_db_float_codes").asDouble(), j.get("psnr_db").asDouble(), 0.5);
        assertTrue(j.get("psnr_db").asDouble() > 12, j.toString());
        Path png = tmp.resolve("restored.png");
        Run d = run("decompress", model.toString(), bin.toString(), "--out", png.toString(), "--count", "20", "--json", "--backend", "cpu");
        assertEquals(0, d.rc, d.err);
        assertEquals(j.get("psnr_db").asDouble(), d.json().get("psnr_db").asDouble(), 1e-6);
        assertNotNull(ImageIO.read(png.toFile()));
    }

    @Test
    void imputeHiddenCellsAndAFileWithHoles() throws Exception {
        // a CSV of 5 real test images with holes: empty, NA and NaN cells
        var test = DataSources.resolve("mnist", null, null, 42).test();
        StringBuilder b = new StringBuilder();
        for (int j = 0; j < 784; j++) b.append(j == 0 ? "" : ",").append('p').append(j);
        b.append('\n');
        int holes = 0;
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 784; j++) {
                if (j > 0) b.append(',');
                if ((i * 784 + j) % 4 == 0) {
                    b.append(new String[] {"", "NA", "NaN"}[j % 3]);
                    holes++;
                } else {
                    b.append(test.x()[i * 784 + j]);
                }
            }
            b.append('\n');
        }
        Path holesCsv = tmp.resolve("holes.csv"), filled = tmp.resolve("filled.csv");
        Files.writeString(holesCsv, b.toString());
        var table = dev.bottleneck.data.MissingCsv.read(holesCsv, Set.of());
        assertEquals(holes, table.missingCount());
        assertEquals(5, table.rows());
        Run r = run("impute", model.toString(), "--hide", "0.3", "--csv", holesCsv.toString(), "--out", filled.toString(), "--json",
                "--backend", "cpu");
        assertEquals(0, r.rc, r.err);
        JsonNode j = r.json();
        assertEquals(holes, j.get("imputed_cells").asInt());
        assertTrue(j.get("mse_scaled_model").asDouble() < j.get("mse_scaled_column_mean").asDouble(), j.toString());
        List<String> lines = Files.readAllLines(filled);
        assertEquals(6, lines.size());
        for (String l : lines.subList(1, 6)) {
            String[] cells = l.split(",");
            assertEquals(784, cells.length);
            for (String c : cells) assertTrue(Double.isFinite(Double.parseDouble(c)), c);
        }
        // the default reader's errors are unchanged: a hole is still an error there
        Run t = run("train", holesCsv.toString(), "--model", "784-8", "--epochs", "1", "--out", tmp.resolve("x").toString());
        assertNotEquals(0, t.rc);
        // and the missing-cell reader names the line and column of a bad cell
        Files.writeString(tmp.resolve("bad.csv"), "a,b\n1,\nx,2\n");
        var e = assertThrows(dev.bottleneck.BottleneckException.class,
                () -> dev.bottleneck.data.MissingCsv.read(tmp.resolve("bad.csv"), Set.of()));
        assertTrue(e.getMessage().contains(":3: column 'a'"), e.getMessage());
    }
}
