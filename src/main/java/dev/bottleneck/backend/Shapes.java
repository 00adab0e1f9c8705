package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;

import java.util.Arrays;

/** Shape arithmetic shared by backends and autograd (NumPy broadcasting rules). */
public final class Shapes {
    private Shapes() {}

    /** The broadcast shape of a and b, or an exception naming both shapes. */
    public static int[] broadcast(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /**
     * Element strides of {@code shape} when it is broadcast to {@code target}: 0 along stretched or missing
     * dimensions, row-major strides elsewhere. The result has {@code target.length} entries.
     */
    public static long[] broadcastStrides(int[] shape, int[] target) {
        int r = target.length;
        long[] strides = new long[r];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            int ti = i + (r - shape.length);
            if (ti < 0) throw new IllegalArgumentException(Arrays.toString(shape) + " has more dimensions than " + Arrays.toString(target));
            if (shape[i] != 1 && shape[i] != target[ti]) {
                throw new IllegalArgumentException(Arrays.toString(shape) + " does not broadcast to " + Arrays.toString(target));
            }
            strides[ti] = shape[i] == 1 ? 0 : s;
            s *= shape[i];
        }
        return strides;
    }

    public static long size(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** Checks that a and b have the same number of elements; else an exception naming op and both shapes. */
    public static void sameSize(Tensor a, Tensor b, String op) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": size mismatch " + str(a.shape()) + " vs " + str(b.shape()));
        }
    }
}
