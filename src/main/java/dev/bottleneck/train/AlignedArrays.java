package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A data set of several arrays with one row per sample (inputs and targets, ratings and their mask, images and
 * pixel labels), uploaded once to backend memory. A batch gathers the same rows from every array with one
 * backend gather per array, so the arrays stay aligned under any permutation and nothing is copied through the
 * host during training.
 *
 * <p>The source may use a subset of the host rows ({@link Builder#rows}): sample {@code i} of the source is then
 * host row {@code rows[i]}, which is what {@link Batch#row} reports.
 */
public final class AlignedArrays implements BatchSource {
    private final Backend backend;
    private final List<String> names;
    private final List<int[]> shapes;
    private final Tensor[] data;
    private final int[] rows; // null: host row i is sample i
    private final int n;
    private final String fingerprint;

    private AlignedArrays(Backend backend, List<String> names, List<int[]> shapes, Tensor[] data, int[] rows, int n, String fingerprint) {
        this.fingerprint = fingerprint;
        this.backend = backend;
        this.names = List.copyOf(names);
        this.shapes = shapes;
        this.data = data;
        this.rows = rows;
        this.n = n;
    }

    /** Starts a source over host arrays of {@code hostRows} rows each. */
    public static Builder builder(Backend backend, int hostRows) {
        return new Builder(backend, hostRows);
    }

    /** The samples of a data set as one array {@code x} whose batches are matrices [batch, features]. */
    public static AlignedArrays of(Backend backend, Dataset data) {
        return builder(backend, data.n()).add("x", data.x(), data.features()).build();
    }

    @Override
    public int size() { return n; }

    public List<String> names() { return names; }

    /** The shape of one sample of array {@code name}. */
    public int[] sampleShape(String name) {
        int i = names.indexOf(name);
        if (i < 0) throw new IllegalArgumentException("no array '" + name + "'; there are " + names);
        return shapes.get(i).clone();
    }

    /** CRC-32C over the arrays' names, shapes and the values of the samples in source order, computed once when built. */
    @Override
    public String fingerprint() { return fingerprint; }

    @Override
    public Batch gather(int[] order, int from, int count) {
        if (count < 1 || from < 0 || from + count > order.length) {
            throw new IllegalArgumentException("gather: samples [" + from + ", " + (from + count) + ") of an order of " + order.length);
        }
        int[] hostRows = new int[count];
        for (int k = 0; k < count; k++) {
            int i = order[from + k];
            if (i < 0 || i >= n) throw new IndexOutOfBoundsException("gather: sample " + i + " of " + n);
            hostRows[k] = rows == null ? i : rows[i];
        }
        Tensor[] out = new Tensor[data.length];
        try {
            for (int a = 0; a < data.length; a++) {
                int[] shape = new int[shapes.get(a).length + 1];
                shape[0] = count;
                System.arraycopy(shapes.get(a), 0, shape, 1, shape.length - 1);
                out[a] = backend.memory().allocate(shape);
                backend.memory().gatherRows(data[a], order, from, out[a]);
            }
        } catch (RuntimeException e) {
            for (Tensor t : out) if (t != null) backend.memory().release(t);
            throw e;
        }
        return new Batch(backend, names, out, hostRows);
    }

    @Override
    public void close() {
        for (Tensor t : data) backend.memory().release(t);
    }

    /** Collects the arrays, then uploads them in {@link #build}. */
    public static final class Builder {
        private final Backend backend;
        private final int hostRows;
        private final List<String> names = new ArrayList<>();
        private final List<int[]> shapes = new ArrayList<>();
        private final List<float[]> arrays = new ArrayList<>();
        private int[] rows;

        private Builder(Backend backend, int hostRows) {
            if (hostRows < 0) throw new IllegalArgumentException("negative row count " + hostRows);
            this.backend = backend;
            this.hostRows = hostRows;
        }

        /**
         * Adds an array of {@code hostRows} samples of shape {@code sampleShape}, row-major in {@code host} (read
         * when {@link #build} runs, not kept).
         */
        public Builder add(String name, float[] host, int... sampleShape) {
            if (names.contains(name)) throw new IllegalArgumentException("array '" + name + "' added twice");
            long per = Tensor.sizeOf(sampleShape);
            if (sampleShape.length == 0 || per < 1 || per * hostRows != host.length) {
                throw new BottleneckException("array '" + name + "' has " + host.length + " values, not " + hostRows
                        + " samples of shape " + Arrays.toString(sampleShape));
            }
            names.add(name);
            shapes.add(sampleShape.clone());
            arrays.add(host);
            return this;
        }

        /** Uses only these host rows, in this order, as the source's samples (e.g. one side of a hold-out split). */
        public Builder rows(int[] subset) {
            for (int r : subset) {
                if (r < 0 || r >= hostRows) throw new IndexOutOfBoundsException("row " + r + " of " + hostRows);
            }
            this.rows = subset.clone();
            return this;
        }

        public AlignedArrays build() {
            if (names.isEmpty()) throw new IllegalStateException("a batch source needs at least one array");
            int n = rows == null ? hostRows : rows.length;
            Tensor[] data = new Tensor[arrays.size()];
            try {
                for (int a = 0; a < data.length; a++) {
                    int per = (int) Tensor.sizeOf(shapes.get(a));
                    data[a] = backend.memory().allocate(Math.max(1, n), per);
                    if (n == 0) continue;
                    float[] host = arrays.get(a);
                    if (rows == null) {
                        backend.memory().upload(host, 0, data[a]);
                    } else {
                        float[] picked = new float[Math.multiplyExact(n, per)];
                        for (int i = 0; i < n; i++) System.arraycopy(host, rows[i] * per, picked, i * per, per);
                        backend.memory().upload(picked, 0, data[a]);
                    }
                }
            } catch (RuntimeException e) {
                for (Tensor t : data) if (t != null) backend.memory().release(t);
                throw e;
            }
            // the gather indexes the uploaded (already subset) rows, the batch reports the host rows
            return new AlignedArrays(backend, names, List.copyOf(shapes), data, rows, n, fingerprint(n));
        }

        private String fingerprint(int n) {
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            crc.update(head.putInt(n).flip());
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocateDirect(1 << 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            java.nio.FloatBuffer floats = bytes.asFloatBuffer();
            for (int a = 0; a < names.size(); a++) {
                crc.update(names.get(a).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                for (int d : shapes.get(a)) crc.update(head.clear().putInt(d).flip());
                int per = (int) Tensor.sizeOf(shapes.get(a));
                float[] host = arrays.get(a);
                for (int i = 0; i < n; i++) {
                    int from = (rows == null ? i : rows[i]) * per;
                    for (int k = 0; k < per; ) {
                        int len = Math.min(per - k, floats.remaining());
                        floats.put(host, from + k, len);
                        k += len;
                        if (!floats.hasRemaining()) flush(crc, bytes, floats);
                    }
                }
            }
            flush(crc, bytes, floats);
            return String.format("crc32c:%08x:%d", crc.getValue(), n);
        }

        private static void flush(java.util.zip.CRC32C crc, java.nio.ByteBuffer bytes, java.nio.FloatBuffer floats) {
            crc.update(bytes.duplicate().position(0).limit(floats.position() * 4));
            floats.clear();
        }
    }
}
