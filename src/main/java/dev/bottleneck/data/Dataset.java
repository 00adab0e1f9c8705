package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * An in-memory data set: {@code n} samples of {@code features()} floats each, stored row-major in one
 * array, with optional integer labels. {@code sampleShape} describes one sample ({1, 28, 28} for a
 * gray-scale image, {D} for a table row); its product is the number of features.
 *
 * <p>The arrays are shared, not copied, by the constructor and the accessors; treat them as read-only.
 * Methods that produce new data sets ({@link #subset}, {@link #split}) copy.
 */
public final class Dataset {
    private final float[] x;
    private final int n;
    private final int[] sampleShape;
    private final int[] labels;
    private final String name;
    private final int features;
    private final String[] ids;

    /** A train / validation pair produced by {@link #split}. */
    public record Split(Dataset train, Dataset validation) {}

    public Dataset(float[] x, int n, int[] sampleShape, int[] labels, String name) {
        this(x, n, sampleShape, labels, name, null);
    }

    /**
     * As above, with each sample's identity ({@code ids[i]}: the value of a table's id column, the line of the file a
     * row came from, an image's path inside its folder), or null without one. Shared, not copied.
     */
    public Dataset(float[] x, int n, int[] sampleShape, int[] labels, String name, String[] ids) {
        if (x == null || sampleShape == null) throw new IllegalArgumentException("x and sampleShape are required");
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        long f = 1;
        for (int d : sampleShape) {
            if (d <= 0) throw new IllegalArgumentException("sampleShape " + Arrays.toString(sampleShape) + " has a non-positive dimension");
            f *= d;
        }
        if (sampleShape.length == 0 || f > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad sampleShape " + Arrays.toString(sampleShape));
        }
        if ((long) n * f != x.length) {
            throw new IllegalArgumentException("data set '" + name + "': x has " + x.length + " floats, expected n × features = "
                    + n + " × " + f);
        }
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("data set '" + name + "': " + labels.length + " labels for " + n + " samples");
        }
        if (ids != null && ids.length != n) {
            throw new IllegalArgumentException("data set '" + name + "': " + ids.length + " ids for " + n + " samples");
        }
        this.ids = ids;
        this.x = x;
        this.n = n;
        this.sampleShape = sampleShape.clone();
        this.labels = labels;
        this.name = name == null ? "data" : name;
        this.features = (int) f;
    }

    /** Row-major samples, {@code n * features()} floats. Shared, not copied. */
    public float[] x() { return x; }

    public int n() { return n; }

    /** Shape of one sample, e.g. {1, 28, 28} or {D}. A copy. */
    public int[] sampleShape() { return sampleShape.clone(); }

    /** Labels, or null when the data set has none. Shared, not copied. */
    public int[] labels() { return labels; }

    public String name() { return name; }

    public int features() { return features; }

    public boolean hasLabels() { return labels != null; }

    /** The samples' identities (see the constructor), or null when the data has none. Shared, not copied. */
    public String[] ids() { return ids; }

    public boolean hasIds() { return ids != null; }

    /** The same samples with these identities (null: none). */
    public Dataset withIds(String[] newIds) {
        return new Dataset(x, n, sampleShape, labels, name, newIds);
    }

    /** A copy of sample {@code i}. */
    public float[] row(int i) {
        checkIndex(i);
        return Arrays.copyOfRange(x, i * features, (i + 1) * features);
    }

    /** Label of sample {@code i}; fails if the data set has no labels. */
    public int label(int i) {
        checkIndex(i);
        if (labels == null) throw new IllegalStateException("data set '" + name + "' has no labels");
        return labels[i];
    }

    /** A new data set holding copies of the given rows, in the given order (repeats allowed). */
    public Dataset subset(int[] indices, String newName) {
        float[] nx = new float[indices.length * features];
        int[] nl = labels == null ? null : new int[indices.length];
        String[] ni = ids == null ? null : new String[indices.length];
        for (int k = 0; k < indices.length; k++) {
            int i = indices[k];
            checkIndex(i);
            System.arraycopy(x, i * features, nx, k * features, features);
            if (nl != null) nl[k] = labels[i];
            if (ni != null) ni[k] = ids[i];
        }
        return new Dataset(nx, indices.length, sampleShape, nl, newName, ni);
    }

    /** The first {@code count} rows (or all when count >= n), as a copy. */
    public Dataset head(int count, String newName) {
        int m = Math.max(0, Math.min(count, n));
        int[] idx = new int[m];
        for (int i = 0; i < m; i++) idx[i] = i;
        return subset(idx, newName);
    }

    /**
     * Splits into train and validation after a seeded shuffle: validation gets {@code round(n * fraction)}
     * rows, train the rest. The same (n, fraction, seed) always gives the same split.
     */
    public Split split(double fraction, long seed) {
        if (!(fraction >= 0.0 && fraction <= 1.0)) {
            throw new BottleneckException("validation fraction must be in [0, 1], got " + fraction
                    + "; pass e.g. 0.1 for a 10% hold-out");
        }
        int nv = (int) Math.round(n * fraction);
        int[] perm = permutation(n, seed);
        int[] val = Arrays.copyOfRange(perm, 0, nv);
        int[] tr = Arrays.copyOfRange(perm, nv, n);
        return new Split(subset(tr, name + "-train"), subset(val, name + "-validation"));
    }

    /** Row indices of a train / validation split (see {@link #splitIndices}). */
    public record IndexSplit(int[] train, int[] validation) {}

    /**
     * The rows of a hold-out split, for data kept in other forms than a {@code Dataset}: for a positive fraction the
     * same rows as {@link #split} (validation gets the first {@code round(n * fraction)} entries of
     * {@code permutation(n, seed)}, train the rest); a fraction of 0 keeps every row for training in its original
     * order, as training without a hold-out does.
     */
    public static IndexSplit splitIndices(int n, double fraction, long seed) {
        if (!(fraction >= 0.0 && fraction <= 1.0)) {
            throw new BottleneckException("validation fraction must be in [0, 1], got " + fraction
                    + "; pass e.g. 0.1 for a 10% hold-out");
        }
        if (fraction == 0) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            return new IndexSplit(all, new int[0]);
        }
        int nv = (int) Math.round(n * fraction);
        int[] perm = permutation(n, seed);
        return new IndexSplit(Arrays.copyOfRange(perm, nv, n), Arrays.copyOfRange(perm, 0, nv));
    }

    /** A uniformly random permutation of 0..n-1 (Fisher–Yates driven by {@code SplittableRandom(seed)}). */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /**
     * The shuffle for one epoch: {@code permutation(n, mix(seed, epoch))}. Depends only on (n, seed, epoch),
     * so a resumed run sees the same order as an uninterrupted one.
     */
    public static int[] epochPermutation(int n, long seed, int epoch) {
        return permutation(n, epochSeed(seed, epoch));
    }

    /** The seed used for epoch {@code epoch}: a SplitMix64 finaliser of seed and epoch, so nearby epochs decorrelate. */
    public static long epochSeed(long seed, int epoch) {
        long z = seed ^ (0x9E3779B97F4A7C15L * (epoch + 1L));
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException("row " + i + " of data set '" + name + "' with " + n + " rows");
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ": " + n + " × " + Arrays.toString(sampleShape) + (labels != null ? ", labelled" : "") + "]";
    }
}
