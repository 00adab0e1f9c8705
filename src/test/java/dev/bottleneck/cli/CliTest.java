package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.io.IdxFixtures;
import dev.bottleneck.testing.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The command line, end to end on small real-format data: results, --json, and one-line errors. */
class CliTest {
    /** The shared {@link CliRun}, under the name these tests use. */
    static final class Run extends CliRun {
        Run(String... args) { super(args); }
    }

    static Run run(String... args) { return new Run(args); }

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void trainEvalEncodeReconstructOnIdxFolder(@TempDir Path tmp) throws Exception {
        Path data = IdxFixtures.writeDigitsFolder(tmp.resolve("data"), 600, 100, 12);
        Path out = tmp.resolve("model");
        Run t = run("train", data.toString(), "--model", "144-24-8", "--epochs", "3", "--batch", "50", "--out", out.toString(),
                "--backend", "cpu", "--json");
        assertEquals(0, t.rc, t.err);
        JsonNode r = JSON.readTree(t.lastLine());
        for (String k : List.of("backend", "epochs", "train_loss", "test_loss", "samples_per_s", "model")) assertTrue(r.has(k), "missing " + k);
        assertEquals("cpu", r.get("backend").asText());
        assertEquals(3, r.get("epochs").asInt());
        double testLoss = r.get("test_loss").asDouble();
        assertTrue(testLoss > 0 && testLoss < 0.7, "test loss " + testLoss);
        for (String f : List.of("model.safetensors", "config.json", "optimizer.safetensors", "trainer.json", "metrics.csv", "reconstruction.png")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " not written");
        }
        assertEquals(4, Files.readAllLines(out.resolve("metrics.csv")).size(), "header + 3 epochs");
        BufferedImage img = ImageIO.read(out.resolve("reconstruction.png").toFile());
        assertNotNull(img);
        assertTrue(img.getWidth() > img.getHeight(), "two rows of ten images");

        Run e = run("eval", out.toString(), "--json");
        assertEquals(0, e.rc, e.err);
        JsonNode ev = JSON.readTree(e.lastLine());
        assertEquals(testLoss, ev.get("test_loss").asDouble(), 1e-6, "eval must reproduce the test loss reported by train");
        assertEquals(100, ev.get("samples").asInt());

        Path codes = tmp.resolve("codes.csv");
        Run c = run("encode", out.toString(), "--out", codes.toString());
        assertEquals(0, c.rc, c.err);
        List<String> lines = Files.readAllLines(codes);
        assertEquals(101, lines.size());
        assertEquals("index,label,z0,z1,z2,z3,z4,z5,z6,z7", lines.get(0));

        Path png = tmp.resolve("r.png");
        Run p = run("reconstruct", out.toString(), "--out", png.toString(), "--count", "4");
        assertEquals(0, p.rc, p.err);
        assertNotNull(ImageIO.read(png.toFile()));

        // resume to 5 epochs continues the history
        Run res = run("train", data.toString(), "--model", "144-24-8", "--epochs", "5", "--batch", "50", "--out", out.toString(),
                "--backend", "cpu", "--resume", "--json");
        assertEquals(0, res.rc, res.err);
        assertEquals(5, JSON.readTree(res.lastLine()).get("epochs").asInt());
        assertTrue(res.err.contains("resuming from epoch 3"), res.err);
        assertEquals(6, Files.readAllLines(out.resolve("metrics.csv")).size());
    }

    @Test
    void infoReportsEveryBackendWithReasons() throws Exception {
        Run i = run("info", "--json");
        assertEquals(0, i.rc, i.err);
        JsonNode r = JSON.readTree(i.lastLine());
        assertTrue(r.get("backends").get("cpu").get("available").asBoolean());
        JsonNode cuda = r.get("backends").get("cuda");
        assertNotNull(cuda, "cuda must be listed even where it cannot load");
        if (!cuda.get("available").asBoolean()) {
            assertFalse(cuda.get("reason").asText().isBlank(), "an unavailable backend needs a reason");
        }
        Run h = run("info");
        assertTrue(h.out.contains("cuda"), h.out);
    }

    @Test
    void badInputGivesOneLineErrorsAndNonZeroExit(@TempDir Path tmp) throws Exception {
        Run a = run("train", "mnist", "--epochs", "zero");
        assertEquals(2, a.rc);
        assertTrue(a.err.startsWith("error: Invalid value for option '--epochs'"), a.err);
        assertFalse(a.err.contains("\tat "), "no stack trace");

        Path bad = tmp.resolve("train-images-idx3-ubyte");
        Files.write(bad, new byte[] {0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3});
        Run b = run("train", bad.toString(), "--backend", "cpu");
        assertEquals(1, b.rc);
        assertTrue(b.err.contains("error: ") && b.err.contains("truncated"), b.err);
        assertFalse(b.err.contains("\tat "), "no stack trace");

        Run c = run("eval", tmp.resolve("nothing").toString());
        assertEquals(1, c.rc);
        assertTrue(c.err.contains("config.json not found") || c.err.contains("does not exist"), c.err);

        Run d = run("train", "mnist", "--backend", "tpu", "--data", tmp.toString());
        assertNotEquals(0, d.rc);

        Run e = run("frobnicate");
        assertEquals(2, e.rc);

        Path csv = tmp.resolve("t.csv");
        Files.writeString(csv, "a,b,c\n1,2,3\n4,5\n");
        Run f = run("train", csv.toString(), "--model", "3-2");
        assertEquals(1, f.rc);
        assertTrue(f.err.contains("line 3"), f.err);

        Run g = run("train", IdxFixtures.writeDigitsFolder(tmp.resolve("d2"), 50, 10, 12).toString(), "--model", "784-32", "--backend", "cpu");
        assertEquals(1, g.rc);
        assertTrue(g.err.contains("144"), "shape mismatch should name the data's size: " + g.err);
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : List.of("train", "eval", "encode", "reconstruct", "info")) {
            Run r = run(cmd, "--help");
            assertEquals(0, r.rc, cmd);
            assertTrue(r.out.contains("Usage: bottleneck " + cmd), r.out);
        }
    }

    @Test
    void cudaRequestedWithoutGpuIsAnErrorNamingWhatIsMissing() {
        var avail = dev.bottleneck.backend.Backends.probeAll().get("cuda");
        org.junit.jupiter.api.Assumptions.assumeTrue(avail == null || !avail.available(), "a GPU is present here");
        Run r = run("info", "--json");
        assertEquals(0, r.rc);
        Run t = run("train", "mnist", "--backend", "cuda", "--epochs", "1");
        assertEquals(1, t.rc);
        assertTrue(t.err.contains("cuda"), t.err);
        assertFalse(t.err.contains("\tat "), "no stack trace");
    }
}
