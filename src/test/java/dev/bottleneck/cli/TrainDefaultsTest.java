package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.io.IdxFixtures;
import dev.bottleneck.testing.CliRun;
import dev.bottleneck.io.ImageGrid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every default that {@code train --help} or the README states, checked on a run that leaves the option out: the
 * value is read back from config.json, trainer.json, the files written and the JSON result.
 */
class TrainDefaultsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode read(Path f) throws Exception {
        return JSON.readTree(f.toFile());
    }

    private static CliRun train(String... args) {
        CliRun t = new CliRun(args);
        assertEquals(0, t.rc(), t.err());
        return t;
    }

    /** Only the data, --backend and --out: the defaults of an image run (IDX files of 28 x 28 images). */
    @Test
    void anImageRunWithoutOptionsUsesTheDocumentedDefaults(@TempDir Path tmp) throws Exception {
        Path data = IdxFixtures.writeDigitsFolder(tmp.resolve("digits"), 600, 40, 28);
        Path out = tmp.resolve("run");
        CliRun t = train("train", data.toString(), "--backend", "cpu", "--out", out.toString(), "--json");
        JsonNode res = JSON.readTree(t.lastLine());
        JsonNode cfg = read(out.resolve("config.json")), tr = cfg.get("training"), model = cfg.get("model");

        // --model w1: 784-32-784, ReLU code, sigmoid output, BCE (mean)
        assertEquals("w1", model.get("name").asText());
        assertEquals("w1", res.get("model").asText());
        assertEquals(32, model.get("encoder").get(0).get("units").asInt());
        assertEquals("relu", model.get("encoder").get(0).get("activation").asText());
        assertEquals("sigmoid", model.get("decoder").get(model.get("decoder").size() - 1).get("activation").asText());
        assertEquals("bce", model.get("loss").asText());
        assertEquals("mean", model.get("reduction").asText());
        assertEquals("bce (mean)", res.get("loss").asText());
        // --epochs 10
        assertEquals(10, tr.get("epochs").asInt());
        assertEquals(10, res.get("epochs").asInt());
        JsonNode state = read(out.resolve("trainer.json"));
        assertEquals(10, state.get("epochs_done").asInt());
        assertEquals(10, state.get("history").size());
        // --batch: the preset's (w1: 256); 540 training samples give 3 steps an epoch (the last one smaller)
        assertEquals(256, tr.get("batch").asInt());
        assertEquals(30, state.get("global_step").asInt());
        // --optimizer adam, --lr 1e-3, --momentum 0, no --nesterov, --weight-decay 0 for adam
        JsonNode opt = tr.get("optimizer");
        assertEquals("adam", opt.get("name").asText());
        assertEquals(1e-3, opt.get("lr").asDouble(), 0);
        assertEquals(0, opt.get("momentum").asDouble(), 0);
        assertFalse(opt.get("nesterov").asBoolean());
        assertEquals(0, opt.get("weight_decay").asDouble(), 0);
        // --schedule constant: the same rate in every epoch
        assertEquals("constant", tr.get("schedule").get("kind").asText());
        for (JsonNode e : state.get("history")) assertEquals(1e-3, e.get("lr").asDouble(), 0);
        // --clip-norm 0, --patience 0 (no early stopping), --min-delta 0
        assertEquals(0, tr.get("clip_norm").asDouble(), 0);
        assertEquals(0, tr.get("patience").asInt());
        assertEquals(0, tr.get("min_delta").asDouble(), 0);
        assertFalse(res.get("stopped_early").asBoolean());
        assertFalse(Files.exists(out.resolve("best.safetensors")), "no early stopping, no best epoch kept");
        // --validation 0.1 and no --limit: 60 of the 600 training images are held out, every image is used
        assertEquals(0.1, tr.get("validation").asDouble(), 0);
        assertTrue(t.err().contains("540 training / 60 validation / 40 test samples"), t.err());
        assertEquals(600, cfg.get("data").get("train_samples").asInt());
        // --seed 42 for the weights, the order and the splits
        assertEquals(42, tr.get("seed").asLong());
        assertEquals(42, cfg.get("data").get("seed").asLong());
        // --scale auto: none for images
        assertEquals("none", cfg.get("data").get("scaler").get("kind").asText());
        // --metrics csv
        assertEquals(11, Files.readAllLines(out.resolve("metrics.csv")).size(), "header + 10 epochs");
        assertFalse(Files.exists(out.resolve("metrics.jsonl")));
        // --pictures 10: ten test images above their reconstructions (28 px, drawn three times as large)
        BufferedImage png = ImageIO.read(out.resolve("reconstruction.png").toFile());
        assertEquals(10 * 28 * 3 + 9 * ImageGrid.GAP, png.getWidth());
        assertEquals(2 * 28 * 3 + ImageGrid.GAP, png.getHeight());
        // --progress: off when stderr is no terminal (no redrawn lines)
        assertFalse(t.err().contains("\r"), "no progress bar in a captured stderr");
        // --threads: all cores
        assertTrue(res.get("device").asText().contains(Runtime.getRuntime().availableProcessors() + " Java thread"), res.get("device").asText());
    }

    /** A table with a text class column: minmax scaling, the dense spec's ReLU / sigmoid / BCE, no picture. */
    @Test
    void aTableRunWithoutOptionsUsesTheDocumentedDefaults(@TempDir Path tmp) throws Exception {
        Path csv = LabelledData.table(tmp.resolve("table.csv"), 400, 1);
        // the delimiter is detected: the same table with ';' reads the same
        Path semi = tmp.resolve("semi.csv");
        Files.writeString(semi, Files.readString(csv).replace(',', ';').replace("\"rare; odd\"", "rare"));
        for (Path data : List.of(csv, semi)) {
            Path out = tmp.resolve("run-" + data.getFileName());
            JsonNode res = JSON.readTree(train("train", data.toString(), "--csv-label", "kind", "--model", "12-8-3", "--epochs", "2",
                    "--backend", "cpu", "--out", out.toString(), "--json").lastLine());
            JsonNode cfg = read(out.resolve("config.json")), model = cfg.get("model");
            assertEquals(12, model.get("input").get(0).asInt());
            // --scale auto: minmax for tables
            assertEquals("minmax", cfg.get("data").get("scaler").get("kind").asText());
            // --activation relu on the hidden layers, --output-activation sigmoid, --loss bce, --reduction mean
            for (JsonNode l : model.get("encoder")) assertEquals("relu", l.get("activation").asText());
            JsonNode dec = model.get("decoder");
            assertEquals("relu", dec.get(0).get("activation").asText());
            assertEquals("sigmoid", dec.get(dec.size() - 1).get("activation").asText());
            assertEquals("bce", model.get("loss").asText());
            assertEquals("mean", model.get("reduction").asText());
            // --batch 256 for a spec that is no preset
            assertEquals(256, cfg.get("training").get("batch").asInt());
            // --pictures: only image data gets reconstruction.png
            assertFalse(Files.exists(out.resolve("reconstruction.png")));
            assertNull(res.get("picture"));
        }
        // --weight-decay: 0.01 for adamw
        Path w = tmp.resolve("adamw");
        train("train", csv.toString(), "--csv-label", "kind", "--model", "12-4", "--epochs", "1", "--optimizer", "adamw",
                "--backend", "cpu", "--out", w.toString());
        JsonNode opt = read(w.resolve("config.json")).get("training").get("optimizer");
        assertEquals("adamw", opt.get("name").asText());
        assertEquals(0.01, opt.get("weight_decay").asDouble(), 0);
    }

    /**
     * {@code --loss mse --scale standard} gets a linear output, as the help says: a sigmoid cannot reach standardised
     * values below 0 or above 1, and reconstructs them many times worse. {@code --scale standard} alone also means
     * MSE (BCE needs values in [0, 1]).
     */
    @Test
    void standardisedTablesGetALinearOutputAndMse(@TempDir Path tmp) throws Exception {
        Path csv = LabelledData.table(tmp.resolve("table.csv"), 1000, 2);
        String[] common = {"train", csv.toString(), "--csv-label", "kind", "--model", "12-8-3:linear", "--epochs", "20", "--batch", "32", "--lr", "0.005",
                "--backend", "cpu", "--json"};
        Path lin = tmp.resolve("linear"), sig = tmp.resolve("sigmoid"), plain = tmp.resolve("plain");
        JsonNode a = JSON.readTree(train(concat(common, "--loss", "mse", "--scale", "standard", "--out", lin.toString())).lastLine());
        JsonNode b = JSON.readTree(train(concat(common, "--loss", "mse", "--scale", "standard", "--output-activation", "sigmoid",
                "--out", sig.toString())).lastLine());
        JsonNode c = JSON.readTree(train(concat(common, "--scale", "standard", "--out", plain.toString())).lastLine());
        for (Path p : List.of(lin, plain)) {
            JsonNode model = read(p.resolve("config.json")).get("model");
            JsonNode dec = model.get("decoder");
            assertEquals("linear", dec.get(dec.size() - 1).get("activation").asText(), p.toString());
            assertEquals("mse", model.get("loss").asText(), p.toString());
            assertEquals("relu", dec.get(0).get("activation").asText(), "hidden layers keep --activation's default");
        }
        assertEquals("mse (mean)", c.get("loss").asText());
        assertEquals(a.get("test_loss").asDouble(), c.get("test_loss").asDouble(), 0, "--scale standard alone is the same run");
        double linear = a.get("test_loss").asDouble(), sigmoid = b.get("test_loss").asDouble();
        // measured: about 0.03 against 0.6 (the variance of a standardised value is 1)
        assertTrue(linear < 0.1 && linear * 5 < sigmoid, "linear " + linear + ", sigmoid " + sigmoid);
    }

    /** Where an option cannot apply, the run is refused with what to do instead of ignoring it. */
    @Test
    void optionsThatCannotApplyAreRefused(@TempDir Path tmp) throws Exception {
        Path csv = LabelledData.table(tmp.resolve("table.csv"), 100, 3);
        CliRun a = new CliRun("train", csv.toString(), "--csv-label", "kind", "--model", "12-4", "--loss", "bce", "--scale", "standard",
                "--backend", "cpu", "--out", tmp.resolve("a").toString());
        assertEquals(1, a.rc());
        assertTrue(a.err().contains("needs training values in [0, 1]") && a.err().contains("--loss mse"), a.err());
        // the default loss on unscaled values far from [0, 1]
        CliRun b = new CliRun("train", csv.toString(), "--csv-label", "kind", "--model", "12-4", "--scale", "none",
                "--backend", "cpu", "--out", tmp.resolve("b").toString());
        assertEquals(1, b.rc());
        assertTrue(b.err().contains("the bce loss (the default") && b.err().contains("--scale minmax"), b.err());
        assertEquals(1, b.err().lines().filter(l -> l.startsWith("error:")).count());
        // --activation belongs to dense specs; a preset names its own
        Path digits = IdxFixtures.writeDigitsFolder(tmp.resolve("digits"), 60, 10, 28);
        CliRun c = new CliRun("train", digits.toString(), "--model", "w4", "--output-activation", "linear", "--backend", "cpu",
                "--out", tmp.resolve("c").toString());
        assertEquals(1, c.rc());
        assertTrue(c.err().contains("--output-activation applies to dense specs"), c.err());
    }

    /**
     * An image folder: {@code --image-size} is the first image's size, {@code --channels} gray when every image is gray,
     * else RGB (a colour image among gray ones makes the whole folder RGB).
     */
    @Test
    void anImageFolderKeepsItsSizeAndDetectsItsChannels(@TempDir Path tmp) throws Exception {
        Path gray = LabelledData.shapes(tmp.resolve("gray"), 6, 12, 8);
        Path mixed = LabelledData.shapes(tmp.resolve("mixed"), 6, 12, 9);
        BufferedImage colour = new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB);
        colour.setRGB(3, 4, 0xff2080);
        ImageIO.write(colour, "png", mixed.resolve("circle").resolve("zz-colour.png").toFile());
        for (Object[] c : new Object[][] {{gray, 1}, {mixed, 3}}) {
            Path out = tmp.resolve("run-" + ((Path) c[0]).getFileName());
            int channels = (Integer) c[1];
            train("train", c[0].toString(), "--model", (channels * 144) + "-8", "--epochs", "1", "--batch", "4", "--backend", "cpu",
                    "--out", out.toString());
            JsonNode shape = read(out.resolve("config.json")).get("data").get("sample_shape");
            assertEquals(List.of(channels, 12, 12), List.of(shape.get(0).asInt(), shape.get(1).asInt(), shape.get(2).asInt()), c[0].toString());
        }
    }

    /** A preset brings its own batch size and loss reduction: w4 trains in batches of 128, summed per sample. */
    @Test
    void presetsBringTheirBatchAndReduction(@TempDir Path tmp) throws Exception {
        Path digits = IdxFixtures.writeDigitsFolder(tmp.resolve("digits"), 300, 20, 28);
        Path out = tmp.resolve("w4");
        train("train", digits.toString(), "--model", "w4", "--epochs", "1", "--backend", "cpu", "--out", out.toString());
        JsonNode cfg = read(out.resolve("config.json"));
        assertEquals(128, cfg.get("training").get("batch").asInt());
        assertEquals("sum_per_sample", cfg.get("model").get("reduction").asText(), "sum per sample");
    }

    /**
     * {@code --out}: runs/MODEL-DATA under the working directory; {@code --backend}: $BOTTLENECK_BACKEND when set. Run in
     * a process of its own, whose working directory is a temporary folder.
     */
    @Test
    void theRunDirectoryDefaultsToRunsModelData(@TempDir Path tmp) throws Exception {
        Path csv = LabelledData.table(tmp.resolve("my table.csv"), 400, 4);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "train", csv.toString(), "--csv-label", "kind", "--model", "12-4", "--epochs", "1", "--json"));
        File log = tmp.resolve("log.txt").toFile();
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true).redirectOutput(log);
        pb.environment().put("BOTTLENECK_BACKEND", "cpu");
        pb.environment().remove("BOTTLENECK_RESUME");
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the run did not finish");
        List<String> lines = Files.readAllLines(log.toPath());
        assertEquals(0, p.exitValue(), String.join("\n", lines));
        Path dir = tmp.resolve("runs").resolve("12-4-my_table");
        assertTrue(Files.isRegularFile(dir.resolve("config.json")), "no " + dir + ": " + String.join("\n", lines));
        JsonNode res = JSON.readTree(lines.get(lines.size() - 1));
        assertEquals(Path.of("runs", "12-4-my_table").toString(), res.get("out").asText());
        assertEquals("cpu", res.get("backend").asText());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
