package dev.bottleneck.apps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.cli.Main;
import dev.bottleneck.data.DataSources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The segment command on real MNIST digits (scripts/fetch-data.sh --only mnist); about 30 s on 2 cores. */
class SegmentEndToEndTest {
    @Test
    void segNetBeatsAllBackground(@TempDir Path tmp) throws Exception {
        Path mnist = DataSources.cacheDir().resolve("mnist");
        assumeTrue(Files.isDirectory(mnist), "MNIST not installed at " + mnist + "; run scripts/fetch-data.sh --only mnist");
        StringWriter o = new StringWriter(), e = new StringWriter();
        Path out = tmp.resolve("seg");
        int rc = Main.run(new PrintWriter(o), new PrintWriter(e), "segment", "mnist", "--train", "1200", "--test", "200", "--epochs", "3",
                "--batch", "16", "--lr", "0.01", "--channels", "16", "--out", out.toString(), "--backend", "cpu", "--json");
        assertEquals(0, rc, e.toString());
        String[] lines = o.toString().strip().split("\n");
        System.out.println(lines[lines.length - 1]);
        JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
        double miou = j.get("mean_iou").asDouble(), bg = j.get("mean_iou_all_background").asDouble();
        assertTrue(miou > bg + 0.025, "mean IoU " + miou + " does not beat all-background " + bg);
        assertTrue(j.get("iou").get("background").asDouble() > 0.9, "background IoU " + j.get("iou"));
        BufferedImage img = ImageIO.read(out.resolve("segment.png").toFile());
        assertTrue(img.getHeight() >= 3 * 56 * 2 && img.getWidth() > img.getHeight(), "three rows of canvases");
    }
}
