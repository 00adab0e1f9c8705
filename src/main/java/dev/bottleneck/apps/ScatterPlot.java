package dev.bottleneck.apps;

import dev.bottleneck.io.Charts;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.TreeMap;

/**
 * A 2-D scatter plot of points coloured by label (the latent scatter of {@code plot-latent}), with axes, ticks and a
 * legend of the labels on the right; drawn with JFreeChart ({@link Charts}) and written atomically.
 */
public final class ScatterPlot {
    static {
        Charts.headless();
    }

    /** Picture size in pixels. */
    public static final int WIDTH = 760, HEIGHT = 640;

    private ScatterPlot() {}

    /**
     * The chart: {@code xy} holds n (x, y) pairs; {@code labels} may be null (one colour, no legend). One series per
     * label ("label 3"), in increasing label order, coloured by {@link Charts#color} of the label.
     */
    public static JFreeChart chart(float[] xy, int[] labels, int n, String title, String xLabel, String yLabel) {
        TreeMap<Integer, XYSeries> byLabel = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            int lab = labels == null ? 0 : labels[i];
            byLabel.computeIfAbsent(lab, l -> new XYSeries(labels == null ? "codes" : "label " + l, false, true)).add(xy[2 * i], xy[2 * i + 1]);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
        int k = 0;
        for (var e : byLabel.entrySet()) {
            data.addSeries(e.getValue());
            Color c = Charts.color(e.getKey());
            r.setSeriesPaint(k, new Color(c.getRed(), c.getGreen(), c.getBlue(), 150));
            r.setSeriesShape(k, new Ellipse2D.Double(-2.5, -2.5, 5, 5));
            k++;
        }
        XYPlot p = Charts.style(new XYPlot(data, Charts.axis(xLabel), Charts.axis(yLabel), r));
        JFreeChart chart = Charts.chart(title, p, labels != null);
        LegendTitle legend = chart.getLegend();
        if (legend != null) legend.setPosition(RectangleEdge.RIGHT);
        return chart;
    }

    public static BufferedImage render(float[] xy, int[] labels, int n, String title, String xLabel, String yLabel) {
        return Charts.render(chart(xy, labels, n, title, xLabel, yLabel), WIDTH, HEIGHT);
    }

    public static void write(Path out, float[] xy, int[] labels, int n, String title, String xLabel, String yLabel) {
        Charts.writePng(out, render(xy, labels, n, title, xLabel, yLabel));
    }
}
