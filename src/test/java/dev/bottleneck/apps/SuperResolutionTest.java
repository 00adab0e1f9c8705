package dev.bottleneck.apps;

import dev.bottleneck.testing.CliRun;
import dev.bottleneck.testing.Mnist;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 2x super-resolution: the degradations and interpolations, and a short training on real MNIST against bicubic. */
class SuperResolutionTest {
    @Test
    void averagePoolingAndInterpolations() {
        float[] img = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}; // 4x4
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, SuperResolution.downsample(img, 1, 4, 4), 1e-6f);
        // PyTorch F.interpolate([[0, 1]], scale_factor=2, mode='bilinear', align_corners=False) = [0, 0.25, 0.75, 1]
        assertArrayEquals(new float[] {0, 0.25f, 0.75f, 1, 0, 0.25f, 0.75f, 1}, SuperResolution.bilinear(new float[] {0, 1}, 1, 1, 2), 1e-6f);
        // bicubic (Keys a = -0.75, border replicated) on [[0, 1]], by hand: output 1 samples x = 0.25, taps (0, 0, 1, 1)
        // weighted W(1.25), W(0.25), W(0.75), W(1.75) -> W(0.75) + W(1.75) = 0.26171875 - 0.03515625; output 0 is
        // W(1.25) = -0.10546875 before clamping to [0, 1]
        float[] bc = SuperResolution.bicubic(new float[] {0, 1}, 1, 1, 2);
        assertArrayEquals(new float[] {0, 0.2265625f, 0.7734375f, 1}, java.util.Arrays.copyOf(bc, 4), 1e-6f);
        float[] flat = new float[9];
        java.util.Arrays.fill(flat, 0.3f);
        for (float v : SuperResolution.bicubic(flat, 1, 3, 3)) assertEquals(0.3f, v, 1e-6f, "a constant image stays constant");
    }

    /** Real MNIST (scripts/fetch-data.sh): 1,500 training images, 2 epochs (about 8 s on 2 cores). */
    @Test
    void modelBeatsBicubicOnMnist(@TempDir Path tmp) throws Exception {
        Mnist.assumeInstalled();
        Path out = tmp.resolve("sr");
        CliRun r = new CliRun("upscale", "mnist", "--train", "1500", "--test", "300", "--epochs", "2",
                "--out", out.toString(), "--backend", "cpu", "--json");
        assertEquals(0, r.rc, r.err);
        JsonNode j = r.json();
        System.out.println(r.lastLine());
        double model = j.get("psnr_model").asDouble(), bicubic = j.get("psnr_bicubic").asDouble();
        assertTrue(bicubic > j.get("psnr_bilinear").asDouble(), "bicubic should beat bilinear on avg-pooled digits");
        assertTrue(model > bicubic + 1.0, "model PSNR " + model + " dB does not beat bicubic " + bicubic + " dB by 1 dB");
        BufferedImage img = ImageIO.read(out.resolve("upscale.png").toFile());
        assertTrue(img.getHeight() > 4 * 28 * 3 - 1 && img.getWidth() > img.getHeight(), "four rows of ten images");
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")) && Files.isRegularFile(out.resolve("config.json")));
    }
}
