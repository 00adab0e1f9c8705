package dev.bottleneck.apps;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.tensor.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pixel classes outside [0, CLASSES) are refused before training, naming the value and where it is. */
class SegmentationLabelsTest {
    @Test
    void anIgnoreLabelIsRefusedWithItsPosition() {
        int d = Segmentation.SIZE * Segmentation.SIZE;
        for (float bad : new float[] {255f, -1f, 2.5f, Float.NaN, Segmentation.CLASSES}) {
            float[] images = new float[2 * d], labels = new float[2 * d];
            java.util.Arrays.fill(labels, Segmentation.CLASSES - 1);
            labels[d + 3 * Segmentation.SIZE + 4] = bad;
            Segmentation.Canvases c = new Segmentation.Canvases(images, labels, 2);
            try (CpuBackend be = new CpuBackend(DType.F32)) {
                BottleneckException e = assertThrows(BottleneckException.class,
                        () -> Segmentation.train(be, c, new ConvTaskConfig(2, 1, 2, 0.01, 1), s -> { }));
                assertTrue(e.getMessage().contains("pixel class " + bad + " of canvas 1 at (3, 4)"), e.getMessage());
                assertTrue(e.getMessage().contains("[0, " + Segmentation.CLASSES + ")"), e.getMessage());
            }
        }
    }
}
