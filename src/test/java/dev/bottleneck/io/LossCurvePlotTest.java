package dev.bottleneck.io;

import dev.bottleneck.testing.Pngs;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.plot.XYPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LossCurvePlotTest {
    @TempDir Path dir;

    @Test
    void axesLegendAndValuesOfTheChart() {
        JFreeChart c = LossCurvePlot.chart(new double[] {0.5, 0.3, 0.2}, new double[] {0.55, Double.NaN, 0.25}, "w1 loss per epoch",
                "loss: bce, mean per value");
        XYPlot p = c.getXYPlot();
        assertEquals("w1 loss per epoch", c.getTitle().getText());
        assertEquals("epoch", p.getDomainAxis().getLabel());
        assertEquals("loss: bce, mean per value", p.getRangeAxis().getLabel());
        LegendItemCollection legend = p.getLegendItems();
        assertEquals(2, legend.getItemCount());
        assertEquals("train", legend.get(0).getLabel());
        assertEquals("validation", legend.get(1).getLabel());
        assertEquals(3, p.getDataset().getItemCount(0));
        assertEquals(2, p.getDataset().getItemCount(1), "the NaN epoch is left out");
        assertEquals(3.0, p.getDataset().getXValue(1, 1), 0);
        assertEquals(0.25, p.getDataset().getYValue(1, 1), 0);
        assertTrue(p.getDomainAxis().getRange().contains(1) && p.getDomainAxis().getRange().contains(3));
        // without validation values there is no validation curve, and the label defaults to "loss"
        JFreeChart t = LossCurvePlot.chart(new double[] {1, 0.5}, new double[] {Double.NaN, Double.NaN}, null, null);
        assertEquals(1, t.getXYPlot().getLegendItems().getItemCount());
        assertEquals(LossCurvePlot.DEFAULT_LOSS_LABEL, t.getXYPlot().getRangeAxis().getLabel());
        assertThrows(IllegalArgumentException.class, () -> LossCurvePlot.chart(new double[2], new double[3], null, null));
    }

    @Test
    void thePngIsWrittenDecodesAndIsDrawn() throws Exception {
        Path png = dir.resolve("loss.png");
        double[] train = new double[20], val = new double[20];
        for (int i = 0; i < 20; i++) {
            train[i] = 1.0 / (i + 1);
            val[i] = 1.1 / (i + 1);
        }
        LossCurvePlot.write(png, train, val, "a curve");
        BufferedImage img = Pngs.assertDrawn(png, LossCurvePlot.WIDTH, LossCurvePlot.HEIGHT, 20, 0.02);
        // both curve colours are on the picture
        boolean blue = false, orange = false;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int c = img.getRGB(x, y) & 0xffffff;
                blue |= c == (LossCurvePlot.TRAIN.getRGB() & 0xffffff);
                orange |= c == (LossCurvePlot.VALIDATION.getRGB() & 0xffffff);
            }
        }
        assertTrue(blue && orange, "train and validation curves drawn");
        // one epoch and flat values still draw
        LossCurvePlot.write(png, new double[] {0.3}, null, null);
        Pngs.assertDrawn(png, LossCurvePlot.WIDTH, LossCurvePlot.HEIGHT, 5, 0.005);
    }
}
