package dev.bottleneck.train;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.tensor.Tensor;

import java.util.List;

/**
 * One batch drawn from a {@link BatchSource}: for every array of the source, a tensor in backend memory of shape
 * {@code [size, sample shape...]} holding the batch's samples in order, plus the host row each sample came from.
 *
 * <p>The batch owns its tensors and releases them when closed; a {@link TrainStep} only reads them (wrap them with
 * {@link dev.bottleneck.autograd.Graph#constant}) and must not keep them past the step.
 */
public final class Batch implements AutoCloseable {
    private final Backend backend;
    private final List<String> names;
    private final Tensor[] tensors;
    private final int[] rows;
    private boolean closed;

    /**
     * @param names   the array names, in the order of {@code tensors}
     * @param tensors whole allocations of {@code backend} (not views): released by {@link #close}
     * @param rows    for each sample of the batch, its row in the source's host arrays
     */
    public Batch(Backend backend, List<String> names, Tensor[] tensors, int[] rows) {
        if (names.size() != tensors.length) throw new IllegalArgumentException(names.size() + " names for " + tensors.length + " tensors");
        for (Tensor t : tensors) {
            if (t.rows() != rows.length) {
                throw new IllegalArgumentException("batch tensor " + t + " does not have one row per sample (" + rows.length + ")");
            }
        }
        this.backend = backend;
        this.names = List.copyOf(names);
        this.tensors = tensors.clone();
        this.rows = rows.clone();
    }

    /** Number of samples. */
    public int size() { return rows.length; }

    /**
     * The host row sample {@code k} was taken from (an index into the arrays the source was built from), so a step
     * can look up per-sample facts it keeps on the host without reading anything back from the device.
     */
    public int row(int k) { return rows[k]; }

    /** Number of arrays (inputs, targets, masks...). */
    public int arrays() { return tensors.length; }

    /** The batch of array {@code i}, in the order the source declares them. */
    public Tensor tensor(int i) { return tensors[i]; }

    /** The batch of the array called {@code name}. */
    public Tensor tensor(String name) {
        int i = names.indexOf(name);
        if (i < 0) throw new IllegalArgumentException("no array '" + name + "' in this batch; it has " + names);
        return tensors[i];
    }

    public List<String> names() { return names; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Tensor t : tensors) backend.memory().release(t);
    }
}
