package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.io.IdxFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The variational commands end to end on small synthetic 12x12 digits: train a 2-D VAE, then {@code eval},
 * {@code sample}, {@code interpolate} and {@code latent-map}, their --help, and their one-line errors.
 */
class VaeCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir static Path tmp;
    static Path data, vae, plain;
    static JsonNode trained;

    static CliTest.Run run(String... args) {
        return CliTest.run(args);
    }

    @BeforeAll
    static void trainModels() throws Exception {
        data = IdxFixtures.writeDigitsFolder(tmp.resolve("data"), 600, 100, 12);
        Path spec = tmp.resolve("vae2.yaml");
        Files.writeString(spec, String.join("\n",
                "name: vae2",
                "input: 144",
                "encoder:",
                "  - {type: linear, units: 32, activation: relu}",
                "  - {type: linear, units: 4}",
                "decoder:",
                "  - {type: linear, units: 32, activation: relu}",
                "  - {type: linear, units: 144, activation: sigmoid}",
                "loss: bce",
                "variational: {latent: 2, beta: 1.0, warmup_epochs: 1}", ""));
        vae = tmp.resolve("vae");
        CliTest.Run t = run("train", data.toString(), "--model", spec.toString(), "--epochs", "3", "--batch", "50",
                "--out", vae.toString(), "--backend", "cpu", "--json");
        assertEquals(0, t.rc(), t.err());
        trained = JSON.readTree(t.lastLine());
        plain = tmp.resolve("plain");
        CliTest.Run p = run("train", data.toString(), "--model", "144-8", "--epochs", "1", "--out", plain.toString(),
                "--backend", "cpu", "--pictures", "0");
        assertEquals(0, p.rc(), p.err());
    }

    @Test
    void trainReportsTheNegativeElboAndItsParts() throws Exception {
        double loss = trained.get("test_loss").asDouble(), rec = trained.get("test_reconstruction").asDouble(),
                kl = trained.get("test_kl").asDouble();
        assertEquals(rec + kl, loss, 1e-3 * loss, "test_loss = reconstruction + KL");
        assertTrue(kl > 0 && rec > 0, trained.toString());
        assertTrue(loss < 144 * 0.7, "nats per 144-pixel image: " + loss);
        assertTrue(trained.get("loss").asText().contains("-ELBO"), trained.toString());
        assertTrue(Files.readString(vae.resolve("config.json")).contains("\"variational\""));

        CliTest.Run e = run("eval", vae.toString(), "--json", "--batch", "37");
        assertEquals(0, e.rc(), e.err());
        JsonNode ev = JSON.readTree(e.lastLine());
        assertEquals(loss, ev.get("test_loss").asDouble(), 1e-4 * loss, "eval reproduces train's test loss (same eps per sample at any batch size)");
        assertEquals(kl, ev.get("test_kl").asDouble(), 1e-4 * kl);

        CliTest.Run codes = run("encode", vae.toString(), "--out", tmp.resolve("codes.csv").toString(), "--limit", "5");
        assertEquals(0, codes.rc(), codes.err());
        assertTrue(Files.readAllLines(tmp.resolve("codes.csv")).get(0).endsWith(",z0,z1"), "the code is mu: 2 values");
    }

    @Test
    void sampleWritesAGrid() throws Exception {
        Path out = tmp.resolve("samples.png");
        CliTest.Run r = run("sample", vae.toString(), "--out", out.toString(), "--count", "10", "--seed", "3", "--columns", "5");
        assertEquals(0, r.rc(), r.err());
        BufferedImage img = ImageIO.read(out.toFile());
        assertNotNull(img);
        assertTrue(img.getWidth() > 2 * img.getHeight() * 0.9, "5 columns x 2 rows: " + img.getWidth() + "x" + img.getHeight());
        byte[] first = Files.readAllBytes(out);
        assertEquals(0, run("sample", vae.toString(), "--out", out.toString(), "--count", "10", "--seed", "3", "--columns", "5").rc());
        assertArrayEquals(first, Files.readAllBytes(out), "same seed, same picture");
        assertEquals(0, run("sample", vae.toString(), "--out", out.toString(), "--count", "10", "--seed", "4", "--columns", "5").rc());
        assertFalse(java.util.Arrays.equals(first, Files.readAllBytes(out)), "another seed, other samples");
    }

    @Test
    void interpolateWritesAStripWithTheOriginalsAtTheEnds() throws Exception {
        Path out = tmp.resolve("strip.png");
        CliTest.Run r = run("interpolate", vae.toString(), "--from", "0", "--to", "7", "--steps", "6", "--out", out.toString());
        assertEquals(0, r.rc(), r.err());
        BufferedImage img = ImageIO.read(out.toFile());
        assertTrue(img.getWidth() > 7 * img.getHeight(), "one row of 8 images: " + img.getWidth() + "x" + img.getHeight());
        CliTest.Run bad = run("interpolate", vae.toString(), "--from", "0", "--to", "100", "--out", out.toString());
        assertEquals(1, bad.rc());
        assertOneErrorLine(bad.err());
        assertTrue(bad.err().contains("outside the test split (0 to 99)"), bad.err());
        // a plain autoencoder interpolates between its codes too
        assertEquals(0, run("interpolate", plain.toString(), "--from", "1", "--to", "2", "--out", tmp.resolve("p.png").toString()).rc());
    }

    @Test
    void latentMapCoversTheSquare() throws Exception {
        Path out = tmp.resolve("map.png");
        CliTest.Run r = run("latent-map", vae.toString(), "--out", out.toString(), "--grid", "7");
        assertEquals(0, r.rc(), r.err());
        BufferedImage img = ImageIO.read(out.toFile());
        assertEquals(img.getWidth(), img.getHeight(), "a square map");
        float[] z = LatentMapCommand.codes(3, 3.0);
        assertArrayEquals(new float[] {-3, 3, 0, 3, 3, 3, -3, 0, 0, 0, 3, 0, -3, -3, 0, -3, 3, -3}, z, "x to the right, y upwards");
    }

    @Test
    void errorsAreOneLine() {
        for (String[] args : List.of(
                new String[] {"sample", plain.toString(), "--out", tmp.resolve("x.png").toString()},
                new String[] {"latent-map", plain.toString(), "--out", tmp.resolve("x.png").toString()},
                new String[] {"sample", tmp.resolve("nope").toString(), "--out", tmp.resolve("x.png").toString()},
                new String[] {"sample", vae.toString(), "--out", tmp.resolve("x.png").toString(), "--count", "0"},
                new String[] {"interpolate", vae.toString(), "--from", "0", "--to", "1", "--steps", "1", "--out", tmp.resolve("x.png").toString()})) {
            CliTest.Run r = run(args);
            // an option outside its range is a usage error (2); the others are bad input (1)
            boolean usage = List.of(args).contains("--count") || List.of(args).contains("--steps");
            assertEquals(usage ? 2 : 1, r.rc(), String.join(" ", args) + ": " + r.err());
            assertOneErrorLine(r.err());
        }
        CliTest.Run r = run("sample", plain.toString(), "--out", tmp.resolve("x.png").toString());
        assertTrue(r.err().contains("needs a variational autoencoder"), r.err());
        assertFalse(Files.exists(tmp.resolve("x.png")), "nothing written on error");
        CliTest.Run missing = run("sample", vae.toString());
        assertEquals(2, missing.rc());
        assertTrue(missing.err().contains("--out"), missing.err());
    }

    /** Besides the log line naming the backend, the command printed exactly one line: the error. */
    private static void assertOneErrorLine(String err) {
        List<String> lines = err.lines().filter(l -> !l.startsWith("backend: ")).toList();
        assertEquals(1, lines.size(), err);
        assertTrue(lines.get(0).startsWith("error: "), err);
    }

    @Test
    void everyCommandHasHelp() {
        for (String c : List.of("sample", "interpolate", "latent-map")) {
            CliTest.Run r = run(c, "--help");
            assertEquals(0, r.rc(), c);
            assertTrue(r.out().contains("Usage: bottleneck " + c), r.out());
            assertTrue(r.out().contains("Example"), r.out());
        }
    }
}
