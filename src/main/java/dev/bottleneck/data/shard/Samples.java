package dev.bottleneck.data.shard;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.Scaler;

/**
 * Random access to the samples of one split without holding them in the Java heap: shards mapped from disk
 * ({@link ShardSplit}), images decoded on demand ({@link ImageFolderSamples}), or, for comparison, an in-memory
 * {@link Dataset} ({@link #of}). Every sample is {@link #features()} floats in row-major order, as the model sees
 * them (scaled, when the samples come from {@link #scaled}).
 *
 * <p>{@link #read} may be called from several threads at once.
 */
public interface Samples {
    /** Number of samples. */
    int size();

    /** The shape of one sample, e.g. {1, 28, 28} or {D}. A copy. */
    int[] sampleShape();

    /** Values per sample. */
    default int features() {
        long p = 1;
        for (int d : sampleShape()) p *= d;
        return (int) p;
    }

    /** A name for messages (the data set and split). */
    String name();

    boolean hasLabels();

    /** The label of sample {@code i}; fails when there are none. */
    int label(int i);

    /**
     * Whether the samples carry an identity ({@link #id}): a table's id column or source line, an image's path inside
     * its folder. Without one, a sample is known by its position.
     */
    default boolean hasIds() {
        return false;
    }

    /** The identity of sample {@code i}, or null when there is none. */
    default String id(int i) {
        return null;
    }

    /** Writes sample {@code i} into {@code dst[off .. off + features())}. */
    void read(int i, float[] dst, int off);

    /** Writes samples {@code order[from] ... order[from + count - 1]} one after the other, starting at {@code dst[off]}. */
    default void read(int[] order, int from, int count, float[] dst, int off) {
        int f = features();
        for (int k = 0; k < count; k++) read(order[from + k], dst, off + k * f);
    }

    /** Writes samples {@code from ... from + count - 1}, starting at {@code dst[off]}. */
    default void readRange(int from, int count, float[] dst, int off) {
        int f = features();
        for (int k = 0; k < count; k++) read(from + k, dst, off + k * f);
    }

    /**
     * The index in the underlying data of sample {@code i} (the row of the whole split for a {@linkplain #rows subset};
     * {@code i} itself otherwise). Batches report it as {@link dev.bottleneck.train.Batch#row}.
     */
    default int sourceRow(int i) {
        return i;
    }

    /** The samples {@code rows[0], rows[1], ...} of this one, in that order (a view: nothing is copied). */
    default Samples rows(int[] rows) {
        return new Subset(this, rows.clone(), name());
    }

    /** The first {@code count} samples (all when there are fewer), as a view. */
    default Samples head(int count) {
        int m = Math.max(0, Math.min(count, size()));
        if (m == size()) return this;
        int[] r = new int[m];
        for (int i = 0; i < m; i++) r[i] = i;
        return rows(r);
    }

    /** These samples scaled by {@code scaler} ({@link Scaler#transform} on each sample: the same floats). */
    default Samples scaled(Scaler scaler) {
        if (scaler.features() != features()) {
            throw new BottleneckException("the scaler was fitted on " + scaler.features() + " features but " + name() + " has "
                    + features() + " per sample; expected the same columns as the training data");
        }
        if (scaler.kind() == Scaler.Kind.NONE) return this;
        return new Scaled(this, scaler);
    }

    /**
     * Copies the samples into an in-memory data set (for commands that need every sample at once); refused with a
     * one-line message when they do not fit into a Java array or the heap.
     */
    default Dataset materialize(String datasetName) {
        long total = (long) size() * features();
        if (total > Limits.MAX_ARRAY) {
            throw new BottleneckException(name() + ": " + Limits.group(size()) + " samples of " + features() + " values are more than"
                    + " one Java array can hold; this command needs the whole split in memory — use --limit, or a command that"
                    + " streams (train, eval, encode, detect, index)");
        }
        Limits.checkHeap(4 * total, name() + ": " + Limits.group(size()) + " samples of " + features() + " values");
        float[] x = new float[(int) total];
        readRange(0, size(), x, 0);
        int[] labels = null;
        if (hasLabels()) {
            labels = new int[size()];
            for (int i = 0; i < labels.length; i++) labels[i] = label(i);
        }
        String[] ids = null;
        if (hasIds()) {
            ids = new String[size()];
            for (int i = 0; i < ids.length; i++) ids[i] = id(i);
        }
        return new Dataset(x, size(), sampleShape(), labels, datasetName, ids);
    }

    /** An in-memory data set as samples (reads copy rows out of its array). */
    static Samples of(Dataset d) {
        return new Samples() {
            @Override public int size() { return d.n(); }
            @Override public int[] sampleShape() { return d.sampleShape(); }
            @Override public int features() { return d.features(); }
            @Override public String name() { return d.name(); }
            @Override public boolean hasLabels() { return d.hasLabels(); }
            @Override public int label(int i) { return d.label(i); }
            @Override public boolean hasIds() { return d.hasIds(); }
            @Override public String id(int i) { return d.hasIds() ? d.ids()[i] : null; }

            @Override
            public void read(int i, float[] dst, int off) {
                if (i < 0 || i >= d.n()) throw new IndexOutOfBoundsException("sample " + i + " of " + d.n());
                System.arraycopy(d.x(), i * d.features(), dst, off, d.features());
            }

            @Override
            public void readRange(int from, int count, float[] dst, int off) {
                System.arraycopy(d.x(), from * d.features(), dst, off, count * d.features());
            }
        };
    }

    /** A reordered subset of another source. */
    final class Subset implements Samples {
        private final Samples base;
        private final int[] rows;
        private final String name;

        Subset(Samples base, int[] rows, String name) {
            for (int r : rows) {
                if (r < 0 || r >= base.size()) throw new IndexOutOfBoundsException("row " + r + " of " + base.size() + " in " + base.name());
            }
            this.base = base;
            this.rows = rows;
            this.name = name;
        }

        @Override public int size() { return rows.length; }
        @Override public int[] sampleShape() { return base.sampleShape(); }
        @Override public int features() { return base.features(); }
        @Override public String name() { return name; }
        @Override public boolean hasLabels() { return base.hasLabels(); }
        @Override public int label(int i) { return base.label(rows[i]); }
        @Override public boolean hasIds() { return base.hasIds(); }
        @Override public String id(int i) { return base.id(rows[i]); }
        @Override public int sourceRow(int i) { return base.sourceRow(rows[i]); }
        @Override public void read(int i, float[] dst, int off) { base.read(rows[i], dst, off); }

        @Override
        public void read(int[] order, int from, int count, float[] dst, int off) {
            int[] mapped = new int[count];
            for (int k = 0; k < count; k++) mapped[k] = rows[order[from + k]];
            base.read(mapped, 0, count, dst, off);
        }

        @Override
        public void readRange(int from, int count, float[] dst, int off) {
            base.read(rows, from, count, dst, off);
        }

        @Override
        public Samples rows(int[] subset) {
            int[] composed = new int[subset.length];
            for (int k = 0; k < subset.length; k++) {
                if (subset[k] < 0 || subset[k] >= rows.length) throw new IndexOutOfBoundsException("row " + subset[k] + " of " + rows.length);
                composed[k] = rows[subset[k]];
            }
            return new Subset(base, composed, name);
        }

        @Override
        public Samples scaled(Scaler scaler) {
            // scale the base, keep the subset on top, so every view of a split shares one reader
            Samples s = base.scaled(scaler);
            return s == base ? this : new Subset(s, rows, name);
        }
    }

    /** Samples passed through a fitted scaler on the way out. */
    final class Scaled implements Samples {
        private final Samples base;
        private final double[] offset;
        private final double[] divisor;

        Scaled(Samples base, Scaler scaler) {
            this.base = base;
            this.offset = scaler.offset();
            this.divisor = scaler.divisor();
        }

        @Override public int size() { return base.size(); }
        @Override public int[] sampleShape() { return base.sampleShape(); }
        @Override public int features() { return base.features(); }
        @Override public String name() { return base.name(); }
        @Override public boolean hasLabels() { return base.hasLabels(); }
        @Override public int label(int i) { return base.label(i); }
        @Override public boolean hasIds() { return base.hasIds(); }
        @Override public String id(int i) { return base.id(i); }
        @Override public int sourceRow(int i) { return base.sourceRow(i); }

        @Override
        public void read(int i, float[] dst, int off) {
            base.read(i, dst, off);
            apply(dst, off, 1);
        }

        @Override
        public void read(int[] order, int from, int count, float[] dst, int off) {
            base.read(order, from, count, dst, off);
            apply(dst, off, count);
        }

        @Override
        public void readRange(int from, int count, float[] dst, int off) {
            base.readRange(from, count, dst, off);
            apply(dst, off, count);
        }

        /** The arithmetic of {@link Scaler#transform(float[])}, in place. */
        private void apply(float[] x, int off, int count) {
            int f = offset.length;
            for (int k = 0; k < count; k++) {
                int base = off + k * f;
                for (int j = 0; j < f; j++) x[base + j] = (float) ((x[base + j] - offset[j]) / divisor[j]);
            }
        }
    }
}
