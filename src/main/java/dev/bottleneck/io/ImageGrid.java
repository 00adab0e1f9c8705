package dev.bottleneck.io;

import dev.bottleneck.BottleneckException;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes PNG grids of images (for example originals above reconstructions) with {@link ImageIO}; no
 * display is needed. Images are float arrays in CHW order; 1 channel gives a grayscale PNG, 3 an RGB PNG.
 * Cells are separated by {@value #GAP}-pixel gaps of mid gray ({@value #GAP_GRAY}); a row shorter than the
 * longest leaves its remaining cells gray. The image is {@code cols*width*scale + (cols-1)*GAP} pixels
 * wide and {@code rows*height*scale + (rows-1)*GAP} high.
 */
public final class ImageGrid {

    /** Pixels between neighbouring cells (not scaled). */
    public static final int GAP = 2;
    /** Gray level of gaps and empty cells. */
    public static final int GAP_GRAY = 128;

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private ImageGrid() {
    }

    /**
     * Writes a grid where {@code rows.get(r)[c]} is the image at row r, column c. Values map linearly
     * from [lo, hi] to 0..255 and are clipped; NaN becomes 0. Each pixel is repeated {@code scale} times
     * in both directions (nearest neighbour).
     */
    public static void writeRows(Path out, List<float[][]> rows, int channels, int height, int width, int scale,
                                 double lo, double hi) {
        BufferedImage image = render(out, rows, channels, height, width, scale, lo, hi);
        writePng(out, image);
    }

    /**
     * Writes {@code count} originals in the top row and their reconstructions in the row below, values in
     * [0, 1]. Both arrays are row-major, one image of {@code channels*height*width} values after another.
     */
    public static void writeComparison(Path out, float[] originals, float[] reconstructions, int count,
                                       int channels, int height, int width, int scale) {
        List<float[][]> rows = new ArrayList<>(2);
        rows.add(slice(out, "originals", originals, count, channels, height, width));
        rows.add(slice(out, "reconstructions", reconstructions, count, channels, height, width));
        writeRows(out, rows, channels, height, width, scale, 0.0, 1.0);
    }

    /**
     * Writes {@code count} images from a row-major array as a grid of {@code columns} columns (for
     * samples from a generative model), values mapped from [lo, hi].
     */
    public static void writeTiles(Path out, float[] images, int count, int columns, int channels, int height,
                                  int width, int scale, double lo, double hi) {
        if (columns < 1) {
            throw new BottleneckException("cannot write " + out + ": columns must be at least 1, got " + columns);
        }
        float[][] all = slice(out, "images", images, count, channels, height, width);
        List<float[][]> rows = new ArrayList<>();
        for (int start = 0; start < count; start += columns) {
            float[][] row = new float[Math.min(columns, count - start)][];
            System.arraycopy(all, start, row, 0, row.length);
            rows.add(row);
        }
        writeRows(out, rows, channels, height, width, scale, lo, hi);
    }

    /** Renders the grid without writing it (exposed for callers that embed or show the image). */
    public static BufferedImage render(Path out, List<float[][]> rows, int channels, int height, int width,
                                       int scale, double lo, double hi) {
        String where = "cannot write " + out + ": ";
        if (channels != 1 && channels != 3) {
            throw new BottleneckException(where + "images need 1 (grayscale) or 3 (RGB) channels, got " + channels);
        }
        if (height < 1 || width < 1 || scale < 1) {
            throw new BottleneckException(where + "height, width and scale must be at least 1, got height "
                    + height + ", width " + width + ", scale " + scale);
        }
        if (!(hi > lo) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
            throw new BottleneckException(where + "the value range [" + lo + ", " + hi
                    + "] must be finite with lo < hi");
        }
        if (rows == null || rows.isEmpty()) {
            throw new BottleneckException(where + "no images to draw");
        }
        int cols = 0;
        for (float[][] row : rows) {
            cols = Math.max(cols, row == null ? 0 : row.length);
        }
        if (cols == 0) {
            throw new BottleneckException(where + "no images to draw (every row is empty)");
        }
        int per = channels * height * width;
        for (int r = 0; r < rows.size(); r++) {
            float[][] row = rows.get(r);
            for (int c = 0; row != null && c < row.length; c++) {
                if (row[c] == null || row[c].length != per) {
                    throw new BottleneckException(where + "row " + r + ", image " + c + " has "
                            + (row[c] == null ? "no data" : row[c].length + " values") + ", expected " + per
                            + " (" + channels + "x" + height + "x" + width + ")");
                }
            }
        }
        int cellW = width * scale;
        int cellH = height * scale;
        long totalW = (long) cols * cellW + (long) (cols - 1) * GAP;
        long totalH = (long) rows.size() * cellH + (long) (rows.size() - 1) * GAP;
        if (totalW * totalH > (1L << 28)) {
            throw new BottleneckException(where + "the grid would be " + totalW + "x" + totalH
                    + " pixels; draw fewer images or use a smaller scale");
        }
        int w = (int) totalW;
        int h = (int) totalH;
        BufferedImage image = new BufferedImage(w, h,
                channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        double k = 255.0 / (hi - lo);
        int plane = height * width;
        Pixel pixel;
        if (channels == 1) {
            byte[] px = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
            java.util.Arrays.fill(px, (byte) GAP_GRAY);
            pixel = (img, i, at) -> px[at] = (byte) toByte(img[i], lo, k);
        } else {
            int[] px = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
            java.util.Arrays.fill(px, (GAP_GRAY << 16) | (GAP_GRAY << 8) | GAP_GRAY);
            pixel = (img, i, at) -> {
                int red = toByte(img[i], lo, k);
                int green = toByte(img[plane + i], lo, k);
                int blue = toByte(img[2 * plane + i], lo, k);
                px[at] = (red << 16) | (green << 8) | blue;
            };
        }
        for (int r = 0; r < rows.size(); r++) {
            float[][] row = rows.get(r);
            for (int c = 0; row != null && c < row.length; c++) {
                float[] img = row[c];
                int x0 = c * (cellW + GAP);
                int y0 = r * (cellH + GAP);
                for (int y = 0; y < cellH; y++) {
                    int base = (y0 + y) * w + x0;
                    int src = (y / scale) * width;
                    for (int x = 0; x < cellW; x++) pixel.put(img, src + x / scale, base + x);
                }
            }
        }
        return image;
    }

    /** Writes pixel {@code i} of the (CHW) image {@code img} at index {@code at} of the picture's raster. */
    private interface Pixel {
        void put(float[] img, int i, int at);
    }

    private static int toByte(float v, double lo, double k) {
        double s = (v - lo) * k;
        if (!(s > 0)) {
            return 0; // also NaN
        }
        if (s >= 255) {
            return 255;
        }
        return (int) Math.round(s);
    }

    private static float[][] slice(Path out, String what, float[] data, int count, int channels, int height,
                                   int width) {
        int per = channels * height * width;
        if (count < 1) {
            throw new BottleneckException("cannot write " + out + ": count must be at least 1, got " + count);
        }
        if (data == null || (long) count * per > data.length) {
            throw new BottleneckException("cannot write " + out + ": " + what + " hold "
                    + (data == null ? 0 : data.length) + " values, fewer than " + count + " images of " + per
                    + " (" + channels + "x" + height + "x" + width + ")");
        }
        float[][] images = new float[count][];
        for (int i = 0; i < count; i++) {
            images[i] = java.util.Arrays.copyOfRange(data, i * per, (i + 1) * per);
        }
        return images;
    }

    private static void writePng(Path out, BufferedImage image) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", bytes)) {
                throw new BottleneckException("cannot write " + out + ": this Java runtime has no PNG writer");
            }
        } catch (IOException e) {
            throw new BottleneckException("cannot write " + out + ": PNG encoding failed: " + e.getMessage(), e);
        }
        AtomicFiles.writeBytes(out, bytes.toByteArray());
    }
}
