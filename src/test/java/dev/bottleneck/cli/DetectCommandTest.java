package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DetectCommandTest {
    @TempDir Path dir;

    @Test
    void detectsInjectedSpikesInASyntheticSeries() throws Exception {
        // a noisy sine with a burst of distortion in the last part, labelled
        StringBuilder b = new StringBuilder("time,a,b,label\n");
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = 0; i < 600; i++) {
            boolean anom = i >= 500 && i < 515;
            double a = Math.sin(i * 0.3) + 0.05 * r.nextGaussian() + (anom ? 2.5 : 0);
            double c = Math.cos(i * 0.3) + 0.05 * r.nextGaussian();
            b.append(i).append(',').append(a).append(',').append(c).append(',').append(anom ? 1 : 0).append('\n');
        }
        Path csv = dir.resolve("series.csv");
        Files.writeString(csv, b.toString());
        Path out = dir.resolve("run");
        StringWriter o = new StringWriter(), e = new StringWriter();
        int rc = Main.run(new PrintWriter(o), new PrintWriter(e), "detect", "--data", csv.toString(), "--timestamp", "time",
                "--label", "label", "--window", "10", "--stride", "2", "--epochs", "4", "--hidden", "12", "--latent", "4",
                "--train-fraction", "0.5", "--val-fraction", "0.2", "--backend", "cpu", "--out", out.toString(), "--json");
        assertEquals(0, rc, e.toString());
        List<String> lines = o.toString().lines().filter(s -> !s.isBlank()).toList();
        JsonNode res = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertTrue(res.get("autoencoder").get("roc_auc").asDouble() > 0.9, res.toString());
        assertTrue(res.get("autoencoder").get("recall").asDouble() > 0.5, res.toString());
        for (String f : List.of("rows.csv", "flagged.csv", "detect.png", "report.json")) assertTrue(Files.isRegularFile(out.resolve(f)), f);
        assertTrue(Files.readString(out.resolve("flagged.csv")).lines().count() > 5);
        BufferedImage img = ImageIO.read(out.resolve("detect.png").toFile());
        assertEquals(1600, img.getWidth());
        // a missing timestamp is a clear error with the line
        Files.writeString(csv, "time,a\n1,2\n,3\n");
        e = new StringWriter();
        rc = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(e), "detect", "--data", csv.toString(), "--timestamp", "time",
                "--backend", "cpu", "--out", out.toString());
        assertTrue(rc != 0 && e.toString().contains("series.csv:3") && e.toString().contains("missing timestamp"), e.toString());
    }
}
