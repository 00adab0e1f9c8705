package dev.bottleneck.data.shard;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.CsvTable;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.IdxReader;
import dev.bottleneck.data.ImageFolderReader;
import dev.bottleneck.data.SeriesWindows;
import dev.bottleneck.data.TimeSeries;
import dev.bottleneck.data.TimeSeriesReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Converts the data sets {@code train} reads into a shard directory ({@code bottleneck shard}): IDX files, CSV
 * tables, image folders and time-series windows. Splits are those {@code train} uses, in the same order:
 * <ul>
 *   <li>IDX with its own test file (mnist, fashion-mnist, a folder of the four files, a train-/t10k- pair): both
 *       splits in file order, streamed image by image (uint8 stays uint8);</li>
 *   <li>a CSV table or an image folder: the same seeded 20% hold-out as in memory, each split in the order the
 *       in-memory split has (rows of {@code permutation(n, seed)}), so training on the shards visits the same
 *       samples in the same order; the images are decoded one at a time;</li>
 *   <li>one IDX file without a test file: the same rows held out as in memory (1/7), but each split in file order
 *       (the file is read once, front to back);</li>
 *   <li>time-series windows: the windows of the first {@code trainFraction} of every series (group) train, those of
 *       the rest test, in time order.</li>
 * </ul>
 * The statistics of the training split are computed while it is written.
 */
public final class ShardConverter {
    private ShardConverter() {}

    /** Time-series windowing. */
    public record Series(TimeSeriesReader.Options read, int window, int stride, double trainFraction) { }

    /**
     * @param dtype  null for the input's natural type (uint8 for IDX and image folders, float32 otherwise)
     * @param images channels and size of an image folder (null: detected)
     * @param series non-null to cut a CSV time series into windows
     */
    public record Options(long shardBytes, ShardManifest.StoredType dtype, long seed, Path dataDir, CsvReader.Options csv,
                          ImageFolderReader.Options images, Series series) {
        public Options {
            if (shardBytes < 1) throw new BottleneckException("--shard-size must be positive, got " + shardBytes);
        }
    }

    /** What was written. */
    public record Report(Path dir, ShardManifest manifest, long bytes, double seconds) { }

    public static Report convert(String input, Path out, Options o, Consumer<String> log) {
        long t0 = System.nanoTime();
        prepareOutput(out);
        ShardManifest m;
        try {
            DataSources.IdxFiles idx = o.series() == null ? DataSources.idxFiles(input, o.dataDir(), DataSources.Environment.system()) : null;
            Path p = Paths.get(input);
            if (o.dataDir() != null && !p.isAbsolute() && !Files.exists(p) && Files.exists(o.dataDir().resolve(p))) p = o.dataDir().resolve(p);
            if (o.series() != null) {
                m = series(p, out, o, log);
            } else if (idx != null) {
                m = idx(idx, out, o, log);
            } else if (Files.isDirectory(p) && ImageFolderReader.looksLikeImageFolder(p)) {
                m = images(p, out, o, log);
            } else if (DataSources.isTextFolder(p)) {
                throw new BottleneckException(p + " is a folder of text documents; shards hold fixed vectors, and a text folder's vocabulary"
                        + " is fitted when training: train on the folder itself (bottleneck train " + input + " ...)");
            } else if (Files.isRegularFile(p)) {
                DataSources.checkTable(p);
                m = csv(p, out, o, log);
            } else {
                throw new BottleneckException("data '" + input + "' is neither a known data set nor an existing file or folder; expected"
                        + " mnist, fashion-mnist, IDX files, a CSV file, a folder of images or (with --series) a CSV time series");
            }
        } catch (RuntimeException e) {
            removePartial(out);
            throw e;
        }
        m.write(out);
        long bytes = 0;
        try (Stream<Path> s = Files.list(out)) {
            for (Path f : (Iterable<Path>) s::iterator) bytes += Files.size(f);
        } catch (IOException e) {
            bytes = -1;
        }
        return new Report(out, m, bytes, (System.nanoTime() - t0) / 1e9);
    }

    private static void prepareOutput(Path out) {
        try {
            if (Files.exists(out)) {
                if (!Files.isDirectory(out)) throw new BottleneckException("--out " + out + " is a file; name a new folder");
                try (Stream<Path> s = Files.list(out)) {
                    if (s.findAny().isPresent()) {
                        throw new BottleneckException("--out " + out + " is not empty; name a new folder or remove this one first");
                    }
                }
            }
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new BottleneckException("cannot create " + out + " (" + e.getMessage() + "); check the path and permissions");
        }
    }

    private static void removePartial(Path out) {
        try (Stream<Path> s = Files.list(out)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                String n = f.getFileName().toString();
                if (n.endsWith(".npy") || n.endsWith(".tmp")) Files.deleteIfExists(f);
            }
        } catch (IOException ignored) {
            // best effort: the folder has no manifest, so nothing reads it as shards
        }
    }

    private static ShardManifest.StoredType floatType(Options o, String what) {
        ShardManifest.StoredType t = o.dtype() == null ? ShardManifest.StoredType.FLOAT32 : o.dtype();
        if (t == ShardManifest.StoredType.UINT8) {
            throw new BottleneckException("--dtype u8 stores 8-bit images, but " + what + " holds arbitrary numbers; use f32 (exact) or f16");
        }
        return t;
    }

    private static Map<String, Object> source(String kind, Object input, Options o) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("kind", kind);
        s.put("input", String.valueOf(input));
        s.put("seed", o.seed());
        return s;
    }

    // ---- IDX --------------------------------------------------------------------------------------------------

    private static ShardManifest idx(DataSources.IdxFiles f, Path out, Options o, Consumer<String> log) {
        ShardManifest.StoredType t = o.dtype() == null ? ShardManifest.StoredType.UINT8 : o.dtype();
        int[] trainLabels = f.trainLabels() == null ? null : IdxReader.readLabels(f.trainLabels());
        Map<String, ShardManifest.Split> splits = new LinkedHashMap<>();
        int[][] shape = new int[1][];
        if (f.testImages() != null) {
            log.accept("writing " + f.trainImages() + " as the train split");
            splits.put("train", idxSplit(f.trainImages(), trainLabels, "train", out, o, t, true, shape));
            int[] testLabels = f.testLabels() == null ? null : IdxReader.readLabels(f.testLabels());
            if ((trainLabels == null) != (testLabels == null)) {
                throw new BottleneckException(f.testImages() + ": only one of the train and test images files has a labels file beside it;"
                        + " provide both or neither");
            }
            int[] trainShape = shape[0];
            log.accept("writing " + f.testImages() + " as the test split");
            splits.put("test", idxSplit(f.testImages(), testLabels, "test", out, o, t, false, shape));
            if (!Arrays.equals(trainShape, shape[0])) {
                throw new BottleneckException(f.testImages() + ": images are " + shape[0][1] + "×" + shape[0][2] + " but " + f.trainImages()
                        + " has " + trainShape[1] + "×" + trainShape[2] + "; expected train and test files of the same data set");
            }
        } else {
            // the in-memory hold-out: test = the first round(n / 7) entries of permutation(n, seed)
            int n = countImages(f.trainImages());
            int nv = (int) Math.round(n * DataSources.IDX_HOLDOUT);
            if (nv == 0 || nv == n) {
                throw new BottleneckException(f.trainImages() + " (" + n + " images): too few samples to hold out a test set of 14%; use more data");
            }
            boolean[] test = new boolean[n];
            int[] perm = Dataset.permutation(n, o.seed());
            for (int i = 0; i < nv; i++) test[perm[i]] = true;
            log.accept("writing " + f.trainImages() + " as train and test splits (a seeded 1/7 hold-out, file order)");
            Map<String, ShardManifest.Split> both = idxHoldOut(f.trainImages(), trainLabels, test, nv, out, o, t, shape);
            splits.putAll(both);
        }
        return new ShardManifest(f.name(), shape[0], t, t == ShardManifest.StoredType.UINT8 ? 255 : 1, splits, null,
                source("idx", f.trainImages(), o));
    }

    private static int countImages(Path images) {
        int[] c = new int[1];
        // the header alone: stop at the first image
        try {
            IdxReader.streamImages(images, new IdxReader.ImageSink() {
                @Override public void begin(int count, int rows, int cols) {
                    c[0] = count;
                    throw new StopStreaming();
                }

                @Override public void image(int index, byte[] pixels, int off) { }
            });
        } catch (StopStreaming e) {
            // expected
        }
        return c[0];
    }

    /** Ends a stream early once the header is known. */
    private static final class StopStreaming extends RuntimeException {
        StopStreaming() {
            super(null, null, false, false);
        }
    }

    private static ShardManifest.Split idxSplit(Path images, int[] labels, String name, Path out, Options o, ShardManifest.StoredType t,
                                                boolean stats, int[][] shape) {
        float[][] rowRef = {new float[0]};
        ShardWriter[] w = new ShardWriter[1];
        try {
            IdxReader.streamImages(images, new IdxReader.ImageSink() {
                @Override
                public void begin(int count, int rows, int cols) {
                    shape[0] = idxShape(images, labels, count, rows, cols);
                    w[0] = new ShardWriter(out, name, shape[0], t, t == ShardManifest.StoredType.UINT8 ? 255 : 1, o.shardBytes(), count,
                            labels != null, stats);
                    rowRef[0] = new float[rows * cols];
                }

                @Override
                public void image(int index, byte[] pixels, int off) {
                    int label = labels == null ? 0 : labels[index];
                    if (t == ShardManifest.StoredType.UINT8) {
                        w[0].addBytes(pixels, off, label);
                    } else {
                        float[] r = rowRef[0];
                        for (int j = 0; j < r.length; j++) r[j] = (pixels[off + j] & 0xff) / 255f;
                        w[0].addFloats(r, 0, label);
                    }
                }
            });
            return w[0].finish();
        } finally {
            if (w[0] != null) w[0].close();
        }
    }

    /** The sample shape of IDX images, once their count is known to match the labels'. */
    private static int[] idxShape(Path images, int[] labels, int count, int rows, int cols) {
        if (labels != null && labels.length != count) {
            throw new BottleneckException(images + " has " + count + " images but its labels file has " + labels.length
                    + " labels; expected one label per image — pair the matching files");
        }
        return new int[] {1, rows, cols};
    }

    private static Map<String, ShardManifest.Split> idxHoldOut(Path images, int[] labels, boolean[] test, int nv, Path out, Options o,
                                                              ShardManifest.StoredType t, int[][] shape) {
        ShardWriter[] w = new ShardWriter[2]; // train, test
        float[][] rowRef = {new float[0]};
        try {
            IdxReader.streamImages(images, new IdxReader.ImageSink() {
                @Override
                public void begin(int count, int rows, int cols) {
                    shape[0] = idxShape(images, labels, count, rows, cols);
                    double div = t == ShardManifest.StoredType.UINT8 ? 255 : 1;
                    w[0] = new ShardWriter(out, "train", shape[0], t, div, o.shardBytes(), count - nv, labels != null, true);
                    w[1] = new ShardWriter(out, "test", shape[0], t, div, o.shardBytes(), nv, labels != null, false);
                    rowRef[0] = new float[rows * cols];
                }

                @Override
                public void image(int index, byte[] pixels, int off) {
                    ShardWriter to = test[index] ? w[1] : w[0];
                    int label = labels == null ? 0 : labels[index];
                    if (t == ShardManifest.StoredType.UINT8) {
                        to.addBytes(pixels, off, label);
                    } else {
                        float[] r = rowRef[0];
                        for (int j = 0; j < r.length; j++) r[j] = (pixels[off + j] & 0xff) / 255f;
                        to.addFloats(r, 0, label);
                    }
                }
            });
            Map<String, ShardManifest.Split> m = new LinkedHashMap<>();
            m.put("train", w[0].finish());
            m.put("test", w[1].finish());
            return m;
        } finally {
            for (ShardWriter x : w) if (x != null) x.close();
        }
    }

    // ---- CSV --------------------------------------------------------------------------------------------------

    private static ShardManifest csv(Path file, Path out, Options o, Consumer<String> log) {
        ShardManifest.StoredType t = floatType(o, file.toString());
        CsvTable table = CsvReader.read(file, o.csv() == null ? CsvReader.defaults() : o.csv());
        Dataset all = table.dataset();
        if (all.n() < 2) {
            throw new BottleneckException(file + ": only " + all.n() + " data row; expected at least 2 to hold out a test set");
        }
        Dataset.IndexSplit sp = Dataset.splitIndices(all.n(), DataSources.CSV_HOLDOUT, o.seed());
        if (sp.train().length == 0 || sp.validation().length == 0) {
            throw new BottleneckException(file + " (" + all.n() + " data rows): too few samples to hold out a test set of 20%; use more data");
        }
        log.accept("writing " + file + " (" + all.n() + " rows) as train and test splits (the seeded 20% hold-out of train)");
        Map<String, ShardManifest.Split> splits = new LinkedHashMap<>();
        splits.put("train", writeRows(Samples.of(all), sp.train(), "train", out, o, t, true));
        splits.put("test", writeRows(Samples.of(all), sp.validation(), "test", out, o, t, false));
        Map<String, Object> src = source("csv", file, o);
        src.put("features", table.featureNames());
        if (table.labelColumn() != null) src.put("label_column", table.labelColumn());
        return new ShardManifest(all.name(), all.sampleShape(), t, 1, splits, table.labelNames(), src);
    }

    /** Writes samples {@code rows[0], rows[1], ...} of {@code from} as one split of float values. */
    private static ShardManifest.Split writeRows(Samples from, int[] rows, String name, Path out, Options o, ShardManifest.StoredType t,
                                                 boolean stats) {
        float[] row = new float[from.features()];
        try (ShardWriter w = new ShardWriter(out, name, from.sampleShape(), t, 1, o.shardBytes(), rows.length, from.hasLabels(), stats)) {
            for (int r : rows) {
                from.read(r, row, 0);
                w.addFloats(row, 0, from.hasLabels() ? from.label(r) : 0);
            }
            return w.finish();
        }
    }

    // ---- image folders ----------------------------------------------------------------------------------------

    private static ShardManifest images(Path dir, Path out, Options o, Consumer<String> log) {
        ImageFolderReader.Options io = o.images() == null ? ImageFolderReader.Options.defaults() : o.images();
        ImageFolderReader.Listing l = ImageFolderReader.list(dir);
        int[] size = ImageFolderReader.targetSize(l, io);
        int c = io.channels() != 0 ? io.channels() : ImageFolderReader.channelsFromHeaders(l, Integer.MAX_VALUE);
        int h = size[0], w = size[1];
        Limits.SAMPLE_VALUES.check((long) c * h * w, "images of " + h + "x" + w + " with " + c + " channels: one sample");
        int n = l.files().size();
        Dataset.IndexSplit sp = Dataset.splitIndices(n, DataSources.CSV_HOLDOUT, o.seed());
        if (sp.train().length == 0 || sp.validation().length == 0) {
            throw new BottleneckException(dir + " (a folder of " + n + " images): too few samples to hold out a test set of 20%; use more data");
        }
        ShardManifest.StoredType t = o.dtype() == null ? ShardManifest.StoredType.UINT8 : o.dtype();
        log.accept(String.format(Locale.ROOT, "writing %d images of %dx%d with %d channel%s as train and test splits (the seeded 20%% hold-out"
                + " of train)", n, h, w, c, c == 1 ? "" : "s"));
        Map<String, ShardManifest.Split> splits = new LinkedHashMap<>();
        splits.put("train", imageSplit(l, sp.train(), "train", c, h, w, io, out, o, t, true));
        splits.put("test", imageSplit(l, sp.validation(), "test", c, h, w, io, out, o, t, false));
        Map<String, Object> src = source("images", dir, o);
        src.put("background", ImageFolderReader.backgroundList(io.background()));
        return new ShardManifest(dir.getFileName() == null ? "images" : dir.getFileName().toString(), new int[] {c, h, w}, t,
                t == ShardManifest.StoredType.UINT8 ? 255 : 1, splits, l.classes().isEmpty() ? null : l.classes(), src);
    }

    private static ShardManifest.Split imageSplit(ImageFolderReader.Listing l, int[] rows, String name, int c, int h, int w,
                                                  ImageFolderReader.Options io, Path out, Options o, ShardManifest.StoredType t, boolean stats) {
        int hw = h * w;
        boolean labelled = l.labels() != null;
        float[] values = new float[c * hw];
        byte[] bytes = new byte[c * hw];
        try (ShardWriter wr = new ShardWriter(out, name, new int[] {c, h, w}, t, t == ShardManifest.StoredType.UINT8 ? 255 : 1,
                o.shardBytes(), rows.length, labelled, stats)) {
            for (int r : rows) {
                int[] px = ImageFolderReader.pixels(l.files().get(r), h, w, io);
                int label = labelled ? l.labels()[r] : 0;
                if (t == ShardManifest.StoredType.UINT8) {
                    toBytes(px, c, bytes);
                    wr.addBytes(bytes, 0, label);
                } else {
                    ImageFolderReader.toValues(px, c, values, 0);
                    wr.addFloats(values, 0, label);
                }
            }
            return wr.finish();
        }
    }

    /** 8-bit channel planes of packed ARGB pixels (alpha the fourth plane of four); one channel is the rounded luma. */
    static void toBytes(int[] px, int c, byte[] dst) {
        int hw = px.length;
        for (int k = 0; k < hw; k++) {
            int rgb = px[k];
            int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
            if (c == 1) {
                dst[k] = (byte) Math.min(255, Math.round(0.299f * r + 0.587f * g + 0.114f * b));
            } else {
                dst[k] = (byte) r;
                dst[k + hw] = (byte) g;
                dst[k + 2 * hw] = (byte) b;
                if (c == 4) dst[k + 3 * hw] = (byte) (rgb >>> 24);
            }
        }
    }

    // ---- time series ------------------------------------------------------------------------------------------

    private static ShardManifest series(Path file, Path out, Options o, Consumer<String> log) {
        Series s = o.series();
        ShardManifest.StoredType t = floatType(o, file.toString());
        TimeSeries ts = TimeSeriesReader.read(file, s.read().withMinRows(s.window()));
        SeriesWindows.Split parts = SeriesWindows.chronological(ts, s.trainFraction(), 0);
        int f = ts.features(), len = s.window();
        int[] trainStarts = SeriesWindows.starts(ts, parts.train(), len, s.stride());
        int[] testStarts = SeriesWindows.starts(ts, parts.test(), len, s.stride());
        log.accept(String.format(Locale.ROOT, "writing %d training and %d test windows of %d steps × %d features", trainStarts.length,
                testStarts.length, len, f));
        Map<String, ShardManifest.Split> splits = new LinkedHashMap<>();
        splits.put("train", windows(ts, trainStarts, len, "train", out, o, t, true));
        splits.put("test", windows(ts, testStarts, len, "test", out, o, t, false));
        Map<String, Object> src = source("series", file, o);
        src.put("features", ts.featureNames());
        src.put("window", len);
        src.put("stride", s.stride());
        src.put("train_fraction", s.trainFraction());
        return new ShardManifest(ts.name(), new int[] {len, f}, t, 1, splits, null, src);
    }

    private static ShardManifest.Split windows(TimeSeries ts, int[] starts, int len, String name, Path out, Options o,
                                               ShardManifest.StoredType t, boolean stats) {
        int f = ts.features();
        try (ShardWriter w = new ShardWriter(out, name, new int[] {len, f}, t, 1, o.shardBytes(), starts.length, ts.hasLabels(), stats)) {
            for (int st : starts) {
                int label = 0;
                if (ts.hasLabels()) for (int k = 0; k < len; k++) label = Math.max(label, ts.labels()[st + k]);
                w.addFloats(ts.values(), st * f, label);
            }
            return w.finish();
        }
    }

    /** For messages: the splits and their sizes. */
    public static String describe(ShardManifest m) {
        StringBuilder sb = new StringBuilder();
        for (ShardManifest.Split s : m.splits().values()) {
            if (sb.length() > 0) sb.append(", ");
            sb.append(s.name()).append(' ').append(Limits.group(s.samples())).append(" samples in ").append(s.shards().size())
              .append(s.shards().size() == 1 ? " shard" : " shards");
        }
        return sb.toString();
    }
}
