package dev.bottleneck.io;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;

/**
 * The training-curve PNG ({@code loss.png}): train loss (blue) and validation loss (orange) per epoch, a line with a
 * dot per epoch, epoch axis in whole numbers, the loss axis labelled with what the loss is, and a legend. NaN values
 * (no validation split, an epoch without a value) are left out; the validation curve is drawn only when it has a
 * value. Drawn with JFreeChart ({@link Charts}) and written atomically.
 */
public final class LossCurvePlot {
    public static final Color TRAIN = Charts.color(0);
    public static final Color VALIDATION = Charts.color(1);
    /** Picture size in pixels. */
    public static final int WIDTH = 640, HEIGHT = 400;
    /** The loss axis label when the caller does not say what the loss is. */
    public static final String DEFAULT_LOSS_LABEL = "loss";

    private LossCurvePlot() {}

    /** The chart; {@code train[i]} and {@code validation[i]} (may be null) belong to epoch {@code i + 1}. */
    public static JFreeChart chart(double[] train, double[] validation, String title, String lossLabel) {
        int n = train.length;
        if (validation != null && validation.length != n) {
            throw new IllegalArgumentException(n + " train values but " + validation.length + " validation values");
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(series("train", train));
        XYSeries val = validation == null ? null : series("validation", validation);
        if (val != null && val.getItemCount() > 0) data.addSeries(val);
        NumberAxis epochs = Charts.axis("epoch");
        epochs.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        epochs.setRange(0.5, Math.max(n, 1) + 0.5);
        NumberAxis loss = Charts.axis(lossLabel == null ? DEFAULT_LOSS_LABEL : lossLabel);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesPaint(i, i == 0 ? TRAIN : VALIDATION);
            r.setSeriesStroke(i, new BasicStroke(2f));
            r.setSeriesShape(i, new java.awt.geom.Ellipse2D.Double(-3, -3, 6, 6));
        }
        XYPlot p = Charts.style(new XYPlot(data, epochs, loss, r));
        return Charts.chart(title, p, true);
    }

    /** {@link #chart} rendered at {@value #WIDTH} × {@value #HEIGHT}. */
    public static BufferedImage render(double[] train, double[] validation, String title) {
        return Charts.render(chart(train, validation, title, null), WIDTH, HEIGHT);
    }

    /** Renders and writes the PNG atomically. */
    public static void write(Path out, double[] train, double[] validation, String title) {
        write(out, train, validation, title, null);
    }

    /** Renders and writes the PNG atomically, the loss axis labelled {@code lossLabel} (null: "loss"). */
    public static void write(Path out, double[] train, double[] validation, String title, String lossLabel) {
        Charts.write(out, chart(train, validation, title, lossLabel), WIDTH, HEIGHT);
    }

    private static XYSeries series(String name, double[] v) {
        XYSeries s = new XYSeries(name, false, true);
        for (int i = 0; i < v.length; i++) if (Double.isFinite(v[i])) s.add(i + 1, v[i]);
        return s;
    }
}
