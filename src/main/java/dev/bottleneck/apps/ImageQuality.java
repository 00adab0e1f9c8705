package dev.bottleneck.apps;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** Image-quality and size measures for compression reports. */
public final class ImageQuality {
    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private ImageQuality() {}

    /** Mean squared error over all values. */
    public static double mse(float[] a, float[] b, int count) {
        double s = 0;
        for (int i = 0; i < count; i++) {
            double t = a[i] - b[i];
            s += t * t;
        }
        return s / count;
    }

    /** PSNR in dB for values with the given peak (1 for pixels in [0, 1]): {@code 10 log10(peak² / MSE)}; +∞ when equal. */
    public static double psnr(float[] a, float[] b, int count, double peak) {
        double m = mse(a, b, count);
        return m == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(peak * peak / m);
    }

    /** Mean PSNR over images (each image's own PSNR, then averaged), peak 1; images with zero error count as 100 dB. */
    public static double meanImagePsnr(float[] a, float[] b, int n, int d) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double m = 0;
            for (int j = 0; j < d; j++) { double t = a[i * d + j] - b[i * d + j]; m += t * t; }
            m /= d;
            s += m == 0 ? 100 : Math.min(100, 10 * Math.log10(1 / m));
        }
        return s / n;
    }

    /**
     * The bytes of one image ([0, 1] values, 1, 3 or 4 (RGB and alpha) channels, channel-major) encoded as an 8-bit PNG by
     * ImageIO, in memory.
     */
    public static int pngBytes(float[] x, int offset, int channels, int height, int width) {
        BufferedImage img = new BufferedImage(width, height, channels == 1 ? BufferedImage.TYPE_BYTE_GRAY
                : channels == 4 ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        int plane = height * width;
        for (int y = 0; y < height; y++) {
            for (int xx = 0; xx < width; xx++) {
                int p = y * width + xx;
                if (channels == 1) {
                    img.getRaster().setSample(xx, y, 0, to8(x[offset + p]));
                } else {
                    int r = to8(x[offset + p]), g = to8(x[offset + plane + p]), b = to8(x[offset + 2 * plane + p]);
                    int a = channels == 4 ? to8(x[offset + 3 * plane + p]) : 255;
                    img.setRGB(xx, y, (a << 24) | (r << 16) | (g << 8) | b);
                }
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.size();
    }

    private static int to8(float v) {
        return (int) Math.max(0, Math.min(255, Math.round(v * 255.0)));
    }
}
