package dev.bottleneck.apps;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.AtomicFiles;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeSet;

/** A 2-D scatter plot of points coloured by label (java.awt), with axes, ticks and a legend; written atomically. */
public final class ScatterPlot {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** The ten "tab10" colours; further labels reuse them. */
    static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
            new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127),
            new Color(188, 189, 34), new Color(23, 190, 207)};

    private ScatterPlot() {}

    /** {@code xy} holds n (x, y) pairs; {@code labels} may be null (one colour). */
    public static BufferedImage render(float[] xy, int[] labels, int n, String title, String xLabel, String yLabel) {
        int w = 760, h = 640, left = 70, right = 110, top = 40, bottom = 50;
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            x0 = Math.min(x0, xy[2 * i]); x1 = Math.max(x1, xy[2 * i]);
            y0 = Math.min(y0, xy[2 * i + 1]); y1 = Math.max(y1, xy[2 * i + 1]);
        }
        if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
        if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
        double px = (x1 - x0) * 0.04, py = (y1 - y0) * 0.04;
        x0 -= px; x1 += px; y0 -= py; y1 += py;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            int pw = w - left - right, ph = h - top - bottom;
            for (int t = 0; t <= 5; t++) {
                int yy = top + ph - ph * t / 5, xx = left + pw * t / 5;
                g.setColor(new Color(235, 235, 235));
                g.drawLine(left, yy, left + pw, yy);
                g.drawLine(xx, top, xx, top + ph);
                g.setColor(Color.DARK_GRAY);
                String sy = String.format(Locale.ROOT, "%.3g", y0 + (y1 - y0) * t / 5);
                g.drawString(sy, left - 6 - fm.stringWidth(sy), yy + 4);
                String sx = String.format(Locale.ROOT, "%.3g", x0 + (x1 - x0) * t / 5);
                g.drawString(sx, xx - fm.stringWidth(sx) / 2, top + ph + 16);
            }
            TreeSet<Integer> seen = new TreeSet<>();
            for (int i = 0; i < n; i++) {
                int lab = labels == null ? 0 : labels[i];
                seen.add(lab);
                g.setColor(withAlpha(PALETTE[Math.floorMod(lab, PALETTE.length)], 150));
                int xx = left + (int) Math.round((xy[2 * i] - x0) / (x1 - x0) * pw);
                int yy = top + ph - (int) Math.round((xy[2 * i + 1] - y0) / (y1 - y0) * ph);
                g.fillOval(xx - 2, yy - 2, 5, 5);
            }
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1f));
            g.drawRect(left, top, pw, ph);
            if (xLabel != null) g.drawString(xLabel, left + pw / 2 - fm.stringWidth(xLabel) / 2, h - 12);
            if (yLabel != null) g.drawString(yLabel, 8, top - 8);
            if (title != null) {
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
                g.drawString(title, left, 20);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            }
            if (labels != null) {
                int ly = top + 8;
                for (int lab : seen) {
                    g.setColor(PALETTE[Math.floorMod(lab, PALETTE.length)]);
                    g.fillOval(left + pw + 16, ly - 8, 9, 9);
                    g.setColor(Color.BLACK);
                    g.drawString(Integer.toString(lab), left + pw + 32, ly);
                    ly += 18;
                    if (ly > top + ph) break;
                }
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    public static void write(Path out, float[] xy, int[] labels, int n, String title, String xLabel, String yLabel) {
        BufferedImage img = render(xy, labels, n, title, xLabel, yLabel);
        AtomicFiles.write(out, o -> {
            if (!ImageIO.write(img, "png", o)) throw new BottleneckException("no PNG writer available");
        });
    }

    private static Color withAlpha(Color c, int a) {
        return new Color(c.getRed(), c.getGreen(), c.getBlue(), a);
    }
}
