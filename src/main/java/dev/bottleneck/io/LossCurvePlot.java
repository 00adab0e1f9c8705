package dev.bottleneck.io;

import dev.bottleneck.BottleneckException;

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

/**
 * A training-curve PNG drawn with java.awt: train loss (blue) and validation loss (orange) per epoch, with axes,
 * ticks and a legend. Written atomically, so a reader never sees half a picture. NaN values (no validation split)
 * are left out.
 */
public final class LossCurvePlot {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    public static final Color TRAIN = new Color(31, 119, 180);
    public static final Color VALIDATION = new Color(255, 127, 14);
    private static final int W = 640, H = 400, LEFT = 70, RIGHT = 20, TOP = 36, BOTTOM = 50;

    private LossCurvePlot() {}

    /** Renders the curves; {@code train[i]} and {@code validation[i]} belong to epoch {@code i + 1}. */
    public static BufferedImage render(double[] train, double[] validation, String title) {
        int n = train.length;
        if (validation != null && validation.length != n) {
            throw new IllegalArgumentException(n + " train values but " + validation.length + " validation values");
        }
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            for (double v : validation == null ? new double[] {train[i]} : new double[] {train[i], validation[i]}) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (!(hi >= lo)) { lo = 0; hi = 1; }
        if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) { double m = Math.max(Math.abs(hi) * 0.05, 1e-6); lo -= m; hi += m; }
        double pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;
        int xMax = Math.max(n, 2);

        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, W, H);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics fm = g.getFontMetrics();
            int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
            // grid and ticks
            for (int t = 0; t <= 5; t++) {
                double v = lo + (hi - lo) * t / 5;
                int y = TOP + ph - (int) Math.round(ph * t / 5.0);
                g.setColor(new Color(230, 230, 230));
                g.drawLine(LEFT, y, LEFT + pw, y);
                g.setColor(Color.DARK_GRAY);
                String s = String.format(Locale.ROOT, "%.4g", v);
                g.drawString(s, LEFT - 6 - fm.stringWidth(s), y + fm.getAscent() / 2 - 1);
            }
            int step = Math.max(1, (int) Math.ceil(xMax / 10.0));
            for (int e = 1; e <= xMax; e += step) {
                int x = xPix(e, xMax, pw);
                g.setColor(Color.DARK_GRAY);
                g.drawLine(x, TOP + ph, x, TOP + ph + 4);
                String s = Integer.toString(e);
                g.drawString(s, x - fm.stringWidth(s) / 2, TOP + ph + 6 + fm.getAscent());
            }
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, pw, ph);
            String xl = "epoch";
            g.drawString(xl, LEFT + pw / 2 - fm.stringWidth(xl) / 2, H - 10);
            g.drawString("loss", 8, TOP - 10);
            if (title != null) {
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
                g.drawString(title, LEFT, TOP - 12);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            }
            series(g, train, TRAIN, lo, hi, xMax, pw, ph);
            boolean hasVal = false;
            if (validation != null) for (double v : validation) hasVal |= Double.isFinite(v);
            if (hasVal) series(g, validation, VALIDATION, lo, hi, xMax, pw, ph);
            // legend
            int lx = LEFT + pw - 120, ly = TOP + 10;
            g.setColor(TRAIN);
            g.fillRect(lx, ly, 18, 4);
            g.setColor(Color.BLACK);
            g.drawString("train", lx + 24, ly + 6);
            if (hasVal) {
                g.setColor(VALIDATION);
                g.fillRect(lx, ly + 16, 18, 4);
                g.setColor(Color.BLACK);
                g.drawString("validation", lx + 24, ly + 22);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Renders and writes the PNG atomically. */
    public static void write(Path out, double[] train, double[] validation, String title) {
        BufferedImage img = render(train, validation, title);
        AtomicFiles.write(out, o -> {
            if (!ImageIO.write(img, "png", o)) throw new BottleneckException("no PNG writer available");
        });
    }

    private static int xPix(int epoch, int xMax, int pw) {
        return LEFT + (int) Math.round((epoch - 1) * (double) pw / (xMax - 1));
    }

    private static void series(Graphics2D g, double[] v, Color c, double lo, double hi, int xMax, int pw, int ph) {
        g.setColor(c);
        g.setStroke(new BasicStroke(2f));
        int px = -1, py = -1;
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) { px = -1; continue; }
            int x = xPix(i + 1, xMax, pw);
            int y = TOP + ph - (int) Math.round((v[i] - lo) / (hi - lo) * ph);
            if (px >= 0) g.drawLine(px, py, x, y);
            g.fillOval(x - 3, y - 3, 6, 6);
            px = x;
            py = y;
        }
        g.setStroke(new BasicStroke(1f));
    }
}
