package dev.bottleneck.tensor;

import java.util.Arrays;

/**
 * A dense, row-major (C-order), contiguous view of {@code size()} elements of a {@link Buffer}, starting at
 * {@code offset} elements. Tensors are cheap handles: views into a parameter arena share its buffer.
 */
public final class Tensor {
    private final Buffer buffer;
    private final long offset;
    private final int[] shape;
    private final long size;

    public Tensor(Buffer buffer, long offset, int... shape) {
        this.buffer = buffer;
        this.offset = offset;
        this.shape = shape.clone();
        this.size = sizeOf(shape);
        if (offset < 0 || offset + size > buffer.capacity()) {
            throw new IllegalArgumentException("view [" + offset + ", " + (offset + size) + ") outside buffer of "
                    + buffer.capacity() + " elements");
        }
    }

    public static long sizeOf(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= d;
        }
        return n;
    }

    public Buffer buffer() { return buffer; }
    public long offset() { return offset; }
    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }
    public long size() { return size; }
    public DType dtype() { return buffer.dtype(); }

    /** Number of rows when seen as a matrix: the first dimension (1 for a scalar). */
    public int rows() { return shape.length == 0 ? 1 : shape[0]; }

    /** Elements per row when seen as a matrix. */
    public int cols() { return shape.length == 0 ? 1 : (int) (size / Math.max(1, shape[0])); }

    /** Same elements, another shape with the same number of elements. */
    public Tensor reshape(int... newShape) {
        if (sizeOf(newShape) != size) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        }
        return new Tensor(buffer, offset, newShape);
    }

    /** A contiguous sub-view starting {@code elementOffset} elements into this tensor. */
    public Tensor view(long elementOffset, int... newShape) {
        if (elementOffset < 0 || elementOffset + sizeOf(newShape) > size) {
            throw new IllegalArgumentException("sub-view out of range of " + Arrays.toString(shape));
        }
        return new Tensor(buffer, offset + elementOffset, newShape);
    }

    /** Rows [from, from+count) of the first dimension. */
    public Tensor rowSlice(int from, int count) {
        int[] s = shape.clone();
        s[0] = count;
        return view((long) from * cols(), s);
    }

    public boolean sameShape(Tensor o) { return Arrays.equals(shape, o.shape); }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + " " + dtype() + " @" + offset;
    }
}
