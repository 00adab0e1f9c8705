package dev.bottleneck.io;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.Plot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;

import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.nio.file.Path;

/**
 * The house style and PNG output of every chart (loss.png, detect.png, errors.png, plot-latent), drawn with
 * JFreeChart: white background, light grey grid, one sans-serif font, the ten "tab10" colours. Charts are rendered
 * off screen into a {@link BufferedImage} (headless: no display is needed) and written atomically.
 */
public final class Charts {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** The ten "tab10" colours; further series reuse them. */
    public static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194),
            new Color(127, 127, 127), new Color(188, 189, 34), new Color(23, 190, 207)};
    public static final Color GRID = new Color(225, 225, 225);
    public static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    public static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    public static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    private Charts() {}

    /** Makes sure this class (and so the headless setting) is initialised before a chart class touches AWT. */
    public static void headless() {
        // the static initialiser did the work
    }

    /** The colour of series {@code i}. */
    public static Color color(int i) {
        return PALETTE[Math.floorMod(i, PALETTE.length)];
    }

    /** A chart around {@code plot} in the house style, with a legend when {@code legend} (below the plot). */
    public static JFreeChart chart(String title, Plot plot, boolean legend) {
        JFreeChart c = new JFreeChart(title, TITLE, plot, legend);
        c.setBackgroundPaint(Color.WHITE);
        c.setAntiAlias(true);
        c.setTextAntiAlias(true);
        if (title != null) c.getTitle().setPaint(Color.BLACK);
        LegendTitle l = c.getLegend();
        if (l != null) {
            l.setItemFont(LABEL);
            l.setFrame(org.jfree.chart.block.BlockBorder.NONE);
            l.setBackgroundPaint(Color.WHITE);
        }
        return c;
    }

    /** Grid and background of an XY plot in the house style; its axes' fonts too. */
    public static XYPlot style(XYPlot p) {
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(GRID);
        p.setRangeGridlinePaint(GRID);
        p.setDomainGridlinesVisible(true);
        p.setRangeGridlinesVisible(true);
        p.setOutlinePaint(Color.GRAY);
        for (int i = 0; i < p.getDomainAxisCount(); i++) style(p.getDomainAxis(i));
        for (int i = 0; i < p.getRangeAxisCount(); i++) style(p.getRangeAxis(i));
        return p;
    }

    /** Fonts and colours of one axis. */
    public static ValueAxis style(ValueAxis a) {
        if (a == null) return null;
        a.setLabelFont(LABEL);
        a.setTickLabelFont(TICK);
        a.setLabelPaint(Color.BLACK);
        a.setTickLabelPaint(Color.DARK_GRAY);
        return a;
    }

    /** A number axis with this label that does not force zero into its range. */
    public static NumberAxis axis(String label) {
        NumberAxis a = new NumberAxis(label);
        a.setAutoRangeIncludesZero(false);
        style(a);
        return a;
    }

    /** A second line under the title, smaller. */
    public static void subtitle(JFreeChart c, String text) {
        TextTitle t = new TextTitle(text, LABEL);
        t.setPaint(Color.DARK_GRAY);
        c.addSubtitle(0, t);
    }

    /** Renders the chart into a {@code width × height} RGB image. */
    public static BufferedImage render(JFreeChart c, int width, int height) {
        return c.createBufferedImage(width, height, BufferedImage.TYPE_INT_RGB, null);
    }

    /** Renders the chart and writes it as a PNG, atomically. */
    public static void write(Path out, JFreeChart c, int width, int height) {
        writePng(out, render(c, width, height));
    }

    /** Writes an image as a PNG, atomically (a reader never sees half a picture). */
    public static void writePng(Path out, BufferedImage img) {
        AtomicFiles.write(out, o -> ChartUtils.writeBufferedImageAsPNG(o, img));
    }
}
