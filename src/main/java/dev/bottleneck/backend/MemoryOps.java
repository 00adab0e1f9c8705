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
     * Copies a block of columns between two matrices with the same number of rows:
     * {@code dst[r, dstCol + j] = src[r, srcCol + j]} for every row r and {@code j < width}; other columns of
     * {@code dst} are left as they are. Both are seen as matrices ({@link Tensor#rows()} x {@link Tensor#cols()}).
     * The default copies row by row; device backends override it with one strided copy.
     */
    default void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int width) {
        checkColumns(src, srcCol, dst, dstCol, width);
        int rows = src.rows(), sc = src.cols(), dc = dst.cols();
        if (width == 0) return;
        for (int r = 0; r < rows; r++) {
            copy(src.view((long) r * sc + srcCol, width), dst.view((long) r * dc + dstCol, width));
        }
    }

    /** Validates the arguments of {@link #copyColumns}. */
    static void checkColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int width) {
        if (src.rows() != dst.rows()) {
            throw new IllegalArgumentException("copyColumns: source has " + src.rows() + " rows, destination " + dst.rows());
        }
        if (width < 0 || srcCol < 0 || dstCol < 0 || srcCol + width > src.cols() || dstCol + width > dst.cols()) {
            throw new IllegalArgumentException("copyColumns: columns [" + srcCol + ", " + (srcCol + width) + ") of "
                    + src.cols() + " to [" + dstCol + ", " + (dstCol + width) + ") of " + dst.cols() + " out of range");
        }
    }

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
