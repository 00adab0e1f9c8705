package dev.bottleneck.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Numeric assertions whose failure message names the worst element. */
public final class Asserts {
    private Asserts() {}

    /**
     * Passes when {@code |expected[i] - actual[i]| <= atol + rtol * |expected[i]|} for every i (NaN only matches
     * NaN). Otherwise fails naming how many elements are off, the worst index and both values there.
     */
    public static void assertClose(double[] expected, double[] actual, double rtol, double atol, String what) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        int worst = -1, bad = 0;
        double worstExcess = -1;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) && Double.isNaN(a)) continue;
            if (e == a) continue; // also equal infinities
            double err = Math.abs(e - a);
            double tol = atol + rtol * Math.abs(e);
            double excess = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / tol;
            if (!(err <= tol)) {
                bad++;
                if (excess > worstExcess) {
                    worstExcess = excess;
                    worst = i;
                }
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d elements off (rtol %.1e, atol %.1e); worst at index %d: expected %.10g, actual %.10g (|diff| %.3e)",
                    what, bad, expected.length, rtol, atol, worst, expected[worst], actual[worst], Math.abs(expected[worst] - actual[worst])));
        }
    }

    /**
     * Passes when {@code |expected[i] - actual[i]| <= tol[i]} for every i: for results whose error bound depends on
     * the element (a reduction's bound is a multiple of the sum of |terms| that made it).
     */
    public static void assertWithin(double[] expected, double[] actual, double[] tol, String what) {
        if (expected.length != actual.length || tol.length != expected.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length + " (tolerances " + tol.length + ")");
        }
        int worst = -1, bad = 0;
        double worstExcess = -1;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if ((Double.isNaN(e) && Double.isNaN(a)) || e == a) continue;
            double err = Math.abs(e - a);
            if (!(err <= tol[i])) {
                bad++;
                double excess = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / tol[i];
                if (excess > worstExcess) {
                    worstExcess = excess;
                    worst = i;
                }
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d elements off; worst at index %d: expected %.10g, actual %.10g (|diff| %.3e, tolerance %.3e)",
                    what, bad, expected.length, worst, expected[worst], actual[worst], Math.abs(expected[worst] - actual[worst]), tol[worst]));
        }
    }

    public static void assertClose(double expected, double actual, double rtol, double atol, String what) {
        assertClose(new double[] {expected}, new double[] {actual}, rtol, atol, what);
    }

    /** Exact equality with the worst (first) index named. */
    public static void assertExactly(double[] expected, double[] actual, String what) {
        assertClose(expected, actual, 0, 0, what);
    }

    public static double maxAbs(double[] x) {
        double m = 0;
        for (double v : x) m = Math.max(m, Math.abs(v));
        return m;
    }
}
