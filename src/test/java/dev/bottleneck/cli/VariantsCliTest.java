package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.io.IdxFixtures;
import dev.bottleneck.testing.CliRun;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI of the autoencoder variants: train --noise/--kl-sparsity/--contractive, denoise, compare-pca. */
class VariantsCliTest {
    /** The shared {@link CliRun}, under the name these tests use. */
    static final class Run extends CliRun {
        Run(String... args) { super(args); }
    }

    static Run run(String... args) { return new Run(args); }

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir static Path tmp;
    static Path data, dae;

    @BeforeAll
    static void trainDenoiser() throws IOException {
        data = IdxFixtures.writeDigitsFolder(tmp.resolve("data"), 600, 100, 12);
        dae = tmp.resolve("dae");
        Run t = run("train", data.toString(), "--model", "144-48", "--noise", "saltpepper:0.2", "--epochs", "12", "--batch", "32",
                "--lr", "3e-3", "--out", dae.toString(), "--backend", "cpu", "--json");
        assertEquals(0, t.rc, t.err);
    }

    private static void assertOneLineError(Run r, String contains) {
        assertNotEquals(0, r.rc);
        List<String> lines = r.err.lines().filter(s -> s.startsWith("error:")).toList();
        assertEquals(1, lines.size(), r.err);
        assertTrue(lines.get(0).contains(contains), lines.get(0));
        assertFalse(r.err.contains("Exception"), r.err);
    }

    @Test
    void trainSavesNoiseAndCodeActivation() throws IOException {
        JsonNode cfg = JSON.readTree(dae.resolve("config.json").toFile());
        assertEquals("saltpepper", cfg.at("/training/noise/kind").asText());
        assertEquals(0.2, cfg.at("/training/noise/level").asDouble());
        List<String> metrics = Files.readAllLines(dae.resolve("metrics.csv"));
        assertTrue(metrics.get(0).endsWith(",mean_code_activation"), metrics.get(0));
        double act = Double.parseDouble(metrics.get(metrics.size() - 1).substring(metrics.get(metrics.size() - 1).lastIndexOf(',') + 1));
        assertTrue(act > 0, "ReLU code mean " + act);
    }

    @Test
    void denoiseCorruptsTheSplitAndCleansIt() throws IOException {
        Path png = tmp.resolve("grid.png");
        // default noise: the one the model was trained with
        Run d = run("denoise", dae.toString(), "--count", "6", "--out", png.toString(), "--json", "--backend", "cpu");
        assertEquals(0, d.rc, d.err);
        JsonNode r = JSON.readTree(d.lastLine());
        assertEquals("saltpepper:0.2", r.get("noise").asText());
        assertEquals(100, r.get("samples").asInt(), "errors over the whole test split");
        double noisy = r.get("mse_noisy").asDouble(), cleaned = r.get("mse_cleaned").asDouble();
        assertTrue(cleaned < 0.7 * noisy, "cleaned " + cleaned + " vs noisy " + noisy);
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > 1.5 * img.getHeight() && img.getHeight() > 3 * 12 * 3, "three rows of six: " + img.getWidth() + "x" + img.getHeight());

        Run g = run("denoise", dae.toString(), "--noise", "gaussian:0.3", "--out", png.toString(), "--backend", "cpu");
        assertEquals(0, g.rc, g.err);
        assertTrue(g.out.contains("noisy") && g.out.contains("cleaned"), g.out);
    }

    private static void writeIdx(Path file, float[] px, int n, int side) throws IOException {
        try (OutputStream o = Files.newOutputStream(file); DataOutputStream d = new DataOutputStream(o)) {
            d.writeInt(0x803);
            d.writeInt(n);
            d.writeInt(side);
            d.writeInt(side);
            for (float v : px) d.write(Math.round(255 * Math.max(0, Math.min(1, v))));
        }
    }

    @Test
    void denoiseAnIdxFileOfNoisyImages() throws IOException {
        // noisy copies of the test images, written as IDX, cleaned by --input; --originals gives the errors
        dev.bottleneck.data.Dataset test = dev.bottleneck.data.DataSources.loadIdxFolder(data, "digits").test();
        float[] x = test.x().clone();
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < x.length; i++) {
            double u = r.nextDouble();
            if (u < 0.1) x[i] = 0;
            else if (u < 0.2) x[i] = 1;
        }
        Path noisy = tmp.resolve("noisy-idx3-ubyte");
        writeIdx(noisy, x, test.n(), 12);
        Path png = tmp.resolve("input.png");
        Run d = run("denoise", dae.toString(), "--input", noisy.toString(),
                "--originals", data.resolve("t10k-images-idx3-ubyte").toString(), "--out", png.toString(), "--json", "--backend", "cpu");
        assertEquals(0, d.rc, d.err);
        JsonNode j = JSON.readTree(d.lastLine());
        assertTrue(j.get("mse_cleaned").asDouble() < j.get("mse_noisy").asDouble(), d.lastLine());
        Run only = run("denoise", dae.toString(), "--input", noisy.toString(), "--out", png.toString(), "--json", "--backend", "cpu");
        assertEquals(0, only.rc, only.err);
        assertTrue(JSON.readTree(only.lastLine()).get("mse_cleaned").isNull());
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > 3 * img.getHeight(), "two rows of ten");
    }

    @Test
    void oneLineErrors() {
        Path png = tmp.resolve("e.png");
        assertOneLineError(run("denoise", dae.toString(), "--count", "0", "--out", png.toString()), "--count");
        assertOneLineError(run("denoise", dae.toString(), "--input", tmp.resolve("missing").toString(), "--out", png.toString()), "not found");
        assertOneLineError(run("denoise", dae.toString(), "--noise", "blur:1", "--out", png.toString()), "unknown noise");
        assertOneLineError(run("train", data.toString(), "--model", "144-8", "--noise", "mask", "--epochs", "1", "--out",
                tmp.resolve("bad").toString()), "KIND:LEVEL");
        assertOneLineError(run("train", data.toString(), "--model", "144-8", "--kl-sparsity", "2:1", "--epochs", "1", "--out",
                tmp.resolve("bad").toString()), "rho");
        assertOneLineError(run("train", data.toString(), "--model", "144-16-8", "--contractive", "0.1:exact", "--epochs", "1", "--out",
                tmp.resolve("bad").toString()), "estimate");
        assertOneLineError(run("compare-pca", data.toString(), "--k", "0"), "--k");
        assertEquals(0, run("denoise", "--help").rc);
        assertEquals(0, run("compare-pca", "--help").rc);
    }

    @Test
    void trainWithSparsityAndContractivePenalties() throws IOException {
        Path kl = tmp.resolve("kl"), cae = tmp.resolve("cae"), caeEst = tmp.resolve("cae-est");
        Run a = run("train", data.toString(), "--model", "144-16:sigmoid", "--kl-sparsity", "0.05:0.5", "--epochs", "2", "--out",
                kl.toString(), "--backend", "cpu", "--json");
        assertEquals(0, a.rc, a.err);
        JsonNode ka = JSON.readTree(kl.resolve("config.json").toFile()).at("/model/regularizers/0");
        assertEquals("kl_sparsity", ka.get("type").asText());
        assertEquals(0.05, ka.get("rho").asDouble());
        Run b = run("train", data.toString(), "--model", "144-16:sigmoid", "--contractive", "0.1", "--epochs", "2", "--out",
                cae.toString(), "--backend", "cpu");
        assertEquals(0, b.rc, b.err);
        assertEquals("exact", JSON.readTree(cae.resolve("config.json").toFile()).at("/model/regularizers/0/mode").asText());
        Run c = run("train", data.toString(), "--model", "144-32-16", "--contractive", "0.1", "--epochs", "2", "--out",
                caeEst.toString(), "--backend", "cpu");
        assertEquals(0, c.rc, c.err);
        assertEquals("estimate", JSON.readTree(caeEst.resolve("config.json").toFile()).at("/model/regularizers/0/mode").asText());
        // a saved model with these regularizers loads and evaluates
        assertEquals(0, run("eval", caeEst.toString(), "--backend", "cpu").rc);
    }

    @Test
    void comparePcaOnSmallData() throws IOException {
        Run r = run("compare-pca", data.toString(), "--k", "2,6", "--epochs", "3", "--batch", "32", "--json", "--backend", "cpu");
        assertEquals(0, r.rc, r.err);
        JsonNode j = JSON.readTree(r.lastLine());
        assertEquals(2, j.get("rows").size());
        for (JsonNode row : j.get("rows")) {
            assertTrue(row.get("pca_test_mse").asDouble() > 0);
            assertTrue(row.get("linear_ae_test_mse").asDouble() >= 0.98 * row.get("pca_test_mse").asDouble(),
                    "a linear autoencoder cannot beat PCA by much on held-out data: " + row);
        }
        assertTrue(j.at("/rows/1/pca_test_mse").asDouble() < j.at("/rows/0/pca_test_mse").asDouble());
        Run t = run("compare-pca", data.toString(), "--k", "2,6", "--epochs", "0", "--backend", "cpu");
        assertEquals(0, t.rc, t.err);
        assertTrue(t.out.contains("PCA test MSE"), t.out);
    }
}
