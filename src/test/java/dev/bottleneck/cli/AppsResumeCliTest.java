package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.testing.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code autorec}, {@code segment} and {@code upscale} with {@code --resume}: a run stopped after some epochs and
 * continued with the same options ends where an uninterrupted run does (same results, byte-identical weights), and
 * each epoch leaves a checkpoint in --out. The image commands use real MNIST (skipped when it is not installed).
 */
class AppsResumeCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The shared {@link CliRun}, under the name these tests use. */
    static final class Run extends CliRun {
        Run(String... args) { super(args); }
    }

    static Run run(List<String> args) { return new Run(args.toArray(String[]::new)); }

    static List<String> args(List<String> common, String... more) {
        List<String> a = new ArrayList<>(common);
        a.addAll(Arrays.asList(more));
        return a;
    }

    /** Runs the command straight to {@code epochs}, and to {@code first} then resumed to {@code epochs}; returns both results. */
    static JsonNode[] straightAndResumed(List<String> common, Path dir, int first, int epochs) throws Exception {
        Path a = dir.resolve("straight"), b = dir.resolve("resumed");
        Run full = run(args(common, "--out", a.toString(), "--epochs", Integer.toString(epochs)));
        assertEquals(0, full.rc, full.err);
        Run part = run(args(common, "--out", b.toString(), "--epochs", Integer.toString(first)));
        assertEquals(0, part.rc, part.err);
        Run rest = run(args(common, "--out", b.toString(), "--epochs", Integer.toString(epochs), "--resume"));
        assertEquals(0, rest.rc, rest.err);
        assertTrue(rest.err.contains("resuming from epoch " + first + " of " + b), rest.err);
        assertFalse(rest.err.contains("epoch 1/"), "the resumed run does not train epoch 1 again:\n" + rest.err);
        assertArrayEquals(Files.readAllBytes(a.resolve("model.safetensors")), Files.readAllBytes(b.resolve("model.safetensors")),
                "weights differ after resuming");
        for (String f : List.of("optimizer.safetensors", "trainer.json", "config.json", "metrics.csv", "loss.png")) {
            assertTrue(Files.isRegularFile(b.resolve(f)), f + " missing");
        }
        assertEquals(epochs + 1, Files.readAllLines(b.resolve("metrics.csv")).size(), "one metrics row per epoch");
        return new JsonNode[] {full.json(), rest.json()};
    }

    static void assertSame(JsonNode a, JsonNode b, String... keys) {
        for (String k : keys) assertEquals(a.get(k).asDouble(), b.get(k).asDouble(), 0.0, k);
    }

    @Test
    void autorecResumes(@TempDir Path tmp) throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        StringBuilder b = new StringBuilder("user,item,rating\n");
        for (int u = 0; u < 30; u++) {
            for (int i = 0; i < 24; i++) {
                if (r.nextDouble() > 0.5) continue;
                b.append("u").append(u).append(",m").append(i).append(',').append((u % 2 == 0) == (i % 2 == 0) ? 4.5 : 1.5).append('\n');
            }
        }
        Path csv = tmp.resolve("ratings.csv");
        Files.writeString(csv, b.toString());
        List<String> common = List.of("autorec", "--ratings", csv.toString(), "--hidden", "8", "--batch", "4", "--lr", "0.01",
                "--validation", "0.2", "--backend", "cpu", "--json");
        JsonNode[] j = straightAndResumed(common, tmp, 2, 5);
        assertSame(j[0], j[1], "rmse", "train_rmse", "val_rmse");
        assertTrue(j[1].get("val_rmse").isNumber(), "a validation RMSE is reported: " + j[1]);
        Run rec = run(List.of("recommend", tmp.resolve("resumed").toString(), "--user", "u0", "--top", "3", "--backend", "cpu", "--json"));
        assertEquals(0, rec.rc, rec.err);

        Run none = run(args(common, "--out", tmp.resolve("nothing").toString(), "--epochs", "3", "--resume"));
        assertEquals(1, none.rc);
        assertTrue(none.err.contains("no training to resume in"), none.err);
        assertFalse(Files.exists(tmp.resolve("nothing")), "a failed --resume leaves nothing behind");
    }

    @Test
    void upscaleResumes(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isDirectory(DataSources.cacheDir().resolve("mnist")), "MNIST not installed; run scripts/fetch-data.sh --only mnist");
        List<String> common = List.of("upscale", "mnist", "--train", "200", "--test", "40", "--channels", "4", "--validation", "0.25",
                "--count", "2", "--backend", "cpu", "--json");
        JsonNode[] j = straightAndResumed(common, tmp, 1, 2);
        assertSame(j[0], j[1], "psnr_model", "train_mse", "val_mse");
    }

    @Test
    void segmentResumes(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isDirectory(DataSources.cacheDir().resolve("mnist")), "MNIST not installed; run scripts/fetch-data.sh --only mnist");
        List<String> common = List.of("segment", "mnist", "--train", "48", "--test", "8", "--channels", "4", "--batch", "8",
                "--validation", "0.25", "--count", "2", "--backend", "cpu", "--json");
        JsonNode[] j = straightAndResumed(common, tmp, 1, 2);
        assertSame(j[0], j[1], "mean_iou", "pixel_accuracy", "train_cross_entropy", "val_cross_entropy");
    }
}
