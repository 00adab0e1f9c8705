package dev.bottleneck.testing;

import java.util.SplittableRandom;

/** Seeded random host arrays for tests. Values are rounded to float32 so every backend sees identical inputs. */
public final class HostData {
    private HostData() {}

    public static SplittableRandom rng(long seed) {
        return new SplittableRandom(seed);
    }

    /** Rounds each value to the nearest float32 (in place) and returns the array. */
    public static double[] f32(double[] x) {
        for (int i = 0; i < x.length; i++) x[i] = (float) x[i];
        return x;
    }

    /** Uniform on [lo, hi), float32-exact. */
    public static double[] uniform(SplittableRandom r, int n, double lo, double hi) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = lo + (hi - lo) * r.nextDouble();
        return f32(x);
    }

    /** Magnitude uniform on [min, max) with a random sign: stays away from kinks and poles at 0. */
    public static double[] awayFromZero(SplittableRandom r, int n, double min, double max) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            double m = min + (max - min) * r.nextDouble();
            x[i] = r.nextBoolean() ? m : -m;
        }
        return f32(x);
    }

    /** Uniform on [-1, 1), float32-exact. */
    public static double[] signed(SplittableRandom r, int n) {
        return uniform(r, n, -1, 1);
    }

    public static double[] constant(int n, double v) {
        double[] x = new double[n];
        java.util.Arrays.fill(x, v);
        return x;
    }

    public static int size(int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return Math.toIntExact(n);
    }
}
