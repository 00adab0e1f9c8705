package dev.bottleneck.data.shard;

import dev.bottleneck.Limits;
import dev.bottleneck.data.ImageFolderReader;

import java.nio.file.Path;
import java.util.List;

/**
 * The images of a folder decoded on demand ({@code --stream}): sample {@code i} is the {@code i}-th file of
 * {@link ImageFolderReader#list}, decoded, resized and converted exactly as {@link ImageFolderReader#read} does, so a
 * streamed folder gives the same floats as one loaded into memory. Only the file list is held; with several loader
 * threads ({@link StreamingBatchSource}) images decode in parallel.
 *
 * <p>Channels: {@link ImageFolderReader#read} decides gray or colour after decoding every image; a stream cannot
 * look ahead, so without explicit channels it reads the headers of the first {@link #CHANNEL_PROBE} files.
 */
public final class ImageFolderSamples implements Samples {
    /** Headers read to decide between gray and colour when the channels are not given. */
    public static final int CHANNEL_PROBE = 1000;

    private final Path dir;
    private final List<Path> files;
    private final int[] labels;
    private final List<String> classes;
    private final int channels, height, width;
    private final ImageFolderReader.Options options;

    private ImageFolderSamples(Path dir, ImageFolderReader.Listing l, int channels, int height, int width, ImageFolderReader.Options options) {
        this.dir = dir;
        this.files = l.files();
        this.labels = l.labels();
        this.classes = l.classes();
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.options = options;
    }

    public static ImageFolderSamples open(Path dir, ImageFolderReader.Options opt) {
        ImageFolderReader.Options o = opt == null ? ImageFolderReader.Options.defaults() : opt;
        ImageFolderReader.Listing l = ImageFolderReader.list(dir);
        int[] size = ImageFolderReader.targetSize(l, o);
        int c = o.channels() != 0 ? o.channels() : ImageFolderReader.channelsFromHeaders(l, CHANNEL_PROBE);
        Limits.SAMPLE_VALUES.check((long) c * size[0] * size[1], "images of " + size[0] + "x" + size[1] + " with " + c + " channels: one sample");
        return new ImageFolderSamples(dir, l, c, size[0], size[1], o);
    }

    public List<String> classes() { return classes; }

    @Override public int size() { return files.size(); }
    @Override public int[] sampleShape() { return new int[] {channels, height, width}; }
    @Override public int features() { return channels * height * width; }
    @Override public String name() { return dir.getFileName() == null ? "images" : dir.getFileName().toString(); }
    @Override public boolean hasLabels() { return labels != null; }

    @Override
    public int label(int i) {
        if (labels == null) throw new IllegalStateException(dir + " has no class sub-folders, so no labels");
        return labels[i];
    }

    /** The image's path relative to the folder, with '/' separators (what {@link ImageFolderReader#read} records). */
    @Override public boolean hasIds() { return true; }
    @Override public String id(int i) { return ImageFolderReader.relativeId(dir, files.get(i)); }

    @Override
    public void read(int i, float[] dst, int off) {
        if (i < 0 || i >= files.size()) throw new IndexOutOfBoundsException("image " + i + " of " + files.size());
        ImageFolderReader.toValues(ImageFolderReader.pixels(files.get(i), height, width, options), channels, dst, off);
    }
}
