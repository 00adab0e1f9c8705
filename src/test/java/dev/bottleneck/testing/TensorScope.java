package dev.bottleneck.testing;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Uploads and downloads for any backend, with every tensor it allocated released on {@link #close()} (the backends
 * under test are shared by the whole suite, so tests must not leak).
 */
public final class TensorScope implements AutoCloseable {
    private final Backend be;
    private final List<Tensor> owned = new ArrayList<>();

    public TensorScope(Backend be) {
        this.be = be;
    }

    public Backend backend() { return be; }

    /** A new tensor with undefined contents. */
    public Tensor alloc(int... shape) {
        Tensor t = be.memory().allocate(shape);
        owned.add(t);
        return t;
    }

    /** A new tensor holding {@code data} (its length must be the shape's size). */
    public Tensor tensor(double[] data, int... shape) {
        if (data.length != HostData.size(shape)) {
            throw new IllegalArgumentException("tensor of " + java.util.Arrays.toString(shape) + " from " + data.length + " values");
        }
        Tensor t = alloc(shape);
        be.memory().upload(data, 0, t);
        return t;
    }

    /** A new tensor holding {@code data} uploaded as float32 (its length must be the shape's size). */
    public Tensor tensor(float[] data, int... shape) {
        if (data.length != HostData.size(shape)) {
            throw new IllegalArgumentException("tensor of " + java.util.Arrays.toString(shape) + " from " + data.length + " values");
        }
        Tensor t = alloc(shape);
        be.memory().upload(data, t);
        return t;
    }

    /** A new tensor filled with NaN (garbage that an op which must ignore old contents may not propagate). */
    public Tensor nan(int... shape) {
        return tensor(HostData.constant(HostData.size(shape), Double.NaN), shape);
    }

    public void upload(double[] data, Tensor t) {
        be.memory().upload(data, 0, t);
    }

    public double[] get(Tensor t) {
        return download(be, t);
    }

    /** Host copy as float32 ({@link dev.bottleneck.backend.MemoryOps#toFloatArray}). */
    public float[] floats(Tensor t) {
        return be.memory().toFloatArray(t);
    }

    public double scalar(Tensor t) {
        return be.memory().readScalar(t);
    }

    /** Host copy of any backend's tensor, as doubles (waits for the device). */
    public static double[] download(Backend be, Tensor t) {
        double[] out = new double[Math.toIntExact(t.size())];
        be.memory().download(t, out, 0);
        return out;
    }

    @Override
    public void close() {
        for (Tensor t : owned) be.memory().release(t);
        owned.clear();
    }
}
