package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Reads a folder of PNG/JPEG/BMP/GIF images into a {@link Dataset} of shape N x C x H x W with values in [0, 1].
 * When the folder has sub-folders, each sub-folder is a class (labels are the sub-folder names in sorted order)
 * and images directly in the folder are not used; otherwise all images are read without labels. Images are
 * resized (bilinear) to the requested size, or to the size of the first image.
 */
public final class ImageFolderReader {
    private ImageFolderReader() {}

    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    /**
     * @param channels 1 (grayscale), 3 (RGB), or 0: grayscale when every image is grayscale, else RGB
     * @param height   target height (0: that of the first image)
     * @param width    target width (0: that of the first image)
     */
    public record Options(int channels, int height, int width) {
        public Options {
            if (channels != 0 && channels != 1 && channels != 3) throw new BottleneckException("--channels must be 1 or 3, got " + channels);
            if (height < 0 || width < 0) throw new BottleneckException("image size must be positive");
        }

        public static Options defaults() { return new Options(0, 0, 0); }

        /** Parses {@code 64x64} or {@code 64} (square). */
        public static Options parseSize(String size, int channels) {
            try {
                String[] p = size.toLowerCase(Locale.ROOT).split("x");
                int h = Integer.parseInt(p[0].trim());
                int w = p.length > 1 ? Integer.parseInt(p[1].trim()) : h;
                if (h < 1 || w < 1) throw new NumberFormatException();
                return new Options(channels, h, w);
            } catch (RuntimeException e) {
                throw new BottleneckException("bad image size '" + size + "': expected HxW such as 64x64");
            }
        }
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
        try (Stream<Path> s = Files.walk(dir, 2)) {
            return s.anyMatch(p -> Files.isRegularFile(p) && isImageFile(p));
        } catch (IOException e) {
            return false;
        }
    }

    public static Result read(Path dir, Options opt) {
        if (!Files.isDirectory(dir)) throw new BottleneckException("image folder " + dir + " does not exist");
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        try {
            List<Path> subdirs;
            try (Stream<Path> s = Files.list(dir)) {
                subdirs = s.filter(Files::isDirectory).sorted().toList();
            }
            if (!subdirs.isEmpty()) {
                for (Path sub : subdirs) {
                    List<Path> imgs = listImages(sub);
                    if (imgs.isEmpty()) continue;
                    int label = classes.size();
                    classes.add(sub.getFileName().toString());
                    for (Path f : imgs) {
                        files.add(f);
                        labels.add(label);
                    }
                }
            } else {
                files.addAll(listImages(dir));
            }
        } catch (IOException e) {
            throw new BottleneckException("cannot list " + dir + ": " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new BottleneckException(dir + " holds no images (.png, .jpg, .jpeg, .bmp, .gif), neither directly nor in class sub-folders");
        }
        List<BufferedImage> images = new ArrayList<>(files.size());
        boolean allGray = true;
        for (Path f : files) {
            BufferedImage img;
            try {
                img = ImageIO.read(f.toFile());
            } catch (IOException | RuntimeException e) {
                throw new BottleneckException(f + ": cannot decode image (" + e.getMessage() + "); remove or re-export the file");
            }
            if (img == null) throw new BottleneckException(f + ": not a readable PNG/JPEG/BMP/GIF image; remove or re-export the file");
            allGray &= isGray(img);
            images.add(img);
        }
        int c = opt.channels() != 0 ? opt.channels() : (allGray ? 1 : 3);
        int h = opt.height() > 0 ? opt.height() : images.get(0).getHeight();
        int w = opt.width() > 0 ? opt.width() : images.get(0).getWidth();
        int per = c * h * w;
        float[] x = new float[Math.multiplyExact(images.size(), per)];
        for (int i = 0; i < images.size(); i++) {
            BufferedImage img = resize(images.get(i), h, w);
            for (int yy = 0; yy < h; yy++) {
                for (int xx = 0; xx < w; xx++) {
                    int rgb = img.getRGB(xx, yy);
                    float r = ((rgb >> 16) & 0xff) / 255f, g = ((rgb >> 8) & 0xff) / 255f, b = (rgb & 0xff) / 255f;
                    int o = i * per + yy * w + xx;
                    if (c == 1) {
                        x[o] = 0.299f * r + 0.587f * g + 0.114f * b;
                    } else {
                        x[o] = r;
                        x[o + h * w] = g;
                        x[o + 2 * h * w] = b;
                    }
                }
            }
        }
        int[] lab = classes.isEmpty() ? null : labels.stream().mapToInt(Integer::intValue).toArray();
        Dataset d = new Dataset(x, images.size(), new int[] {c, h, w}, lab, dir.getFileName() == null ? "images" : dir.getFileName().toString());
        return new Result(d, List.copyOf(classes));
    }

    private static List<Path> listImages(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p) && isImageFile(p)).sorted().toList();
        }
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
