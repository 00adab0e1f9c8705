package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.ClassNames;
import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.ImageFolderReader;
import dev.bottleneck.data.LabelFilter;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.data.TextFolderReader;
import dev.bottleneck.data.TextVectorizer;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.io.MapValues;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A data set ready for a model: loaded, split, and scaled with statistics of the training split only. Its
 * description (source, preprocessing, class names, the classes trained on) is stored in config.json so
 * eval/encode/reconstruct prepare data the same way.
 *
 * @param classes the class names ({@link ClassNames#NUMERIC} for numeric labels or none)
 * @param filter  for training: the classes kept ({@code --normal-labels}), which {@code train} holds only; null when
 *                every sample is kept, and always null from {@link #fromConfig}, whose training split is whole
 */
record PreparedData(String source, Dataset train, Dataset test, Scaler scaler, Map<String, Object> csv, ClassNames classes,
                    LabelFilter filter, Map<String, Object> reading) {

    static PreparedData load(String source, Path dataDir, CsvReader.Options csv, long seed, String scale) {
        return load(source, dataDir, csv, null, null, seed, scale, null);
    }

    static PreparedData load(String source, Path dataDir, CsvReader.Options csv, ImageFolderReader.Options images, long seed,
                             String scale) {
        return load(source, dataDir, csv, images, null, seed, scale, null);
    }

    /**
     * Loads and scales {@code source}; with a {@code filter} the training split keeps only those classes, and the
     * scaler is fitted on them (the test split keeps every sample).
     */
    static PreparedData load(String source, Path dataDir, CsvReader.Options csv, ImageFolderReader.Options images,
                             TextFolderReader.Options text, long seed, String scale, LabelFilter filter) {
        TrainTest tt = DataSources.resolve(source, dataDir, csv, images, text, seed, DataSources.Environment.system());
        ClassNames classes = ClassNames.of(tt.classes());
        Dataset all = tt.train(), tr = all;
        if (filter != null) {
            tr = all.subset(filter.keptRows(all.n(), all.hasLabels() ? all::label : null, classes, "the training split of " + source),
                    all.name());
        }
        Scaler.Kind kind = scale == null || scale.equals("auto") ? autoScale(tr, tt) : Scaler.Kind.parse(scale);
        Scaler scaler = Scaler.fit(kind, tr);
        Dataset train = scaler.transform(tr);
        Dataset test = scaler.transform(tt.test());
        Map<String, Object> csvMap = csvMap(csv);
        Path file = csv == null ? null : csvFile(source, dataDir);
        if (file != null) csvMap.put("features", CsvReader.featureNames(file, csv)); // so 'score' can check a new file's columns
        return new PreparedData(source, train, test, scaler, csvMap, classes, filter, tt.reading());
    }

    /** The CSV file a data argument names (relative paths also under --data), or null when it names none. */
    private static Path csvFile(String source, Path dataDir) {
        Path p = Path.of(source);
        if (!p.isAbsolute() && dataDir != null && !java.nio.file.Files.exists(p) && java.nio.file.Files.exists(dataDir.resolve(p))) {
            p = dataDir.resolve(p);
        }
        return java.nio.file.Files.isRegularFile(p) ? p : null;
    }

    /** {@code --scale auto}: none for images and for TF-IDF or binary document vectors (already in [0, 1]), else min-max. */
    private static Scaler.Kind autoScale(Dataset train, TrainTest tt) {
        if (isImage(train)) return Scaler.Kind.NONE;
        if (tt.reading().get("text") instanceof Map<?, ?> t && !TextVectorizer.Weight.COUNT.key.equals(t.get("weight"))) return Scaler.Kind.NONE;
        return Scaler.Kind.MINMAX;
    }

    /** Reloads the data a model was trained on, with the saved scaler (overriding the source if given). */
    @SuppressWarnings("unchecked")
    static PreparedData fromConfig(Map<String, Object> config, String overrideSource, Path dataDir) {
        Object d = config.get("data");
        if (!(d instanceof Map)) throw new BottleneckException("config.json has no 'data' section: pass the data set explicitly");
        Map<String, Object> data = MapValues.map(d, "config.json 'data'");
        Object src = data.get("source");
        if (overrideSource == null && src != null && !(src instanceof String)) {
            throw new BottleneckException("config.json 'data.source' must be text (a data set name or a path), got "
                    + MapValues.describe(src) + "; fix it, or pass the data with --dataset");
        }
        String source = overrideSource != null ? overrideSource : (String) src;
        long seed = data.get("seed") == null ? 42
                : MapValues.longValue(data.get("seed"), "config.json 'data.seed'", Long.MIN_VALUE, Long.MAX_VALUE);
        CsvReader.Options csv = data.get("csv") == null ? null : csvOptions(MapValues.map(data.get("csv"), "config.json 'data.csv'"));
        ImageFolderReader.Options images = savedImageOptions(data);
        TextFolderReader.Options text = data.get("text") == null ? null
                : TextFolderReader.Options.fitted(TextVectorizer.fromMap(MapValues.map(data.get("text"), "config.json 'data.text'"), "config.json 'data.text'"));
        TrainTest tt = DataSources.resolve(source, dataDir, csv, images, text, seed, DataSources.Environment.system());
        Scaler scaler = data.get("scaler") instanceof Map ? Scaler.fromMap(MapValues.map(data.get("scaler"), "config.json 'data.scaler'"))
                : Scaler.none(tt.train().features());
        if (scaler.features() != tt.train().features()) {
            throw new BottleneckException("data set '" + source + "' has " + tt.train().features() + " features but the model was trained on "
                    + scaler.features());
        }
        return new PreparedData(source, scaler.transform(tt.train()), scaler.transform(tt.test()), scaler, csvMap(csv),
                ClassNames.of(tt.classes()), null, tt.reading());
    }

    /**
     * The image options config.json's data section records: channels and size from {@code sample_shape}, the background
     * from {@code background} (white for models saved before it was recorded); null when the samples are not images.
     */
    static ImageFolderReader.Options savedImageOptions(Map<String, Object> data) {
        if (!(data.get("sample_shape") instanceof List) || ((List<?>) data.get("sample_shape")).size() != 3) return null;
        int[] sh = MapValues.intList(data.get("sample_shape"), "config.json 'data.sample_shape'", 1, Integer.MAX_VALUE, 3);
        ImageFolderReader.Options o = new ImageFolderReader.Options(sh[0], sh[1], sh[2]);
        if (data.get("background") == null) return o;
        int[] bg = MapValues.intList(data.get("background"), "config.json 'data.background'", 0, 255, 3);
        if (bg.length != 3) throw new BottleneckException("config.json 'data.background' must be [R, G, B], got " + bg.length + " values");
        return o.withBackground((bg[0] << 16) | (bg[1] << 8) | bg[2]);
    }

    static boolean isImage(Dataset d) {
        return d.sampleShape().length == 3;
    }

    Dataset split(String which) {
        switch (which.toLowerCase(Locale.ROOT)) {
            case "train": return train;
            case "test": return test;
            default: throw new BottleneckException("--split must be train or test, got '" + which + "'");
        }
    }

    Map<String, Object> describe(long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", source);
        m.put("seed", seed);
        m.put("train_samples", train.n());
        m.put("test_samples", test.n());
        m.put("sample_shape", Arrays.stream(train.sampleShape()).boxed().toList());
        m.put("scaler", scaler.toMap());
        if (csv != null) m.put("csv", csv);
        if (classes.named()) m.put("classes", classes.names());
        if (filter != null) m.putAll(filter.describe(classes));
        m.putAll(reading);
        return m;
    }

    private static Map<String, Object> csvMap(CsvReader.Options o) {
        if (o == null) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("header", o.header().name().toLowerCase(Locale.ROOT));
        if (o.delimiter() != null) m.put("delimiter", String.valueOf(o.delimiter()));
        if (o.labelName() != null) m.put("label", o.labelName());
        if (o.labelIndex() != null) m.put("label_index", o.labelIndex());
        if (!o.skipNames().isEmpty()) m.put("skip", List.copyOf(o.skipNames()));
        if (!o.skipIndices().isEmpty()) m.put("skip_index", List.copyOf(o.skipIndices()));
        if (o.idName() != null) m.put("id", o.idName());
        if (o.idIndex() != null) m.put("id_index", o.idIndex());
        return m;
    }

    /** The CSV options saved in config.json ({@code data.csv}); every value is type-checked. */
    static CsvReader.Options csvOptions(Map<String, Object> m) {
        if (m == null) return null;
        String where = "config.json 'data.csv'";
        CsvReader.Builder b = CsvReader.options();
        if (m.get("header") != null) {
            String h = MapValues.text(m.get("header"), where + " 'header'").toUpperCase(Locale.ROOT);
            try {
                b.header(CsvReader.Header.valueOf(h));
            } catch (IllegalArgumentException e) {
                throw new BottleneckException(where + " 'header' must be auto, yes or no, got '" + h.toLowerCase(Locale.ROOT) + "'");
            }
        }
        if (m.get("delimiter") != null) {
            String d = MapValues.text(m.get("delimiter"), where + " 'delimiter'");
            if (d.length() != 1) throw new BottleneckException(where + " 'delimiter' must be one character, got '" + d + "'");
            b.delimiter(d.charAt(0));
        }
        if (m.get("label") != null) b.labelColumn(MapValues.text(m.get("label"), where + " 'label'"));
        if (m.get("label_index") != null) {
            b.labelColumn(MapValues.intValue(m.get("label_index"), where + " 'label_index'", Integer.MIN_VALUE, Integer.MAX_VALUE));
        }
        if (m.get("skip") != null) {
            for (Object o : MapValues.list(m.get("skip"), where + " 'skip'")) b.skipColumns(MapValues.text(o, where + " 'skip' entry"));
        }
        if (m.get("id") != null) b.idColumn(MapValues.text(m.get("id"), where + " 'id'"));
        if (m.get("id_index") != null) {
            b.idColumn(MapValues.intValue(m.get("id_index"), where + " 'id_index'", Integer.MIN_VALUE, Integer.MAX_VALUE));
        }
        if (m.get("skip_index") != null) {
            for (Object o : MapValues.list(m.get("skip_index"), where + " 'skip_index'")) {
                b.skipColumnIndices(MapValues.intValue(o, where + " 'skip_index' entry", Integer.MIN_VALUE, Integer.MAX_VALUE));
            }
        }
        return b.build();
    }
}
