package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

/** Allocation, host transfers and copies. */
public interface MemoryOps {
    /**
     * A new tensor of the given shape whose contents are undefined. Device backends serve it from a
     * caching pool, so steady-state training does not call the driver allocator.
     */
    Tensor allocate(int... shape);

    /** A new tensor filled with zeros. */
    default Tensor zeros(int... shape) {
        Tensor t = allocate(shape);
        fill(t, 0.0);
        return t;
    }

    /**
     * Returns a tensor from {@link #allocate} to the pool. Only whole allocations (not views) may be released,
     * and the tensor must not be used afterwards.
     */
    void release(Tensor t);

    void upload(float[] src, int srcOffset, Tensor dst);

    void upload(double[] src, int srcOffset, Tensor dst);

    default void upload(float[] src, Tensor dst) { upload(src, 0, dst); }

    void download(Tensor src, float[] dst, int dstOffset);

    void download(Tensor src, double[] dst, int dstOffset);

    default float[] toFloatArray(Tensor src) {
        float[] out = new float[Math.toIntExact(src.size())];
        download(src, out, 0);
        return out;
    }

    default double[] toDoubleArray(Tensor src) {
        double[] out = new double[Math.toIntExact(src.size())];
        download(src, out, 0);
        return out;
    }

    /** Reads one element (a loss, a norm): the one place a training step may wait for the device. */
    double readScalar(Tensor scalar);

    /** {@code dst = src}; sizes must match (shapes may differ). */
    void copy(Tensor src, Tensor dst);

    void fill(Tensor t, double value);

    /**
     * Gathers rows of a matrix: {@code dst[i, :] = src[rows[from + i], :]} for {@code i < dst.rows()}.
     * Used to assemble a shuffled batch from a data set that lives in backend memory.
     */
    void gatherRows(Tensor src, int[] rows, int from, Tensor dst);

    /** Bytes currently held by this backend (live tensors plus pooled blocks). */
    long bytesInUse();

    /** Peak of {@link #bytesInUse()} since the backend was created. */
    long peakBytes();
}
