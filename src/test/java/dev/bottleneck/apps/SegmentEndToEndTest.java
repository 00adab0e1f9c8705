package dev.bottleneck.apps;

import dev.bottleneck.testing.CliRun;
import dev.bottleneck.testing.Mnist;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The segment command on real MNIST digits (scripts/fetch-data.sh --only mnist); about 30 s on 2 cores. */
class SegmentEndToEndTest {
    @Test
    void segNetBeatsAllBackground(@TempDir Path tmp) throws Exception {
        Mnist.assumeInstalled();
        Path out = tmp.resolve("seg");
        CliRun r = new CliRun("segment", "mnist", "--train", "1200", "--test", "200", "--epochs", "3",
                "--batch", "16", "--lr", "0.01", "--channels", "16", "--out", out.toString(), "--backend", "cpu", "--json");
        assertEquals(0, r.rc, r.err);
        System.out.println(r.lastLine());
        JsonNode j = r.json();
        double miou = j.get("mean_iou").asDouble(), bg = j.get("mean_iou_all_background").asDouble();
        assertTrue(miou > bg + 0.025, "mean IoU " + miou + " does not beat all-background " + bg);
        assertTrue(j.get("iou").get("background").asDouble() > 0.9, "background IoU " + j.get("iou"));
        BufferedImage img = ImageIO.read(out.resolve("segment.png").toFile());
        assertTrue(img.getHeight() >= 3 * 56 * 2 && img.getWidth() > img.getHeight(), "three rows of canvases");
    }
}
