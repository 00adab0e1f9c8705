package dev.bottleneck.anomaly;

import dev.bottleneck.data.SeriesWindows;
import dev.bottleneck.data.TimeSeries;
import dev.bottleneck.io.Charts;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.DateAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.Marker;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Rectangle;
import java.awt.geom.Ellipse2D;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code detect.png}, the picture of a scored series, drawn with JFreeChart ({@link Charts}): two panels over one
 * x axis. The top panel draws every feature standardised with the training rows' mean and standard deviation (so
 * they share an axis; its range is the 0.1–99.9 percentiles so one spike cannot flatten the rest); the bottom
 * panel draws the method's row score with its threshold as a dashed line and the flagged rows as red dots (on a log
 * axis when the largest score is over 20 times the threshold, so a few huge errors do not flatten the rest). In both,
 * the train part is shaded grey and the validation part blue, each labelled, and labelled anomalies are shaded
 * orange. The x axis is the timestamp (dates when the column held dates) for a single series with a timestamp
 * column, else the row number; groups are laid side by side, each part labelled with its group. Rows without a
 * score (the training part) have no score drawn.
 */
public final class SeriesPlot {
    static {
        Charts.headless();
    }

    /** Picture size in pixels. */
    public static final int WIDTH = 1600, HEIGHT = 760;
    static final Color TRAIN_SHADE = new Color(225, 225, 225), VALIDATION_SHADE = new Color(205, 225, 250),
            ANOMALY_SHADE = new Color(255, 200, 120), FLAGGED = new Color(214, 39, 40), SCORE = new Color(60, 60, 60);
    /** Axis labels (also what the tests look for). */
    public static final String VALUE_AXIS = "value, standardised (training sd)",
            FLAGGED_LEGEND = "flagged rows", ANOMALY_LEGEND = "labelled anomalies";

    private SeriesPlot() {}

    /**
     * The chart. {@code mean}/{@code std} standardise the features; {@code split} gives the parts to shade;
     * {@code scores} are the row scores, threshold and flags of the method drawn in the bottom panel.
     */
    public static JFreeChart chart(TimeSeries s, double[] mean, double[] std, SeriesWindows.Split split, SeriesDetector.Scores scores,
                                   String title) {
        int n = s.rows(), f = s.features();
        double[] x = xValues(s);
        // top panel: the standardised features
        XYSeriesCollection features = new XYSeriesCollection();
        double[] z = new double[n * f];
        for (int j = 0; j < f; j++) {
            XYSeries line = new XYSeries(s.featureNames().get(j), false, true);
            for (int r = 0; r < n; r++) {
                z[r * f + j] = (s.value(r, j) - mean[j]) / std[j];
                if (r > 0 && startsSegment(s, r)) line.add(x[r], Double.NaN); // no line between groups
                line.add(x[r], z[r * f + j]);
            }
            features.addSeries(line);
        }
        XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, false);
        for (int j = 0; j < f; j++) {
            lines.setSeriesPaint(j, Charts.color(j == 3 ? 7 : j)); // red (3) is for flags
            lines.setSeriesStroke(j, new BasicStroke(1f));
        }
        NumberAxis valueAxis = Charts.axis(VALUE_AXIS);
        double[] sorted = z.clone();
        Arrays.sort(sorted);
        double lo = sorted[(int) (0.001 * (sorted.length - 1))], hi = sorted[(int) (0.999 * (sorted.length - 1))];
        if (!(hi > lo)) hi = lo + 1;
        double pad = 0.08 * (hi - lo);
        valueAxis.setRange(lo - pad, hi + 2 * pad); // room for the part labels at the top
        XYPlot top = Charts.style(new XYPlot(features, null, valueAxis, lines));

        // bottom panel: the row score, the flagged rows and the threshold
        XYSeries score = new XYSeries("row score: " + scores.method(), false, true);
        XYSeries flagged = new XYSeries(FLAGGED_LEGEND, false, true);
        boolean gap = true;
        for (int r = 0; r < n; r++) {
            double v = scores.rowScores()[r];
            if (Double.isNaN(v)) {
                if (!gap) score.add(x[r], Double.NaN);
                gap = true;
                continue;
            }
            if (!gap && startsSegment(s, r)) score.add(x[r], Double.NaN);
            score.add(x[r], v);
            gap = false;
            if (scores.flagged()[r]) flagged.add(x[r], v);
        }
        XYSeriesCollection scoreData = new XYSeriesCollection();
        scoreData.addSeries(score);
        scoreData.addSeries(flagged);
        XYLineAndShapeRenderer sr = new XYLineAndShapeRenderer();
        sr.setSeriesLinesVisible(0, true);
        sr.setSeriesShapesVisible(0, false);
        sr.setSeriesPaint(0, SCORE);
        sr.setSeriesStroke(0, new BasicStroke(1f));
        sr.setSeriesLinesVisible(1, false);
        sr.setSeriesShapesVisible(1, true);
        sr.setSeriesPaint(1, FLAGGED);
        sr.setSeriesShape(1, new Ellipse2D.Double(-2.5, -2.5, 5, 5));
        double[] sc = Arrays.stream(scores.rowScores()).filter(d -> !Double.isNaN(d)).sorted().toArray();
        double thr = scores.threshold();
        double ehi = sc.length == 0 ? 1 : Math.max(thr * 1.5, sc[(int) (0.999 * (sc.length - 1))]);
        double elo = sc.length == 0 ? 0 : Math.min(0, sc[0]);
        if (!(ehi > elo)) ehi = elo + 1;
        ValueAxis scoreAxis;
        double positive = Arrays.stream(sc).filter(d -> d > 0).findFirst().orElse(0);
        if (positive > 0 && thr > 0 && sc[sc.length - 1] > 20 * thr) {
            // a few huge scores would flatten everything else on a linear axis
            LogAxis log = new LogAxis("row score (" + scoreUnit(scores.method()) + ", log scale)");
            log.setSmallestValue(positive);
            log.setRange(Math.max(positive, sc[(int) (0.001 * (sc.length - 1))]) / 1.2, sc[sc.length - 1] * 2.5);
            log.setTickUnit(new NumberTickUnit(1), false, true); // one tick per decade
            log.setNumberFormatOverride(new java.text.DecimalFormat(positive >= 1e-4 ? "0.####" : "0E0"));
            scoreAxis = Charts.style(log);
        } else {
            NumberAxis lin = Charts.axis("row score (" + scoreUnit(scores.method()) + ")");
            lin.setRange(elo, ehi + 0.12 * (ehi - elo));
            scoreAxis = lin;
        }
        XYPlot bottom = Charts.style(new XYPlot(scoreData, null, scoreAxis, sr));
        ValueMarker t = new ValueMarker(thr, Color.BLACK, new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {6f, 4f}, 0f));
        t.setLabel(String.format(Locale.ROOT, "threshold %.4g (%.2f%% of validation rows above)", thr, 100 * scores.validationFlaggedShare()));
        labelStyle(t, RectangleAnchor.TOP_RIGHT, TextAnchor.BOTTOM_RIGHT);
        bottom.addRangeMarker(t, Layer.FOREGROUND);

        // both panels: parts, groups and labelled anomalies
        for (XYPlot p : new XYPlot[] {top, bottom}) {
            shadeParts(p, s, split, x, p == top);
            if (s.hasLabels()) shadeAnomalies(p, s, x);
        }
        ValueAxis xAxis = xAxis(s);
        xAxis.setLowerMargin(0.005);
        xAxis.setUpperMargin(0.005);
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(xAxis);
        plot.setGap(12);
        plot.add(top, 3);
        plot.add(bottom, 2);
        Charts.style(plot);
        plot.setFixedLegendItems(legend(top, bottom, s.hasLabels()));
        return Charts.chart(title, plot, true);
    }

    /** Renders the chart at {@value #WIDTH} × {@value #HEIGHT} and writes the PNG atomically. */
    public static void write(Path png, JFreeChart chart) {
        Charts.write(png, chart, WIDTH, HEIGHT);
    }

    /** The x of every row: the timestamp (milliseconds for dates) for one series with timestamps, else the row. */
    static double[] xValues(TimeSeries s) {
        double[] x = new double[s.rows()];
        boolean time = useTime(s);
        for (int r = 0; r < x.length; r++) x[r] = time ? (s.dateTimestamps() ? s.timestamps()[r] * 1000 : s.timestamps()[r]) : r;
        return x;
    }

    private static boolean useTime(TimeSeries s) {
        return s.timestamps() != null && s.segments().size() == 1;
    }

    private static ValueAxis xAxis(TimeSeries s) {
        if (useTime(s) && s.dateTimestamps()) {
            DateAxis a = new DateAxis(s.timestampColumn() + " (UTC)");
            a.setTimeZone(java.util.TimeZone.getTimeZone("UTC"));
            return Charts.style(a);
        }
        if (useTime(s)) return Charts.axis(s.timestampColumn() + " (as in the file)");
        return Charts.axis(s.segments().size() > 1 ? "row (groups side by side, in order of first appearance)" : "row");
    }

    private static String scoreUnit(String method) {
        if (method.contains("autoencoder")) return "window MSE, sd²";
        if (method.contains("seasonal")) return "seasonal difference, sd";
        return "largest |z|";
    }

    private static boolean startsSegment(TimeSeries s, int row) {
        for (TimeSeries.Segment g : s.segments()) if (g.from() == row) return true;
        return false;
    }

    private static void shadeParts(XYPlot p, TimeSeries s, SeriesWindows.Split split, double[] x, boolean labelled) {
        shadePart(p, split.train(), TRAIN_SHADE, s, x, labelled ? "train" : null);
        shadePart(p, split.validation(), VALIDATION_SHADE, s, x, labelled ? "validation" : null);
        if (labelled) {
            for (SeriesWindows.Range r : split.test().ranges()) {
                if (r.length() == 0) continue;
                IntervalMarker m = new IntervalMarker(x[r.from()], end(x, r), new Color(255, 255, 255, 0));
                m.setLabel(partLabel("test", r));
                labelStyle(m, RectangleAnchor.TOP_RIGHT, TextAnchor.TOP_RIGHT); // the validation label may run into the test part
                p.addDomainMarker(m, Layer.BACKGROUND);
            }
        }
        if (s.segments().size() > 1) {
            for (TimeSeries.Segment g : s.segments()) {
                if (g.from() == 0) continue;
                p.addDomainMarker(new ValueMarker(x[g.from()], Color.GRAY, new BasicStroke(1.5f)), Layer.FOREGROUND);
            }
        }
    }

    private static void shadePart(XYPlot p, SeriesWindows.Part part, Color c, TimeSeries s, double[] x, String label) {
        for (SeriesWindows.Range r : part.ranges()) {
            if (r.length() == 0) continue;
            IntervalMarker m = new IntervalMarker(x[r.from()], end(x, r), c);
            m.setAlpha(1f);
            if (label != null) {
                m.setLabel(partLabel(label, r));
                labelStyle(m, RectangleAnchor.TOP_LEFT, TextAnchor.TOP_LEFT);
            }
            p.addDomainMarker(m, Layer.BACKGROUND);
        }
    }

    /** Where a part ends on the x axis: the next row's x (so parts touch), or the last row's. */
    private static double end(double[] x, SeriesWindows.Range r) {
        return r.to() < x.length ? x[r.to()] : x[r.to() - 1];
    }

    private static String partLabel(String part, SeriesWindows.Range r) {
        return r.group().isEmpty() ? part : part + " (" + r.group() + ")";
    }

    private static void shadeAnomalies(XYPlot p, TimeSeries s, double[] x) {
        int n = s.rows();
        for (int r = 0; r < n; r++) {
            if (s.labels()[r] == 0) continue;
            int e = r;
            while (e + 1 < n && s.labels()[e + 1] != 0 && !startsSegment(s, e + 1)) e++;
            double a = x[r], b = e + 1 < n ? x[e + 1] : x[e];
            IntervalMarker m = new IntervalMarker(a, Math.max(b, a), ANOMALY_SHADE);
            m.setAlpha(0.8f);
            p.addDomainMarker(m, Layer.BACKGROUND);
            r = e;
        }
    }

    private static void labelStyle(Marker m, RectangleAnchor anchor, TextAnchor text) {
        m.setLabelFont(Charts.TICK);
        m.setLabelPaint(Color.DARK_GRAY);
        m.setLabelAnchor(anchor);
        m.setLabelTextAnchor(text);
        m.setLabelOffset(new RectangleInsets(4, 4, 4, 4));
        m.setLabelBackgroundColor(new Color(255, 255, 255, 190));
    }

    private static LegendItemCollection legend(XYPlot top, XYPlot bottom, boolean labels) {
        LegendItemCollection items = new LegendItemCollection();
        items.addAll(top.getLegendItems());
        items.addAll(bottom.getLegendItems());
        items.add(box("train part", TRAIN_SHADE));
        items.add(box("validation part (threshold)", VALIDATION_SHADE));
        if (labels) items.add(box(ANOMALY_LEGEND, ANOMALY_SHADE));
        return items;
    }

    private static LegendItem box(String label, Color c) {
        LegendItem i = new LegendItem(label, null, null, null, new Rectangle(-6, -5, 12, 10), c);
        i.setLabelFont(Charts.LABEL);
        return i;
    }
}
