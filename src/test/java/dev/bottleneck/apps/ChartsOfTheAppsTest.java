package dev.bottleneck.apps;

import dev.bottleneck.testing.Pngs;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.Title;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The latent scatter (plot-latent) and the error maps (errors.png of detect MODEL_DIR). */
class ChartsOfTheAppsTest {
    @TempDir Path dir;

    @Test
    void latentScatterHasAxesAndALegendOfTheLabels() throws Exception {
        int n = 300;
        SplittableRandom r = new SplittableRandom(1);
        float[] xy = new float[2 * n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3 == 0 ? 7 : i % 3 == 1 ? 2 : 4;
            xy[2 * i] = (float) (labels[i] + 0.3 * r.nextGaussian());
            xy[2 * i + 1] = (float) (-labels[i] + 0.3 * r.nextGaussian());
        }
        JFreeChart c = ScatterPlot.chart(xy, labels, n, "codes", "PC 1 (code units)", "PC 2 (code units)");
        XYPlot p = c.getXYPlot();
        assertEquals("PC 1 (code units)", p.getDomainAxis().getLabel());
        assertEquals("PC 2 (code units)", p.getRangeAxis().getLabel());
        LegendItemCollection legend = p.getLegendItems();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < legend.getItemCount(); i++) names.add(legend.get(i).getLabel());
        assertEquals(List.of("label 2", "label 4", "label 7"), names, "one entry per label, in order");
        int total = 0;
        for (int s = 0; s < p.getDataset().getSeriesCount(); s++) total += p.getDataset().getItemCount(s);
        assertEquals(n, total);
        assertTrue(p.getDomainAxis().getRange().contains(2) && p.getDomainAxis().getRange().contains(7));
        // without labels: one series, no legend
        assertNull(ScatterPlot.chart(xy, null, n, null, "z0", "z1").getLegend());
        Path png = dir.resolve("latent.png");
        ScatterPlot.write(png, xy, labels, n, "codes", "PC 1", "PC 2");
        Pngs.assertDrawn(png, ScatterPlot.WIDTH, ScatterPlot.HEIGHT, 30, 0.02);
    }

    @Test
    void errorMapsNameTheirRowsSamplesAndScales() throws Exception {
        int k = 4, h = 8, w = 6, d = h * w;
        float[][] orig = new float[k][d], rec = new float[k][d];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < d; j++) {
                orig[i][j] = (j % w) / (float) (w - 1);
                rec[i][j] = j == i ? 1 - orig[i][j] : orig[i][j] * 0.9f; // one badly reconstructed pixel each
            }
        }
        int[] idx = {17, 3, 250, 9};
        double[] scores = {0.25, 0.2, 0.125, 0.05};
        ErrorMapPlot.Picture pic = ErrorMapPlot.chart(orig, rec, idx, scores, 1, h, w, 1.0, "top 4");
        XYPlot p = pic.chart().getXYPlot();
        SymbolAxis samples = (SymbolAxis) p.getDomainAxis();
        assertArrayEquals(new String[] {"#17: 0.2500", "#3: 0.2000", "#250: 0.1250", "#9: 0.05000"}, samples.getSymbols());
        assertEquals(ErrorMapPlot.SAMPLE_AXIS, samples.getLabel());
        assertArrayEquals(ErrorMapPlot.ROWS, ((SymbolAxis) p.getRangeAxis()).getSymbols());
        assertEquals(3 * k, p.getAnnotations().size(), "three tiles per sample");
        List<String> scales = new ArrayList<>();
        for (Title t : pic.chart().getSubtitles()) if (t instanceof PaintScaleLegend l) scales.add(l.getAxis().getLabel());
        assertEquals(List.of(ErrorMapPlot.ERROR_SCALE, ErrorMapPlot.VALUE_SCALE), scales);
        Path png = dir.resolve("errors.png");
        ErrorMapPlot.write(png, pic);
        BufferedImage img = Pngs.assertDrawn(png, pic.width(), pic.height(), 30, 0.2);
        assertTrue(img.getWidth() > k * 90 && img.getHeight() > 3 * 90, img.getWidth() + "×" + img.getHeight());
        // the error colours: zero error is the scale's dark end, the largest its light end
        ErrorMapPlot.Heat heat = new ErrorMapPlot.Heat(2);
        assertEquals(new Color(0, 0, 4), heat.getPaint(0));
        assertEquals(new Color(252, 255, 164), heat.getPaint(2));
        assertEquals(new Color(252, 255, 164), heat.getPaint(7), "clipped");
        // RGB images: no grey scale, still three tiles each
        float[][] rgb = {new float[3 * d]};
        ErrorMapPlot.Picture c3 = ErrorMapPlot.chart(rgb, rgb, new int[] {0}, new double[] {0}, 3, h, w, 0, null);
        assertEquals(3, c3.chart().getXYPlot().getAnnotations().size());
        assertThrows(dev.bottleneck.BottleneckException.class, () -> ErrorMapPlot.chart(rgb, rgb, new int[] {0}, new double[] {0}, 2, h, w, 1, null));
    }
}
