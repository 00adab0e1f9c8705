package dev.bottleneck.anomaly;

import dev.bottleneck.data.TimeSeries;
import dev.bottleneck.io.AtomicFiles;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A PNG of a scored series: the top panel draws every feature (standardised with the given mean/std so they share an
 * axis) with labelled anomalies shaded orange and flagged rows as red dots; the bottom panel draws the row error
 * with the threshold as a dashed line. Segments (groups) are laid side by side, separated by grey lines. Rows
 * without a score (the training part) have no error drawn.
 */
public final class SeriesPlot {
    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(44, 160, 44), new Color(148, 103, 189),
            new Color(140, 86, 75), new Color(127, 127, 127)};

    private SeriesPlot() {}

    public static void write(Path png, TimeSeries s, double[] mean, double[] std, double[] rowScores, double threshold,
                             boolean[] flagged, String title) {
        int w = 1600, h = 760, left = 70, right = 20, top = 40, gap = 40;
        int panel1 = 380, panel2 = h - top - gap - panel1 - 40;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        int n = s.rows(), f = s.features();
        double plotW = w - left - right;
        // value range of the standardised features (clipped to the 0.1 / 99.9 percentiles so one spike cannot flatten the rest)
        double[] z = new double[n * f];
        for (int r = 0; r < n; r++) for (int j = 0; j < f; j++) z[r * f + j] = (s.value(r, j) - mean[j]) / std[j];
        double[] sorted = z.clone();
        Arrays.sort(sorted);
        double zlo = sorted[(int) (0.001 * (sorted.length - 1))], zhi = sorted[(int) (0.999 * (sorted.length - 1))];
        if (zhi <= zlo) zhi = zlo + 1;
        double[] sc = Arrays.stream(rowScores).filter(d -> !Double.isNaN(d)).sorted().toArray();
        double ehi = sc.length == 0 ? 1 : Math.max(threshold * 1.5, sc[(int) (0.999 * (sc.length - 1))]);
        int y1 = top, y2 = top + panel1 + gap;
        // labelled anomalies
        if (s.hasLabels()) {
            g.setColor(new Color(255, 200, 120));
            for (int r = 0; r < n; r++) {
                if (s.labels()[r] == 0) continue;
                int x = (int) (left + plotW * r / n);
                g.fillRect(x, y1, Math.max(1, (int) Math.ceil(plotW / n)), panel1);
                g.fillRect(x, y2, Math.max(1, (int) Math.ceil(plotW / n)), panel2);
            }
        }
        g.setColor(Color.LIGHT_GRAY);
        for (TimeSeries.Segment seg : s.segments()) {
            int x = (int) (left + plotW * seg.from() / n);
            g.drawLine(x, y1, x, y2 + panel2);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, y1, (int) plotW, panel1);
        g.drawRect(left, y2, (int) plotW, panel2);
        g.setStroke(new BasicStroke(1f));
        for (int j = 0; j < f; j++) {
            g.setColor(PALETTE[j % PALETTE.length]);
            int px = -1, py = 0;
            for (int r = 0; r < n; r++) {
                int x = (int) (left + plotW * r / n);
                double v = Math.max(zlo, Math.min(zhi, z[r * f + j]));
                int y = (int) (y1 + panel1 - (v - zlo) / (zhi - zlo) * panel1);
                if (px >= 0 && !isBoundary(s, r)) g.drawLine(px, py, x, y);
                px = x;
                py = y;
            }
            g.drawString(s.featureNames().get(j), left + 10 + 120 * j, y1 + 15);
        }
        g.setColor(Color.RED);
        for (int r = 0; r < n; r++) {
            if (!flagged[r]) continue;
            int x = (int) (left + plotW * r / n);
            double v = Math.max(zlo, Math.min(zhi, z[r * f]));
            int y = (int) (y1 + panel1 - (v - zlo) / (zhi - zlo) * panel1);
            g.fillOval(x - 2, y - 2, 4, 4);
        }
        // error panel
        g.setColor(new Color(214, 39, 40));
        int px = -1, py = 0;
        for (int r = 0; r < n; r++) {
            if (Double.isNaN(rowScores[r])) {
                px = -1;
                continue;
            }
            int x = (int) (left + plotW * r / n);
            int y = (int) (y2 + panel2 - Math.min(1.0, rowScores[r] / ehi) * panel2);
            if (px >= 0 && !isBoundary(s, r)) g.drawLine(px, py, x, y);
            px = x;
            py = y;
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        int ty = (int) (y2 + panel2 - Math.min(1.0, threshold / ehi) * panel2);
        g.drawLine(left, ty, left + (int) plotW, ty);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.drawString(title, left, 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString("standardised features; red dots: flagged rows; orange: labelled anomalies", left, y1 + panel1 + 15);
        g.drawString(String.format(java.util.Locale.ROOT, "row error (0 .. %.3g); dashed: threshold %.3g", ehi, threshold), left, y2 + panel2 + 15);
        g.drawString("row", left + (int) plotW - 30, y2 + panel2 + 30);
        g.dispose();
        AtomicFiles.write(png, out -> {
            if (!ImageIO.write(img, "png", out)) throw new java.io.IOException("no PNG writer");
        });
    }

    private static boolean isBoundary(TimeSeries s, int row) {
        for (TimeSeries.Segment seg : s.segments()) if (seg.from() == row) return true;
        return false;
    }
}
