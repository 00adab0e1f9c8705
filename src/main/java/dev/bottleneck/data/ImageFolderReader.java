package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Reads a folder of PNG/JPEG/BMP/GIF images into a {@link Dataset} of shape N x C x H x W with values in [0, 1].
 * When the folder has sub-folders, each sub-folder is a class (labels are the sub-folder names in sorted order)
 * and images directly in the folder are not used; otherwise all images are read without labels. Images are
 * resized (bilinear) to the requested size, or to the size of the first image.
 *
 * <p>Transparency: an image with an alpha channel (PNG, GIF) is composited onto a background colour (white by
 * default, as image viewers show it) at its native size, before it is resized, so the colour stored under fully
 * transparent pixels never reaches the values. Four channels keep the alpha as a fourth plane beside the
 * composited R, G, B (an opaque image has alpha 1 everywhere).
 */
public final class ImageFolderReader {
    private ImageFolderReader() {}

    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    /** The background transparent pixels are composited onto by default: white, as image viewers show them. */
    public static final int WHITE = 0xFFFFFF;

    /**
     * @param channels   1 (grayscale), 3 (RGB), 4 (RGB and alpha), or 0: grayscale when every image is grayscale, else RGB
     * @param height     target height (0: that of the first image)
     * @param width      target width (0: that of the first image)
     * @param background the colour (0xRRGGBB) that images with an alpha channel are composited onto before scaling
     */
    public record Options(int channels, int height, int width, int background) {
        public Options {
            if (channels != 0 && channels != 1 && channels != 3 && channels != 4) {
                throw new BottleneckException("--channels must be 1 (gray), 3 (RGB) or 4 (RGB and alpha), got " + channels);
            }
            if (height < 0 || width < 0) throw new BottleneckException("image size must be positive, got " + height + "x" + width);
            if ((background & ~0xFFFFFF) != 0) throw new BottleneckException("background colour 0x" + Integer.toHexString(background) + " is not 0xRRGGBB");
            if (height > 0 && width > 0) {
                Limits.SAMPLE_VALUES.check((long) height * width * Math.max(1, channels),
                        "image size " + height + "x" + width + (channels > 1 ? " with " + channels + " channels" : "") + ": one sample");
            }
        }

        /** On the default (white) background. */
        public Options(int channels, int height, int width) {
            this(channels, height, width, WHITE);
        }

        public static Options defaults() { return new Options(0, 0, 0); }

        public Options withBackground(int rgb) {
            return new Options(channels, height, width, rgb);
        }

        /** Parses {@code 64x64} or {@code 64} (square). */
        public static Options parseSize(String size, int channels) {
            int h, w;
            try {
                String[] p = size.toLowerCase(Locale.ROOT).split("x", -1);
                if (p.length > 2) throw new NumberFormatException();
                h = Integer.parseInt(p[0].trim());
                w = p.length > 1 ? Integer.parseInt(p[1].trim()) : h;
                if (h < 1 || w < 1) throw new NumberFormatException();
            } catch (RuntimeException e) {
                throw new BottleneckException("bad image size '" + size + "': expected HxW with positive whole numbers, such as 64x64");
            }
            return new Options(channels, h, w);
        }
    }

    /** Parses {@code --background}: {@code white}, {@code black}, or {@code R,G,B} with each value in 0..255; 0xRRGGBB. */
    public static int parseBackground(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("white")) return WHITE;
        if (t.equals("black")) return 0;
        String[] p = t.split(",", -1);
        if (p.length == 3) {
            int rgb = 0;
            try {
                for (String c : p) {
                    int v = Integer.parseInt(c.trim());
                    if (v < 0 || v > 255) throw new NumberFormatException();
                    rgb = (rgb << 8) | v;
                }
                return rgb;
            } catch (NumberFormatException e) {
                // fall through to the message
            }
        }
        throw new BottleneckException("--background '" + text + "': expected white, black or R,G,B with each value 0-255, such as 128,128,128");
    }

    /** The colour as {@code [R, G, B]} (how config.json stores it). */
    public static List<Integer> backgroundList(int rgb) {
        return List.of((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff);
    }

    /** The result: images plus the class names when labels came from sub-folders. */
    public record Result(Dataset dataset, List<String> classes) { }

    public static boolean isImageFile(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        for (String e : EXTENSIONS) if (n.endsWith(e)) return true;
        return false;
    }

    /** True when {@code dir} holds images directly or in class sub-folders. */
    public static boolean looksLikeImageFolder(Path dir) {
        // class sub-folders may be symbolic links (the listing follows them too)
        try (Stream<Path> s = Files.walk(dir, 2, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            return s.anyMatch(p -> Files.isRegularFile(p) && isImageFile(p));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The images of a folder in reading order, with their class labels (null without class sub-folders). */
    public record Listing(List<Path> files, int[] labels, List<String> classes) {
        public Listing {
            files = List.copyOf(files);
            classes = List.copyOf(classes);
        }
    }

    /**
     * Lists the images {@link #read} reads, in the same order: the sorted class sub-folders' sorted images (labels
     * 0, 1, ... in folder order), or the folder's own sorted images when it has no sub-folders.
     */
    public static Listing list(Path dir) {
        if (!Files.isDirectory(dir)) throw new BottleneckException("image folder " + dir + " does not exist");
        ClassFolderListing l = ClassFolderListing.list(dir, ImageFolderReader::isImageFile,
                dir + " holds no images (.png, .jpg, .jpeg, .bmp, .gif), neither directly nor in class sub-folders");
        return new Listing(l.files(), l.labels(), l.classes());
    }

    /** The size images are resized to: the options' size, or the first image's (read from its header only); {h, w}. */
    public static int[] targetSize(Listing l, Options opt) {
        int h = opt.height(), w = opt.width();
        if (h == 0 || w == 0) {
            int[] first = dimensions(l.files().get(0));
            if (h == 0) h = first[1];
            if (w == 0) w = first[0];
        }
        return new int[] {h, w};
    }

    /**
     * One image decoded, composited onto the options' background when it has an alpha channel, and resized (bilinear)
     * to h × w: packed {@code 0xAARRGGBB} pixels, row by row, where RGB is the composited colour and A the resized alpha
     * (255 for an opaque image).
     */
    public static int[] pixels(Path f, int h, int w, Options opt) {
        return decode(readImage(f), h, w, opt.background()).pixels();
    }

    /** Pixels as {@link #pixels} gives them, and whether the (composited) picture is gray. */
    private record Decoded(int[] pixels, boolean gray) { }

    private static Decoded decode(BufferedImage img, int h, int w, int background) {
        if (!img.getColorModel().hasAlpha()) {
            return new Decoded(resize(img, h, w).getRGB(0, 0, w, h, null, 0, w), isGray(img));
        }
        // composite at native size, so scaling never mixes in the colour hidden under transparent pixels
        int iw = img.getWidth(), ih = img.getHeight();
        int[] argb = img.getRGB(0, 0, iw, ih, null, 0, iw);
        BufferedImage flat = new BufferedImage(iw, ih, BufferedImage.TYPE_INT_RGB);
        BufferedImage alpha = new BufferedImage(iw, ih, BufferedImage.TYPE_INT_RGB);
        int[] fp = ((DataBufferInt) flat.getRaster().getDataBuffer()).getData();
        int[] ap = ((DataBufferInt) alpha.getRaster().getDataBuffer()).getData();
        int br = (background >> 16) & 0xff, bg = (background >> 8) & 0xff, bb = background & 0xff;
        for (int k = 0; k < argb.length; k++) {
            int p = argb[k], a = p >>> 24;
            fp[k] = (over((p >> 16) & 0xff, br, a) << 16) | (over((p >> 8) & 0xff, bg, a) << 8) | over(p & 0xff, bb, a);
            ap[k] = a * 0x010101;
        }
        int[] rgb = resize(flat, h, w).getRGB(0, 0, w, h, null, 0, w);
        int[] al = resize(alpha, h, w).getRGB(0, 0, w, h, null, 0, w);
        for (int k = 0; k < rgb.length; k++) rgb[k] = (al[k] << 24) | (rgb[k] & 0xFFFFFF);
        return new Decoded(rgb, isGray(flat));
    }

    /** Colour {@code c} with opacity {@code a} (0..255) over the background colour {@code b}, rounded. */
    private static int over(int c, int b, int a) {
        return (c * a + b * (255 - a) + 127) / 255;
    }

    /**
     * Packed pixels of {@link #pixels} as the values {@link #read} stores: channel planes R, G, B of v / 255, then for
     * four channels the alpha plane; for one channel the luma 0.299 R + 0.587 G + 0.114 B of those, written to
     * {@code dst[off ...]}.
     */
    public static void toValues(int[] px, int channels, float[] dst, int off) {
        int hw = px.length;
        for (int k = 0; k < hw; k++) {
            int rgb = px[k];
            float r = ((rgb >> 16) & 0xff) / 255f, g = ((rgb >> 8) & 0xff) / 255f, b = (rgb & 0xff) / 255f;
            int o = off + k;
            if (channels == 1) {
                dst[o] = 0.299f * r + 0.587f * g + 0.114f * b;
            } else {
                dst[o] = r;
                dst[o + hw] = g;
                dst[o + 2 * hw] = b;
                if (channels == 4) dst[o + 3 * hw] = (rgb >>> 24) / 255f;
            }
        }
    }

    /**
     * The channel count read without decoding: 1 when the headers of the first {@code maxFiles} images all describe
     * a single colour component, else 3. ({@link #read} decides on decoded pixels, so an RGB file holding a gray
     * picture counts as gray there and as colour here; pass the channels explicitly to be sure.)
     */
    public static int channelsFromHeaders(Listing l, int maxFiles) {
        for (int i = 0; i < Math.min(maxFiles, l.files().size()); i++) {
            Path f = l.files().get(i);
            boolean gray = withReader(f, reader -> {
                var types = reader.getImageTypes(0);
                return types.hasNext() && types.next().getColorModel().getNumColorComponents() == 1;
            });
            if (!gray) return 3;
        }
        return 1;
    }

    public static Result read(Path dir, Options opt) {
        Listing listing = list(dir);
        List<Path> files = listing.files();
        List<String> classes = listing.classes();
        // the target size: given, or the first image's (read from its header, before decoding anything)
        int[] size = targetSize(listing, opt);
        int h = size[0], w = size[1];
        long perImage = (long) h * w;
        Limits.SAMPLE_VALUES.check(perImage * Math.max(1, opt.channels()), "images of " + h + "x" + w
                + (opt.channels() > 1 ? " with " + opt.channels() + " channels" : "") + " (the size of " + (opt.height() > 0 ? "--image-size" : files.get(0))
                + "): one sample");
        long allPixels = perImage * files.size();
        if (allPixels * 3 > Limits.MAX_ARRAY) {
            throw new BottleneckException(dir + ": " + files.size() + " images of " + h + "x" + w + " are more values than one Java"
                    + " array can hold; use fewer images or a smaller --image-size");
        }
        Limits.checkHeap(allPixels * 4 * (1 + Math.max(1, opt.channels())), dir + ": " + files.size() + " images of " + h + "x" + w);
        // decode one image at a time and keep only its resized pixels
        int[][] rgbs = new int[files.size()][];
        boolean allGray = true;
        for (int i = 0; i < files.size(); i++) {
            Decoded dec = decode(readImage(files.get(i)), h, w, opt.background());
            allGray &= dec.gray();
            rgbs[i] = dec.pixels();
        }
        int c = opt.channels() != 0 ? opt.channels() : (allGray ? 1 : 3);
        Limits.SAMPLE_VALUES.check(c * perImage, "images of " + h + "x" + w + " with " + c + " channels: one sample");
        int per = Math.toIntExact(c * perImage);
        float[] x = new float[Math.multiplyExact(files.size(), per)];
        for (int i = 0; i < rgbs.length; i++) {
            int[] px = rgbs[i];
            rgbs[i] = null;
            toValues(px, c, x, i * per);
        }
        int[] lab = listing.labels();
        String[] ids = new String[files.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = relativeId(dir, files.get(i));
        Dataset d = new Dataset(x, files.size(), new int[] {c, h, w}, lab, dir.getFileName() == null ? "images" : dir.getFileName().toString(),
                ids);
        return new Result(d, List.copyOf(classes));
    }

    /** An image's identity: its path relative to the folder given, with '/' between the parts on every system. */
    public static String relativeId(Path dir, Path file) {
        Path r = dir.relativize(file);
        StringBuilder b = new StringBuilder();
        for (Path part : r) {
            if (b.length() > 0) b.append('/');
            b.append(part);
        }
        return b.toString();
    }

    /**
     * Decodes one image file after checking the size in its header: at most {@link Limits#IMAGE_PIXELS} pixels, and
     * no more than {@link #PIXELS_PER_BYTE} per byte of the file (no image format compresses further), so a tiny file
     * that claims a huge image is refused before its raster is allocated. Every failure names the file.
     */
    public static BufferedImage readImage(Path f) {
        return withReader(f, reader -> {
            checkDimensions(f, reader.getWidth(0), reader.getHeight(0));
            BufferedImage img = reader.read(0);
            if (img == null) throw new BottleneckException(f + ": not a readable PNG/JPEG/BMP/GIF image; remove or re-export the file");
            return img;
        });
    }

    /** What is done with an image file's reader, its input set. */
    private interface ReaderUse<T> {
        T use(ImageReader reader) throws IOException;
    }

    /**
     * Opens {@code f} with the first ImageIO reader that takes it, hands the reader to {@code use} and disposes of
     * it; every failure is one error naming the file.
     */
    private static <T> T withReader(Path f, ReaderUse<T> use) {
        try (ImageInputStream iis = ImageIO.createImageInputStream(f.toFile())) {
            ImageReader reader = iis == null ? null : firstReader(iis);
            if (reader == null) throw new BottleneckException(f + ": not a readable PNG/JPEG/BMP/GIF image; remove or re-export the file");
            try {
                reader.setInput(iis, true, true);
                return use.use(reader);
            } finally {
                reader.dispose();
            }
        } catch (BottleneckException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new BottleneckException(f + ": cannot decode image (" + oneLine(e) + "); remove or re-export the file", e);
        }
    }

    /** Width and height from an image file's header, checked as in {@link #readImage}; nothing is decoded. */
    static int[] dimensions(Path f) {
        return withReader(f, reader -> {
            int w = reader.getWidth(0), h = reader.getHeight(0);
            checkDimensions(f, w, h);
            return new int[] {w, h};
        });
    }

    /** The most pixels one byte of an image file can stand for (far beyond what PNG, GIF, BMP or JPEG reach). */
    public static final long PIXELS_PER_BYTE = 1 << 14;

    private static void checkDimensions(Path f, int w, int h) throws IOException {
        if (w <= 0 || h <= 0) {
            throw new BottleneckException(f + ": the image header gives a size of " + w + "x" + h + "; the file is corrupt — re-export it");
        }
        long pixels = (long) w * h;
        Limits.IMAGE_PIXELS.check(pixels, f + ": an image of " + w + "x" + h);
        long size = Files.size(f);
        if (pixels > Limits.saturatedMultiply(size, PIXELS_PER_BYTE) + (1 << 16)) {
            throw new BottleneckException(f + ": the header claims " + w + "x" + h + " = " + Limits.group(pixels) + " pixels but the file"
                    + " has only " + Limits.group(size) + " bytes, more than the limit of " + PIXELS_PER_BYTE + " pixels per byte;"
                    + " the header is corrupt — re-export the file");
        }
    }

    private static ImageReader firstReader(ImageInputStream iis) {
        Iterator<ImageReader> it = ImageIO.getImageReaders(iis);
        return it.hasNext() ? it.next() : null;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static boolean isGray(BufferedImage img) {
        if (img.getColorModel().getNumColorComponents() == 1) return true;
        int stepY = Math.max(1, img.getHeight() / 16), stepX = Math.max(1, img.getWidth() / 16);
        for (int y = 0; y < img.getHeight(); y += stepY) {
            for (int x = 0; x < img.getWidth(); x += stepX) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
                if (r != g || g != b) return false;
            }
        }
        return true;
    }

    private static BufferedImage resize(BufferedImage img, int h, int w) {
        if (img.getHeight() == h && img.getWidth() == w) return img;
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, w, h, null);
        g.dispose();
        return out;
    }
}
