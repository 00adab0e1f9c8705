package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.ImageFolderReader;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.data.TrainTest;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A data set ready for a model: loaded, split, and scaled with statistics of the training split only. Its
 * description (source, preprocessing) is stored in config.json so eval/encode/reconstruct prepare data the
 * same way.
 */
record PreparedData(String source, Dataset train, Dataset test, Scaler scaler, Map<String, Object> csv) {

    static PreparedData load(String source, Path dataDir, CsvReader.Options csv, long seed, String scale) {
        return load(source, dataDir, csv, null, seed, scale);
    }

    static PreparedData load(String source, Path dataDir, CsvReader.Options csv, ImageFolderReader.Options images, long seed,
                             String scale) {
        TrainTest tt = DataSources.resolve(source, dataDir, csv, images, seed, DataSources.Environment.system());
        Scaler.Kind kind = scale == null || scale.equals("auto")
                ? (isImage(tt.train()) ? Scaler.Kind.NONE : Scaler.Kind.MINMAX)
                : Scaler.Kind.parse(scale);
        Scaler scaler = Scaler.fit(kind, tt.train());
        Dataset train = scaler.transform(tt.train());
        Dataset test = scaler.transform(tt.test());
        return new PreparedData(source, train, test, scaler, csvMap(csv));
    }

    /** Reloads the data a model was trained on, with the saved scaler (overriding the source if given). */
    @SuppressWarnings("unchecked")
    static PreparedData fromConfig(Map<String, Object> config, String overrideSource, Path dataDir) {
        Object d = config.get("data");
        if (!(d instanceof Map)) throw new BottleneckException("config.json has no 'data' section: pass the data set explicitly");
        Map<String, Object> data = (Map<String, Object>) d;
        String source = overrideSource != null ? overrideSource : (String) data.get("source");
        long seed = data.get("seed") instanceof Number ? ((Number) data.get("seed")).longValue() : 42;
        CsvReader.Options csv = csvOptions((Map<String, Object>) data.get("csv"));
        ImageFolderReader.Options images = null;
        if (data.get("sample_shape") instanceof List && ((List<?>) data.get("sample_shape")).size() == 3) {
            List<?> sh = (List<?>) data.get("sample_shape");
            images = new ImageFolderReader.Options(((Number) sh.get(0)).intValue(), ((Number) sh.get(1)).intValue(),
                    ((Number) sh.get(2)).intValue());
        }
        TrainTest tt = DataSources.resolve(source, dataDir, csv, images, seed, DataSources.Environment.system());
        Scaler scaler = data.get("scaler") instanceof Map ? Scaler.fromMap((Map<String, Object>) data.get("scaler"))
                : Scaler.none(tt.train().features());
        if (scaler.features() != tt.train().features()) {
            throw new BottleneckException("data set '" + source + "' has " + tt.train().features() + " features but the model was trained on "
                    + scaler.features());
        }
        return new PreparedData(source, scaler.transform(tt.train()), scaler.transform(tt.test()), scaler, csvMap(csv));
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
        return m;
    }

    @SuppressWarnings("unchecked")
    static CsvReader.Options csvOptions(Map<String, Object> m) {
        if (m == null) return null;
        CsvReader.Builder b = CsvReader.options();
        if (m.get("header") != null) b.header(CsvReader.Header.valueOf(m.get("header").toString().toUpperCase(Locale.ROOT)));
        if (m.get("delimiter") != null) b.delimiter(m.get("delimiter").toString().charAt(0));
        if (m.get("label") != null) b.labelColumn(m.get("label").toString());
        if (m.get("label_index") != null) b.labelColumn(((Number) m.get("label_index")).intValue());
        if (m.get("skip") instanceof List) b.skipColumns((List<String>) m.get("skip"));
        if (m.get("skip_index") instanceof List) {
            b.skipColumnIndices(((List<Number>) m.get("skip_index")).stream().mapToInt(Number::intValue).toArray());
        }
        return b.build();
    }
}
