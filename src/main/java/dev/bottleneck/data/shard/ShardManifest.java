package dev.bottleneck.data.shard;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code manifest.json} of a shard directory: what every shard holds, so that a reader can check each file
 * before it maps it, and the scaler statistics of the training split, so that training never needs a pass over the
 * data to fit a scaler. The README documents the format for people who write shards with other tools.
 *
 * <pre>{@code
 * {
 *   "format": "bottleneck-shards", "version": 1,
 *   "name": "mnist",
 *   "sample_shape": [1, 28, 28],
 *   "dtype": "uint8",                 // uint8 | float16 | float32 (npy '|u1', '<f2', '<f4')
 *   "divide_by": 255,                 // the model sees stored / divide_by, divided in float32 (default 1)
 *   "classes": ["0", "1", ...],       // optional: label names
 *   "splits": {
 *     "train": {
 *       "samples": 60000,
 *       "shards": [{"file": "train-00000.npy", "samples": 60000, "sha256": "...",
 *                   "labels": "train-00000.labels.npy", "labels_sha256": "..."}],
 *       "stats": {"min": [...], "max": [...], "mean": [...], "std": [...]}   // per value, after divide_by
 *     },
 *     "test": { ... }                 // optional
 *   }
 * }
 * }</pre>
 */
public final class ShardManifest {
    public static final String FILE = "manifest.json";
    public static final String FORMAT = "bottleneck-shards";
    public static final int VERSION = 1;
    /** Split names a manifest may hold. */
    public static final List<String> SPLITS = List.of("train", "test");

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    /** How samples are stored. */
    public enum StoredType {
        UINT8("uint8", "|u1", 1), FLOAT16("float16", "<f2", 2), FLOAT32("float32", "<f4", 4);

        public final String key;
        public final String descr;
        public final int bytes;

        StoredType(String key, String descr, int bytes) {
            this.key = key;
            this.descr = descr;
            this.bytes = bytes;
        }

        /** uint8 / u8, float16 / f16 / half, float32 / f32 / float. */
        public static StoredType parse(String s) {
            switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
                case "uint8": case "u8": return UINT8;
                case "float16": case "f16": case "half": return FLOAT16;
                case "float32": case "f32": case "float": return FLOAT32;
                default: throw new BottleneckException("unknown dtype '" + s + "': expected u8, f16 or f32");
            }
        }

        /** Whether an .npy descr stores this type ('|u1' and 'u1' are the same thing). */
        public boolean matches(String npyDescr) {
            return switch (this) {
                case UINT8 -> npyDescr.equals("|u1") || npyDescr.equals("u1") || npyDescr.equals("<u1");
                case FLOAT16 -> npyDescr.equals("<f2");
                case FLOAT32 -> npyDescr.equals("<f4");
            };
        }
    }

    /** One shard file and what it must hold. */
    public record Shard(String file, int samples, String sha256, String labels, String labelsSha256) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", file);
            m.put("samples", samples);
            if (sha256 != null) m.put("sha256", sha256);
            if (labels != null) m.put("labels", labels);
            if (labelsSha256 != null) m.put("labels_sha256", labelsSha256);
            return m;
        }
    }

    /** Per-value statistics of a split (after divide_by), for scalers. */
    public record Stats(double[] min, double[] max, double[] mean, double[] std) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("min", list(min));
            m.put("max", list(max));
            m.put("mean", list(mean));
            m.put("std", list(std));
            return m;
        }
    }

    /** One split: its shards in order, the total, and statistics (may be null). */
    public record Split(String name, List<Shard> shards, int samples, Stats stats) {
        public Split {
            shards = List.copyOf(shards);
        }

        public boolean hasLabels() {
            return !shards.isEmpty() && shards.get(0).labels() != null;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("samples", samples);
            List<Object> l = new ArrayList<>();
            for (Shard s : shards) l.add(s.toMap());
            m.put("shards", l);
            if (stats != null) m.put("stats", stats.toMap());
            return m;
        }
    }

    private final String name;
    private final int[] sampleShape;
    private final StoredType dtype;
    private final double divideBy;
    private final Map<String, Split> splits;
    private final List<String> classes;
    private final Map<String, Object> source;

    public ShardManifest(String name, int[] sampleShape, StoredType dtype, double divideBy, Map<String, Split> splits,
                         List<String> classes, Map<String, Object> source) {
        this.name = name;
        this.sampleShape = sampleShape.clone();
        this.dtype = dtype;
        this.divideBy = divideBy;
        this.splits = new LinkedHashMap<>(splits);
        this.classes = classes == null ? null : List.copyOf(classes);
        this.source = source == null ? null : new LinkedHashMap<>(source);
    }

    public String name() { return name; }
    public int[] sampleShape() { return sampleShape.clone(); }
    public StoredType dtype() { return dtype; }
    public double divideBy() { return divideBy; }
    public List<String> classes() { return classes; }
    public Map<String, Object> source() { return source; }

    /** Values per sample. */
    public int features() {
        long p = 1;
        for (int d : sampleShape) p *= d;
        return (int) p;
    }

    /** Bytes of one stored sample. */
    public long rowBytes() {
        return (long) features() * dtype.bytes;
    }

    public boolean hasSplit(String split) { return splits.containsKey(split); }

    public Split split(String split) {
        Split s = splits.get(split);
        if (s == null) {
            throw new BottleneckException("the shard directory has no '" + split + "' split (it has " + String.join(", ", splits.keySet())
                    + "); use --split " + splits.keySet().iterator().next());
        }
        return s;
    }

    public Map<String, Split> splits() { return new LinkedHashMap<>(splits); }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", VERSION);
        m.put("name", name);
        List<Integer> shape = new ArrayList<>();
        for (int d : sampleShape) shape.add(d);
        m.put("sample_shape", shape);
        m.put("dtype", dtype.key);
        if (divideBy != 1) m.put("divide_by", divideBy == Math.rint(divideBy) ? (Object) (long) divideBy : (Object) divideBy);
        if (classes != null) m.put("classes", classes);
        Map<String, Object> sp = new LinkedHashMap<>();
        for (Map.Entry<String, Split> e : splits.entrySet()) sp.put(e.getKey(), e.getValue().toMap());
        m.put("splits", sp);
        if (source != null) m.put("source", source);
        return m;
    }

    /** Writes {@code DIR/manifest.json} atomically. */
    public void write(Path dir) {
        Json.writeFile(dir.resolve(FILE), toMap());
    }

    /** True when {@code dir} is a folder holding a manifest.json. */
    public static boolean isShardDirectory(Path dir) {
        return dir != null && Files.isDirectory(dir) && Files.isRegularFile(dir.resolve(FILE));
    }

    /** Reads and checks {@code DIR/manifest.json}; every value is type- and range-checked, nothing else is opened. */
    public static ShardManifest read(Path dir) {
        Path file = dir.resolve(FILE);
        String where = file.toString();
        try {
            if (!Files.isRegularFile(file)) {
                throw new BottleneckException(dir + " has no " + FILE + "; write the shard directory with 'bottleneck shard' or add a"
                        + " manifest (see the README, 'Shards')");
            }
            long size = Files.size(file);
            Limits.TEXT_BYTES.check(size, where + " (" + size + " bytes)");
        } catch (IOException e) {
            throw new BottleneckException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Map<String, Object> m = MapValues.map(Json.read(file, Object.class), where);
        String format = MapValues.textOr(m.get("format"), null, where + " 'format'");
        if (!FORMAT.equals(format)) {
            throw new BottleneckException(where + ": 'format' is " + MapValues.describe(format) + ", expected '" + FORMAT
                    + "'; this is not a shard manifest");
        }
        int version = MapValues.intValue(m.get("version"), where + " 'version'", 1, Integer.MAX_VALUE);
        if (version != VERSION) {
            throw new BottleneckException(where + ": manifest version " + version + " is newer than this program reads (" + VERSION
                    + "); update bottleneck or re-create the shards");
        }
        String name = MapValues.textOr(m.get("name"), dir.getFileName() == null ? "shards" : dir.getFileName().toString(), where + " 'name'");
        int[] shape = MapValues.intList(m.get("sample_shape"), where + " 'sample_shape'", 1, Integer.MAX_VALUE, 8);
        long features = 1;
        for (int d : shape) features = Limits.saturatedMultiply(features, d);
        Limits.SAMPLE_VALUES.check(features, where + ": one sample of " + Arrays.toString(shape));
        StoredType dtype;
        try {
            dtype = StoredType.parse(MapValues.text(m.get("dtype"), where + " 'dtype'"));
        } catch (BottleneckException e) {
            throw new BottleneckException(where + ": " + e.getMessage());
        }
        double divideBy = MapValues.numberOr(m.get("divide_by"), 1.0, where + " 'divide_by'", Double.MIN_VALUE, Double.MAX_VALUE);
        List<String> classes = null;
        if (m.get("classes") != null) {
            classes = new ArrayList<>();
            for (Object o : MapValues.list(m.get("classes"), where + " 'classes'")) classes.add(MapValues.text(o, where + " 'classes' entry"));
        }
        Map<String, Object> sp = MapValues.map(m.get("splits"), where + " 'splits'");
        if (!sp.containsKey("train")) throw new BottleneckException(where + ": 'splits' has no 'train' split; expected train (and test)");
        Map<String, Split> splits = new LinkedHashMap<>();
        for (String k : sp.keySet()) {
            if (!SPLITS.contains(k)) {
                throw new BottleneckException(where + ": unknown split '" + k + "'; expected train and test");
            }
            splits.put(k, readSplit(k, MapValues.map(sp.get(k), where + " split '" + k + "'"), (int) features, where));
        }
        Map<String, Object> source = m.get("source") == null ? null : MapValues.map(m.get("source"), where + " 'source'");
        return new ShardManifest(name, shape, dtype, divideBy, splits, classes, source);
    }

    private static Split readSplit(String name, Map<String, Object> m, int features, String where) {
        String at = where + " split '" + name + "'";
        List<?> list = MapValues.list(m.get("shards"), at + " 'shards'");
        if (list.isEmpty()) throw new BottleneckException(at + " lists no shards; expected at least one");
        List<Shard> shards = new ArrayList<>();
        long total = 0;
        boolean labelled = false;
        for (int i = 0; i < list.size(); i++) {
            String s = at + " shard " + i;
            Map<String, Object> e = MapValues.map(list.get(i), s);
            String file = fileName(e.get("file"), s + " 'file'");
            int samples = MapValues.intValue(e.get("samples"), s + " 'samples'", 1, Integer.MAX_VALUE);
            String sha = hash(e.get("sha256"), s + " 'sha256'");
            String labels = e.get("labels") == null ? null : fileName(e.get("labels"), s + " 'labels'");
            String labelsSha = hash(e.get("labels_sha256"), s + " 'labels_sha256'");
            if (i == 0) labelled = labels != null;
            if (labelled != (labels != null)) {
                throw new BottleneckException(s + ": either every shard of a split names a 'labels' file or none does");
            }
            total += samples;
            shards.add(new Shard(file, samples, sha, labels, labelsSha));
        }
        if (total > Limits.MAX_ARRAY) {
            throw new BottleneckException(at + " holds " + Limits.group(total) + " samples, more than " + Limits.group(Limits.MAX_ARRAY)
                    + " (sample indices are Java ints); split the data into several shard directories");
        }
        if (m.get("samples") != null) {
            long claimed = MapValues.longValue(m.get("samples"), at + " 'samples'", 0, Long.MAX_VALUE);
            if (claimed != total) {
                throw new BottleneckException(at + ": 'samples' is " + claimed + " but its shards hold " + total + "; fix the manifest");
            }
        }
        Stats stats = null;
        if (m.get("stats") != null) {
            Map<String, Object> st = MapValues.map(m.get("stats"), at + " 'stats'");
            stats = new Stats(values(st.get("min"), features, at + " 'stats.min'"), values(st.get("max"), features, at + " 'stats.max'"),
                    values(st.get("mean"), features, at + " 'stats.mean'"), values(st.get("std"), features, at + " 'stats.std'"));
        }
        return new Split(name, shards, (int) total, stats);
    }

    private static String fileName(Object o, String what) {
        String f = MapValues.text(o, what);
        if (!FILE_NAME.matcher(f).matches() || f.equals(".") || f.equals("..")) {
            throw new BottleneckException(what + " is '" + MapValues.describe(f) + "'; expected a plain file name inside the shard"
                    + " directory (letters, digits, '.', '_', '-')");
        }
        return f;
    }

    private static String hash(Object o, String what) {
        if (o == null) return null;
        String h = MapValues.text(o, what).toLowerCase(Locale.ROOT);
        if (!SHA256.matcher(h).matches()) throw new BottleneckException(what + " is not 64 hexadecimal digits: " + MapValues.describe(o));
        return h;
    }

    private static double[] values(Object o, int features, String what) {
        List<?> l = MapValues.list(o, what);
        if (l.size() != features) {
            throw new BottleneckException(what + " has " + l.size() + " values; expected one per value of a sample (" + features + ")");
        }
        double[] r = new double[features];
        for (int i = 0; i < features; i++) r[i] = MapValues.number(l.get(i), what + "[" + i + "]");
        return r;
    }

    private static List<Double> list(double[] v) {
        List<Double> l = new ArrayList<>(v.length);
        for (double d : v) l.add(d);
        return l;
    }
}
