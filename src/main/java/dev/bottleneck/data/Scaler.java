package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-feature scaling fitted on the training split only, then applied unchanged to validation and test data
 * (and inverted on reconstructions).
 *
 * <ul>
 *   <li>{@link Kind#NONE}: identity.</li>
 *   <li>{@link Kind#MINMAX}: {@code (x - min) / (max - min)}, so the training data lies in [0, 1]; a constant
 *       feature ({@code max == min}) uses a divisor of 1, so it maps to 0 on the training data.</li>
 *   <li>{@link Kind#STANDARD}: {@code (x - mean) / std} with the population standard deviation (divide by n);
 *       a zero std uses 1.</li>
 * </ul>
 * Statistics are accumulated in double precision.
 */
public final class Scaler {
    public enum Kind {
        NONE, MINMAX, STANDARD;

        /** Parses "none", "minmax" (or "min-max"), "standard" (or "zscore"), case-insensitively. */
        public static Kind parse(String s) {
            String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
            return switch (t) {
                case "none", "identity" -> NONE;
                case "minmax" -> MINMAX;
                case "standard", "zscore", "std" -> STANDARD;
                default -> throw new BottleneckException("unknown scaler '" + s + "'; expected one of none, minmax, standard");
            };
        }

        public String key() { return name().toLowerCase(Locale.ROOT); }
    }

    private final Kind kind;
    private final int features;
    // kind-specific statistics, as saved: MINMAX a=min b=max; STANDARD a=mean b=std; NONE both null
    private final double[] a;
    private final double[] b;
    // y = (x - offset) / divisor
    private final double[] offset;
    private final double[] divisor;

    private Scaler(Kind kind, int features, double[] a, double[] b) {
        this.kind = kind;
        this.features = features;
        this.a = a;
        this.b = b;
        if (kind == Kind.NONE) {
            offset = null;
            divisor = null;
        } else {
            offset = a.clone();
            divisor = new double[features];
            for (int j = 0; j < features; j++) {
                double d = kind == Kind.MINMAX ? b[j] - a[j] : b[j];
                divisor[j] = d > 0 && Double.isFinite(d) ? d : 1.0;
            }
        }
    }

    /** The identity scaler for data with the given number of features. */
    public static Scaler none(int features) {
        if (features <= 0) throw new BottleneckException("scaler needs a positive feature count, got " + features);
        return new Scaler(Kind.NONE, features, null, null);
    }

    /** Computes per-feature statistics on {@code train} (the training split only). */
    public static Scaler fit(Kind kind, Dataset train) {
        float[] x = train.x();
        int d = train.features();
        return fit(kind, train.n(), d, train.name(), (from, count, dst) -> System.arraycopy(x, from * d, dst, 0, count * d));
    }

    /** Reads rows {@code from .. from + count - 1} of a data set, row-major, into {@code dst[0 ..)}. */
    @FunctionalInterface
    public interface Rows {
        void read(int from, int count, float[] dst);
    }

    /** Rows read per chunk by {@link #fit(Kind, int, int, String, Rows)}: about 4 MiB of floats. */
    private static final int CHUNK_VALUES = 1 << 20;

    private static int chunkRows(int n, int d) {
        return Math.max(1, Math.min(n, CHUNK_VALUES / d));
    }

    /** What a pass over the rows does with value j of a row. */
    private interface ValueVisitor {
        void visit(int j, double v);
    }

    /** Visits every value of {@code n} rows of {@code d} values in row order, reading the rows chunk by chunk. */
    private static void eachValue(int n, int d, Rows rows, ValueVisitor visit) {
        int chunk = chunkRows(n, d);
        float[] x = new float[chunk * d];
        for (int from = 0; from < n; from += chunk) {
            int m = Math.min(chunk, n - from);
            rows.read(from, m, x);
            for (int i = 0; i < m; i++) {
                int base = i * d;
                for (int j = 0; j < d; j++) visit.visit(j, x[base + j]);
            }
        }
    }

    /** Each value's smallest and largest value over {@code n} rows of {@code d} values: {min[], max[]}. */
    public static double[][] minMax(int n, int d, Rows rows) {
        double[] a = new double[d];
        double[] b = new double[d];
        Arrays.fill(a, Double.POSITIVE_INFINITY);
        Arrays.fill(b, Double.NEGATIVE_INFINITY);
        eachValue(n, d, rows, (j, v) -> {
            if (v < a[j]) a[j] = v;
            if (v > b[j]) b[j] = v;
        });
        return new double[][] {a, b};
    }

    /**
     * As {@link #fit(Kind, Dataset)}, for {@code n} rows of {@code d} values read chunk by chunk (data that is not in
     * memory): the same sums in the same order, so the same statistics to the bit.
     */
    public static Scaler fit(Kind kind, int n, int d, String name, Rows rows) {
        if (kind == Kind.NONE) return none(d);
        if (n == 0) {
            throw new BottleneckException("cannot fit a " + kind.key() + " scaler on data set '" + name
                    + "': it has no rows; expected at least one training sample");
        }
        if (kind == Kind.MINMAX) {
            double[][] mm = minMax(n, d, rows);
            return new Scaler(kind, d, mm[0], mm[1]);
        }
        double[] a = new double[d];
        double[] b = new double[d];
        eachValue(n, d, rows, (j, v) -> a[j] += v);
        for (int j = 0; j < d; j++) a[j] /= n;
        eachValue(n, d, rows, (j, v) -> {
            double t = v - a[j];
            b[j] += t * t;
        });
        for (int j = 0; j < d; j++) b[j] = Math.sqrt(b[j] / n);
        return new Scaler(kind, d, a, b);
    }

    public Kind kind() { return kind; }

    public int features() { return features; }

    /** Per-feature offset subtracted before dividing (min or mean); null for NONE. A copy. */
    public double[] offset() { return offset == null ? null : offset.clone(); }

    /** Per-feature divisor (range or std, 1 where that is 0); null for NONE. A copy. */
    public double[] divisor() { return divisor == null ? null : divisor.clone(); }

    /** A new data set with every sample scaled; labels, ids and shape are kept. NONE returns the input itself. */
    public Dataset transform(Dataset data) {
        check(data.features(), "data set '" + data.name() + "'");
        if (kind == Kind.NONE) return data;
        return new Dataset(transform(data.x()), data.n(), data.sampleShape(), data.labels(), data.name(), data.ids());
    }

    /** Scales row-major samples (length a multiple of features()) into a new array. */
    public float[] transform(float[] rowMajor) {
        checkLength(rowMajor.length);
        if (kind == Kind.NONE) return rowMajor.clone();
        float[] out = new float[rowMajor.length];
        for (int base = 0; base < rowMajor.length; base += features) {
            for (int j = 0; j < features; j++) out[base + j] = (float) ((rowMajor[base + j] - offset[j]) / divisor[j]);
        }
        return out;
    }

    /** Undoes {@link #transform(float[])}: {@code x * divisor + offset}, into a new array. */
    public float[] inverse(float[] rowMajor) {
        checkLength(rowMajor.length);
        if (kind == Kind.NONE) return rowMajor.clone();
        float[] out = new float[rowMajor.length];
        for (int base = 0; base < rowMajor.length; base += features) {
            for (int j = 0; j < features; j++) out[base + j] = (float) (rowMajor[base + j] * divisor[j] + offset[j]);
        }
        return out;
    }

    /**
     * A JSON-friendly map: {"kind": "minmax", "features": D, "min": [...], "max": [...]}, or "mean"/"std" for
     * standard, or only kind and features for none.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind.key());
        m.put("features", features);
        if (kind == Kind.MINMAX) {
            m.put("min", toList(a));
            m.put("max", toList(b));
        } else if (kind == Kind.STANDARD) {
            m.put("mean", toList(a));
            m.put("std", toList(b));
        }
        return m;
    }

    /** Rebuilds a scaler from {@link #toMap()} output (lists of numbers or double[] accepted). */
    public static Scaler fromMap(Map<String, ?> m) {
        if (m == null) throw new BottleneckException("scaler settings missing; expected a map with 'kind'");
        Object k = m.get("kind");
        if (k == null) throw new BottleneckException("scaler settings " + m.keySet() + " have no 'kind'; expected none, minmax or standard");
        Kind kind = Kind.parse(dev.bottleneck.io.MapValues.text(k, "scaler 'kind'"));
        String an = kind == Kind.MINMAX ? "min" : "mean";
        String bn = kind == Kind.MINMAX ? "max" : "std";
        if (kind == Kind.NONE) {
            Object f = m.get("features");
            if (!(f instanceof Number)) throw new BottleneckException("scaler 'none' needs an integer 'features' entry");
            return none(dev.bottleneck.io.MapValues.intValue(f, "scaler 'features'", 1, Integer.MAX_VALUE));
        }
        double[] a = toArray(m.get(an), an);
        double[] b = toArray(m.get(bn), bn);
        if (a.length != b.length) {
            throw new BottleneckException("scaler '" + kind.key() + "': '" + an + "' has " + a.length + " values but '" + bn
                    + "' has " + b.length + "; expected one per feature — the saved model is corrupt");
        }
        Object f = m.get("features");
        if (f instanceof Number num && (num.doubleValue() != num.longValue() || num.longValue() != a.length)) {
            throw new BottleneckException("scaler '" + kind.key() + "': 'features' is " + num + " but '" + an + "' has "
                    + a.length + " values — the saved model is corrupt");
        }
        return new Scaler(kind, a.length, a, b);
    }

    private static List<Double> toList(double[] v) {
        List<Double> l = new ArrayList<>(v.length);
        for (double d : v) l.add(d);
        return l;
    }

    private static double[] toArray(Object o, String key) {
        if (o instanceof double[] arr) return arr.clone();
        if (o instanceof float[] arr) {
            double[] r = new double[arr.length];
            for (int i = 0; i < arr.length; i++) r[i] = arr[i];
            return r;
        }
        if (o instanceof List<?> l) {
            double[] r = new double[l.size()];
            for (int i = 0; i < r.length; i++) {
                if (!(l.get(i) instanceof Number num) || !Double.isFinite(num.doubleValue())) {
                    throw new BottleneckException("scaler '" + key + "'[" + i + "] is " + dev.bottleneck.io.MapValues.describe(l.get(i))
                            + "; expected a finite number — the saved model is corrupt");
                }
                r[i] = num.doubleValue();
            }
            return r;
        }
        throw new BottleneckException("scaler settings lack a '" + key + "' list of numbers (found " + o + ")");
    }

    private void check(int f, String what) {
        if (f != features) {
            throw new BottleneckException("scaler was fitted on " + features + " features, but " + what + " has " + f
                    + "; expected the same columns as the training data");
        }
    }

    private void checkLength(int len) {
        if (len % features != 0) {
            throw new BottleneckException("scaler was fitted on " + features + " features, but got " + len
                    + " values, not a multiple of it");
        }
    }

    @Override
    public String toString() {
        return "Scaler[" + kind.key() + ", " + features + " features]";
    }
}
