package dev.bottleneck.apps;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Charts;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYDataImageAnnotation;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.AxisSpace;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.GrayPaintScale;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;

import java.awt.Color;
import java.awt.Paint;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code errors.png} of {@code detect MODEL_DIR}: the highest-scoring images in columns, with three rows — the
 * original, its reconstruction and the squared error per pixel as a heat map — drawn with JFreeChart
 * ({@link Charts}): the column axis names each sample (its index and score), the row axis names the rows, and colour
 * bars on the right give the pixel-value scale and the squared-error scale with their values. Images are CHW
 * floats (1 channel: grey; 3: RGB; 4: RGB and alpha, drawn from the RGB planes) with values in [0, 1]; the error of a pixel
 * is the mean over its channels.
 */
public final class ErrorMapPlot {
    static {
        Charts.headless();
    }

    /** Row names, top to bottom. */
    public static final String[] ROWS = {"original", "reconstruction", "squared error"};
    public static final String SAMPLE_AXIS = "test sample  #index: score (reconstruction MSE)";
    public static final String ERROR_SCALE = "squared error per pixel (values in [0, 1])";
    public static final String VALUE_SCALE = "pixel value";
    static final int LEFT = 110, RIGHT_PER_LEGEND = 95, TOP = 40, BOTTOM = 50;

    private ErrorMapPlot() {}

    /** What a picture is made of: the layout follows from the image size and the number of samples. */
    public record Picture(JFreeChart chart, int width, int height) { }

    /**
     * The chart for {@code k = originals.length} samples: {@code indices[i]} and {@code scores[i]} name column i;
     * {@code errorMax} tops the error colour scale (the largest squared error shown, at least a tiny positive value).
     */
    public static Picture chart(float[][] originals, float[][] reconstructions, int[] indices, double[] scores, int channels, int height,
                                int width, double errorMax, String title) {
        int k = originals.length;
        if (k == 0) throw new BottleneckException("no samples to draw");
        if (channels != 1 && channels != 3 && channels != 4) throw new BottleneckException("error maps need 1, 3 or 4 channels, got " + channels);
        double top = errorMax > 0 && Double.isFinite(errorMax) ? errorMax : 1e-12;
        PaintScale heat = new Heat(top);
        String[] samples = new String[k];
        for (int i = 0; i < k; i++) samples[i] = String.format(Locale.ROOT, "#%d: %.4g", indices[i], scores[i]);
        SymbolAxis x = new SymbolAxis(SAMPLE_AXIS, samples);
        x.setGridBandsVisible(false);
        x.setRange(-0.5, k - 0.5);
        SymbolAxis y = new SymbolAxis(null, ROWS);
        y.setGridBandsVisible(false);
        y.setInverted(true);
        y.setRange(-0.5, ROWS.length - 0.5);
        XYPlot plot = new XYPlot(null, Charts.style(x), Charts.style(y), null);
        Charts.style(plot);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setBackgroundPaint(new Color(245, 245, 245));
        plot.setInsets(RectangleInsets.ZERO_INSETS);
        for (int i = 0; i < k; i++) {
            BufferedImage[] tiles = {tile(originals[i], channels, height, width), tile(reconstructions[i], channels, height, width),
                    errorTile(originals[i], reconstructions[i], channels, height, width, heat)};
            for (int r = 0; r < tiles.length; r++) {
                plot.addAnnotation(new XYDataImageAnnotation(tiles[r], i - 0.45, r - 0.45, 0.9, 0.9, false), false);
            }
        }
        int legends = channels == 1 ? 2 : 1;
        int cell = Math.max(90, Math.min(256, 3 * width));
        int plotW = k * cell, plotH = ROWS.length * cell * height / Math.max(1, width);
        AxisSpace left = new AxisSpace();
        left.setLeft(LEFT);
        plot.setFixedRangeAxisSpace(left);
        AxisSpace below = new AxisSpace();
        below.setBottom(BOTTOM);
        plot.setFixedDomainAxisSpace(below);
        JFreeChart chart = Charts.chart(title, plot, false);
        chart.getRenderingHints().put(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        chart.setPadding(RectangleInsets.ZERO_INSETS);
        chart.addSubtitle(legend(heat, ERROR_SCALE));
        if (channels == 1) chart.addSubtitle(legend(new GrayPaintScale(0, 1), VALUE_SCALE));
        return new Picture(chart, LEFT + plotW + legends * RIGHT_PER_LEGEND, TOP + plotH + BOTTOM);
    }

    /** Renders the chart at its own size and writes the PNG atomically. */
    public static void write(Path png, Picture p) {
        Charts.write(png, p.chart(), p.width(), p.height());
    }

    private static PaintScaleLegend legend(PaintScale scale, String label) {
        NumberAxis a = Charts.axis(label);
        a.setRange(scale.getLowerBound(), scale.getUpperBound());
        a.setAutoRangeIncludesZero(true);
        PaintScaleLegend l = new PaintScaleLegend(scale, a);
        l.setPosition(RectangleEdge.RIGHT);
        l.setAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
        l.setStripWidth(12);
        l.setSubdivisionCount(128);
        l.setMargin(new RectangleInsets(TOP, 6, BOTTOM, 4));
        l.setBackgroundPaint(Color.WHITE);
        return l;
    }

    /** The image itself, one pixel per value (the chart scales it up, nearest neighbour). */
    static BufferedImage tile(float[] x, int c, int h, int w) {
        if (x.length != c * h * w) throw new BottleneckException("an image of " + x.length + " values is not " + c + "×" + h + "×" + w);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int plane = h * w;
        for (int i = 0; i < plane; i++) {
            int rgb;
            if (c == 1) {
                int g = byteOf(x[i]);
                rgb = g << 16 | g << 8 | g;
            } else {
                rgb = byteOf(x[i]) << 16 | byteOf(x[plane + i]) << 8 | byteOf(x[2 * plane + i]);
            }
            img.setRGB(i % w, i / w, rgb);
        }
        return img;
    }

    /** The per-pixel squared error (mean over channels) in the colours of {@code scale}. */
    static BufferedImage errorTile(float[] x, float[] r, int c, int h, int w, PaintScale scale) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int plane = h * w;
        for (int i = 0; i < plane; i++) {
            double e = 0;
            for (int ch = 0; ch < c; ch++) {
                double d = x[ch * plane + i] - r[ch * plane + i];
                e += d * d;
            }
            img.setRGB(i % w, i / w, ((Color) scale.getPaint(e / c)).getRGB());
        }
        return img;
    }

    private static int byteOf(float v) {
        if (Float.isNaN(v)) return 0;
        return (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
    }

    /** A black → purple → orange → yellow colour scale ("inferno"-like) over [0, upper]; values outside are clipped. */
    static final class Heat implements PaintScale {
        private static final Color[] STOPS = {new Color(0, 0, 4), new Color(87, 16, 110), new Color(188, 55, 84),
                new Color(249, 142, 9), new Color(252, 255, 164)};
        private final double upper;

        Heat(double upper) {
            this.upper = upper;
        }

        @Override
        public double getLowerBound() {
            return 0;
        }

        @Override
        public double getUpperBound() {
            return upper;
        }

        @Override
        public Paint getPaint(double value) {
            double t = Double.isNaN(value) ? 0 : Math.max(0, Math.min(1, value / upper)) * (STOPS.length - 1);
            int i = Math.min(STOPS.length - 2, (int) t);
            double f = t - i;
            Color a = STOPS[i], b = STOPS[i + 1];
            return new Color((int) Math.round(a.getRed() + f * (b.getRed() - a.getRed())),
                    (int) Math.round(a.getGreen() + f * (b.getGreen() - a.getGreen())),
                    (int) Math.round(a.getBlue() + f * (b.getBlue() - a.getBlue())));
        }
    }
}
