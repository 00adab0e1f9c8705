package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.ImageFolderReader;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.data.shard.ImageFolderSamples;
import dev.bottleneck.data.shard.Samples;
import dev.bottleneck.data.shard.ShardManifest;
import dev.bottleneck.data.shard.ShardSet;
import dev.bottleneck.io.MapValues;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The streamed counterpart of {@link PreparedData}: a shard directory (or, with {@code --stream}, an image folder)
 * whose samples stay on disk and are read on demand, scaled on the way out with statistics of the training split
 * (from the manifest when training, from config.json afterwards).
 */
final class StreamedData implements AutoCloseable {
    /** How the samples are streamed; recorded in config.json as data.stream. */
    static final String SHARDS = "shards", IMAGES = "images";

    private final String source;
    private final String kind;
    private final ShardSet shards;
    private final Samples train;
    private final Samples test;
    private final Scaler scaler;
    private final double[] range;

    private StreamedData(String source, String kind, ShardSet shards, Samples train, Samples test, Scaler scaler, double[] range) {
        this.source = source;
        this.kind = kind;
        this.shards = shards;
        this.train = train;
        this.test = test;
        this.scaler = scaler;
        this.range = range;
    }

    /** The folder a data argument names (relative paths also under --data), or null when it is no folder. */
    static Path folder(String source, Path dataDir) {
        if (source == null || source.isBlank()) return null;
        Path p;
        try {
            p = Paths.get(source);
        } catch (RuntimeException e) {
            return null;
        }
        if (!p.isAbsolute() && dataDir != null && !Files.exists(p) && Files.exists(dataDir.resolve(p))) p = dataDir.resolve(p);
        return Files.isDirectory(p) ? p : null;
    }

    /** Whether {@code source} is read streamed: a shard directory, or an image folder when {@code stream} is set. */
    static boolean applies(String source, Path dataDir, boolean stream) {
        Path p = folder(source, dataDir);
        if (p == null) return false;
        if (ShardManifest.isShardDirectory(p)) return true;
        return stream && ImageFolderReader.looksLikeImageFolder(p);
    }

    /** Opens data for {@code train}: the scaler comes from the manifest's statistics ({@code --scale}). */
    static StreamedData forTraining(String source, Path dataDir, ImageFolderReader.Options images, long seed, String scale,
                                    StreamOptionsMixin o, Log log) {
        Path p = folder(source, dataDir);
        if (ShardManifest.isShardDirectory(p)) {
            ShardSet set = ShardSet.open(p, o.verification(), log::info);
            try {
                ShardManifest m = set.manifest();
                ShardManifest.Split tr = m.split("train");
                Scaler.Kind kind = scale == null || scale.equals("auto")
                        ? (m.sampleShape().length == 3 ? Scaler.Kind.NONE : Scaler.Kind.MINMAX) : Scaler.Kind.parse(scale);
                if (kind != Scaler.Kind.NONE && tr.stats() == null) {
                    throw new BottleneckException(p.resolve(ShardManifest.FILE) + ": the train split has no 'stats', which --scale "
                            + kind.key() + " needs; pass --scale none, or add min/max/mean/std (see the README, 'Shards')");
                }
                Scaler scaler = scalerFrom(kind, tr.stats(), m.features());
                Samples train = set.split("train").scaled(scaler);
                Samples test = set.hasSplit("test") ? set.split("test").scaled(scaler) : null;
                return new StreamedData(source, SHARDS, set, train, test, scaler, tr.stats() == null ? null : range(scaler, tr.stats()));
            } catch (RuntimeException e) {
                set.close();
                throw e;
            }
        }
        // an image folder streamed from its files: the same seeded 20% hold-out as in memory, in the same order
        if (scale != null && !scale.equals("auto") && Scaler.Kind.parse(scale) != Scaler.Kind.NONE) {
            throw new BottleneckException("--stream reads an image folder without a pass over it, so it cannot fit a " + scale + " scaler;"
                    + " use --scale none, or write shards first (bottleneck shard), whose manifest has the statistics");
        }
        ImageFolderSamples all = ImageFolderSamples.open(p, images);
        Dataset.IndexSplit sp = Dataset.splitIndices(all.size(), DataSources.CSV_HOLDOUT, seed);
        if (sp.train().length == 0 || sp.validation().length == 0) {
            throw new BottleneckException(p + " (a folder of " + all.size() + " images): too few samples to hold out a test set of 20%;"
                    + " use more data");
        }
        return new StreamedData(source, IMAGES, null, all.rows(sp.train()), all.rows(sp.validation()), Scaler.none(all.features()),
                new double[] {0, 1});
    }

    /**
     * The data a model was trained on, streamed, when it was (or when the override names a shard directory, or
     * {@code --stream} is given for an image folder); null when it is data for {@link PreparedData}.
     */
    static StreamedData fromConfig(Map<String, Object> config, String override, Path dataDir, StreamOptionsMixin o, Log log) {
        Object d = config.get("data");
        if (!(d instanceof Map)) return null;
        Map<String, Object> data = MapValues.map(d, "config.json 'data'");
        Object src = override != null ? override : data.get("source");
        if (!(src instanceof String source)) return null;
        boolean streamedImages = override == null && IMAGES.equals(data.get("stream"));
        if (!applies(source, dataDir, o.stream || streamedImages)) return null;
        Path p = folder(source, dataDir);
        Scaler saved = data.get("scaler") instanceof Map ? Scaler.fromMap(MapValues.map(data.get("scaler"), "config.json 'data.scaler'")) : null;
        if (ShardManifest.isShardDirectory(p)) {
            ShardSet set = ShardSet.open(p, o.verification(), log::info);
            try {
                Scaler scaler = saved != null ? saved : Scaler.none(set.manifest().features());
                if (scaler.features() != set.manifest().features()) {
                    throw new BottleneckException("shard directory '" + source + "' has " + set.manifest().features()
                            + " values per sample but the model was trained on " + scaler.features());
                }
                Samples train = set.split("train").scaled(scaler);
                Samples test = set.hasSplit("test") ? set.split("test").scaled(scaler) : null;
                return new StreamedData(source, SHARDS, set, train, test, scaler, null);
            } catch (RuntimeException e) {
                set.close();
                throw e;
            }
        }
        long seed = data.get("seed") == null ? 42 : MapValues.longValue(data.get("seed"), "config.json 'data.seed'", Long.MIN_VALUE, Long.MAX_VALUE);
        ImageFolderReader.Options images = null;
        if (data.get("sample_shape") instanceof List && ((List<?>) data.get("sample_shape")).size() == 3) {
            int[] sh = MapValues.intList(data.get("sample_shape"), "config.json 'data.sample_shape'", 1, Integer.MAX_VALUE, 3);
            images = new ImageFolderReader.Options(sh[0], sh[1], sh[2]);
        }
        StreamedData sd = forTraining(source, dataDir, images, seed, "none", o, log);
        if (saved != null && saved.kind() != Scaler.Kind.NONE) {
            throw new BottleneckException("the model was trained with a " + saved.kind().key() + " scaler; a streamed image folder has none");
        }
        return sd;
    }

    private static Scaler scalerFrom(Scaler.Kind kind, ShardManifest.Stats st, int features) {
        if (kind == Scaler.Kind.NONE) return Scaler.none(features);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind.key());
        m.put("features", features);
        if (kind == Scaler.Kind.MINMAX) {
            m.put("min", st.min());
            m.put("max", st.max());
        } else {
            m.put("mean", st.mean());
            m.put("std", st.std());
        }
        return Scaler.fromMap(m);
    }

    /**
     * The smallest and largest scaled value of the training split ({@link dev.bottleneck.train.Noise#range} of it):
     * each value's min and max mapped through the scaler, which is increasing in every value.
     */
    private static double[] range(Scaler s, ShardManifest.Stats st) {
        float[] lo = new float[st.min().length], hi = new float[st.max().length];
        for (int j = 0; j < lo.length; j++) {
            lo[j] = (float) st.min()[j];
            hi[j] = (float) st.max()[j];
        }
        lo = s.transform(lo);
        hi = s.transform(hi);
        double a = Double.POSITIVE_INFINITY, b = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < lo.length; j++) {
            a = Math.min(a, lo[j]);
            b = Math.max(b, hi[j]);
        }
        return a > b ? new double[] {0, 1} : new double[] {a, b};
    }

    String source() { return source; }

    String kind() { return kind; }

    Scaler scaler() { return scaler; }

    /** The scaled training split, all of it. */
    Samples train() { return train; }

    /** The scaled test split; fails with a message when the shards have none. */
    Samples test() {
        if (test == null) throw new BottleneckException("the shard directory '" + source + "' has no test split; use --split train");
        return test;
    }

    boolean hasTest() { return test != null; }

    Samples split(String which) {
        switch (which.toLowerCase(Locale.ROOT)) {
            case "train": return train;
            case "test": return test();
            default: throw new BottleneckException("--split must be train or test, got '" + which + "'");
        }
    }

    /** The range noise is clipped to; fails when the manifest has no statistics. */
    double[] noiseRange() {
        if (range == null) {
            throw new BottleneckException(source + ": --noise clips to the range of the training data, but the manifest has no 'stats';"
                    + " add min and max to it (see the README, 'Shards')");
        }
        return range.clone();
    }

    /** config.json's data section, with the keys {@link PreparedData#describe} writes. */
    Map<String, Object> describe(long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", source);
        m.put("seed", seed);
        m.put("stream", kind);
        m.put("train_samples", train.size());
        m.put("test_samples", test == null ? 0 : test.size());
        m.put("sample_shape", Arrays.stream(train.sampleShape()).boxed().toList());
        m.put("scaler", scaler.toMap());
        return m;
    }

    @Override
    public void close() {
        if (shards != null) shards.close();
    }
}
