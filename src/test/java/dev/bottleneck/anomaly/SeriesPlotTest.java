package dev.bottleneck.anomaly;

import dev.bottleneck.data.SeriesWindows;
import dev.bottleneck.data.TimeSeries;
import dev.bottleneck.testing.Pngs;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.DateAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.Marker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.Layer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SeriesPlotTest {
    @TempDir Path dir;

    /** Two groups of 200 rows, two features, a labelled burst in group b's test part. */
    static TimeSeries twoGroups() {
        int n = 400;
        SplittableRandom r = new SplittableRandom(3);
        float[] v = new float[2 * n];
        int[] labels = new int[n];
        for (int t = 0; t < n; t++) {
            v[2 * t] = (float) (Math.sin(t / 5.0) + 0.1 * r.nextGaussian());
            v[2 * t + 1] = (float) (20 + Math.cos(t / 5.0) + 0.1 * r.nextGaussian());
            if (t >= 350 && t < 360) {
                labels[t] = 1;
                v[2 * t] += 3;
            }
        }
        return new TimeSeries("two.csv", List.of("humidity", "temperature"), v, null, labels, new int[n],
                List.of(new TimeSeries.Segment("a", 0, 200), new TimeSeries.Segment("b", 200, 400)));
    }

    static JFreeChart chart(TimeSeries s) {
        SeriesWindows.Split split = SeriesWindows.chronological(s, 0.5, 0.2);
        var scaler = SeriesWindows.fitScaler(s, split.train(), dev.bottleneck.data.Scaler.Kind.STANDARD);
        double[] z = SeriesDetector.zScores(s, scaler);
        SeriesDetector.Scores sc = SeriesDetector.score("z-score baseline", s, z, SeriesDetector.rowsOf(split.validation()),
                SeriesDetector.rowsOf(split.test()), Threshold.fpr(0.05));
        return SeriesPlot.chart(s, scaler.offset(), scaler.divisor(), split, sc, "two groups");
    }

    @Test
    void panelsAxesLegendAndPartsAreInTheChart() throws Exception {
        JFreeChart c = chart(twoGroups());
        CombinedDomainXYPlot plot = (CombinedDomainXYPlot) c.getPlot();
        assertEquals("two groups", c.getTitle().getText());
        assertTrue(plot.getDomainAxis().getLabel().startsWith("row (groups side by side"), plot.getDomainAxis().getLabel());
        List<XYPlot> panels = plot.getSubplots();
        assertEquals(2, panels.size());
        assertEquals(SeriesPlot.VALUE_AXIS, panels.get(0).getRangeAxis().getLabel());
        assertEquals("row score (largest |z|)", panels.get(1).getRangeAxis().getLabel());
        List<String> legend = labels(plot.getLegendItems());
        for (String item : List.of("humidity", "temperature", SeriesPlot.FLAGGED_LEGEND, "train part", "validation part (threshold)",
                SeriesPlot.ANOMALY_LEGEND)) {
            assertTrue(legend.contains(item), item + " missing from " + legend);
        }
        List<String> parts = markerLabels(panels.get(0).getDomainMarkers(Layer.BACKGROUND));
        for (String g : List.of("a", "b")) {
            for (String part : List.of("train", "validation", "test")) assertTrue(parts.contains(part + " (" + g + ")"), parts.toString());
        }
        List<String> threshold = markerLabels(panels.get(1).getRangeMarkers(Layer.FOREGROUND));
        assertEquals(1, threshold.size());
        assertTrue(threshold.get(0).startsWith("threshold ") && threshold.get(0).contains("5.00% of validation rows"), threshold.toString());
        // one series per feature on top, the score and the flagged rows below; flagged rows are test rows above the threshold
        assertEquals(2, panels.get(0).getDataset().getSeriesCount());
        assertTrue(panels.get(1).getDataset().getItemCount(1) >= 10, "the burst is flagged");
        Path png = dir.resolve("detect.png");
        SeriesPlot.write(png, c);
        Pngs.assertDrawn(png, SeriesPlot.WIDTH, SeriesPlot.HEIGHT, 50, 0.1);
    }

    @Test
    void oneSeriesWithDatesGetsADateAxisAndHugeScoresALogAxis() throws Exception {
        int n = 300;
        float[] v = new float[n];
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.sin(i / 4.0) + (i == 250 ? 50 : 0);
            t[i] = 1_704_067_200 + 1800.0 * i; // 2024-01-01T00:00Z, half-hourly
        }
        TimeSeries s = new TimeSeries("d.csv", List.of("load"), v, t, null, new int[n], List.of(new TimeSeries.Segment("", 0, n)),
                "time", true);
        JFreeChart c = chart(s);
        CombinedDomainXYPlot plot = (CombinedDomainXYPlot) c.getPlot();
        assertInstanceOf(DateAxis.class, plot.getDomainAxis());
        assertEquals("time (UTC)", plot.getDomainAxis().getLabel());
        assertTrue(plot.getDomainAxis().getRange().contains(t[0] * 1000) && plot.getDomainAxis().getRange().contains(t[n - 1] * 1000));
        XYPlot scores = plot.getSubplots().get(1);
        assertInstanceOf(LogAxis.class, scores.getRangeAxis(), "a score 50 times the threshold");
        assertTrue(scores.getRangeAxis().getLabel().endsWith("log scale)"));
        assertTrue(markerLabels(plot.getSubplots().get(0).getDomainMarkers(Layer.BACKGROUND)).containsAll(List.of("train", "validation", "test")));
        Path png = dir.resolve("dates.png");
        SeriesPlot.write(png, c);
        Pngs.assertDrawn(png, SeriesPlot.WIDTH, SeriesPlot.HEIGHT, 30, 0.05);
    }

    private static List<String> labels(LegendItemCollection items) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < items.getItemCount(); i++) out.add(items.get(i).getLabel());
        return out;
    }

    private static List<String> markerLabels(Collection<?> markers) {
        List<String> out = new ArrayList<>();
        if (markers != null) for (Object m : markers) if (((Marker) m).getLabel() != null) out.add(((Marker) m).getLabel());
        return out;
    }
}
