package dev.bottleneck.io;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Typed reads of values from parsed JSON or YAML (the maps and lists Jackson produces for model specs and
 * config.json). Each method either returns a value of the expected type and range or throws a
 * {@link BottleneckException} that names the value ({@code what}), what was expected and what was found; nothing
 * is silently truncated (4294967328 is not 32) and no cast can fail.
 */
public final class MapValues {
    private MapValues() {}

    /** A whole number in [min, max]: a JSON integer, or a floating-point value that is exactly integral (1e9). */
    public static long longValue(Object o, String what, long min, long max) {
        if (!(o instanceof Number n)) throw new BottleneckException(what + " must be " + range(min, max) + ", got " + describe(o));
        BigDecimal v = decimal(n);
        if (v == null || v.stripTrailingZeros().scale() > 0) {
            throw new BottleneckException(what + " must be " + range(min, max) + ", got " + describe(o));
        }
        if (v.compareTo(BigDecimal.valueOf(min)) < 0 || v.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw new BottleneckException(what + " must be " + range(min, max) + ", got " + v.toBigInteger());
        }
        return v.longValueExact();
    }

    /** As {@link #longValue}, for values that must fit an int. */
    public static int intValue(Object o, String what, long min, long max) {
        return (int) longValue(o, what, Math.max(min, Integer.MIN_VALUE), Math.min(max, Integer.MAX_VALUE));
    }

    /**
     * A whole number from {@code min} up to a configurable limit; beyond the limit the message names it and how to
     * raise it.
     */
    public static int limited(Object o, String what, long min, Limits.Limit limit) {
        int v = intValue(o, what, min, Integer.MAX_VALUE);
        limit.check(v, what);
        return v;
    }

    /** {@link #limited}, or {@code dflt} when {@code o} is absent. */
    public static int limitedOr(Object o, int dflt, String what, long min, Limits.Limit limit) {
        return o == null ? dflt : limited(o, what, min, limit);
    }

    /** {@code o} as an int in [min, max], or {@code dflt} when it is absent (null). */
    public static int intOr(Object o, int dflt, String what, long min, long max) {
        return o == null ? dflt : intValue(o, what, min, max);
    }

    /** A finite number. */
    public static double number(Object o, String what) {
        return number(o, what, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
    }

    /** A finite number in [min, max]. */
    public static double number(Object o, String what, double min, double max) {
        if (!(o instanceof Number n)) {
            throw new BottleneckException(what + " must be a number" + bounds(min, max) + ", got " + describe(o));
        }
        double v = n.doubleValue();
        if (!Double.isFinite(v) || v < min || v > max) {
            throw new BottleneckException(what + " must be a finite number" + bounds(min, max) + ", got " + describe(o));
        }
        return v;
    }

    /** {@code o} as a finite number, or {@code dflt} when it is absent. */
    public static double numberOr(Object o, double dflt, String what, double min, double max) {
        return o == null ? dflt : number(o, what, min, max);
    }

    /** A non-empty string (numbers and booleans are accepted and written as text). */
    public static String text(Object o, String what) {
        if (o instanceof String s) {
            if (s.isBlank()) throw new BottleneckException(what + " is empty; give a value");
            if (s.chars().anyMatch(c -> c < 0x20)) {
                throw new BottleneckException(what + " must be one line of text without control characters, got " + describe(s));
            }
            return s;
        }
        if (o instanceof Number || o instanceof Boolean) return o.toString();
        throw new BottleneckException(what + (o == null ? " has no value" : " must be text, got " + describe(o)) + "; give a value");
    }

    /** {@code o} as text, or {@code dflt} when absent. */
    public static String textOr(Object o, String dflt, String what) {
        return o == null ? dflt : text(o, what);
    }

    /** true or false. */
    public static boolean bool(Object o, boolean dflt, String what) {
        if (o == null) return dflt;
        if (o instanceof Boolean b) return b;
        throw new BottleneckException(what + " must be true or false, got " + describe(o));
    }

    /** A list. */
    public static List<?> list(Object o, String what) {
        if (o instanceof List<?> l) return l;
        throw new BottleneckException(what + " must be a list, got " + describe(o));
    }

    /** An object whose keys are all strings. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object o, String what) {
        if (!(o instanceof Map<?, ?> m)) throw new BottleneckException(what + " must be an object, got " + describe(o));
        for (Object k : m.keySet()) {
            if (!(k instanceof String ks)) throw new BottleneckException(what + " has a key that is not text: " + describe(k));
            if (ks.chars().anyMatch(c -> c < 0x20)) {
                throw new BottleneckException(what + " has a key with control characters: " + describe(k));
            }
        }
        return (Map<String, Object>) m;
    }

    /** A list of 1 to {@code maxLength} whole numbers, each in [min, max]. */
    public static int[] intList(Object o, String what, long min, long max, int maxLength) {
        List<?> l = list(o, what);
        if (l.isEmpty() || l.size() > maxLength) {
            throw new BottleneckException(what + " must list 1 to " + maxLength + " numbers, got " + describe(o));
        }
        int[] r = new int[l.size()];
        for (int i = 0; i < r.length; i++) r[i] = intValue(l.get(i), what + "[" + i + "]", min, max);
        return r;
    }

    /** A short, one-line description of a parsed value for messages. */
    public static String describe(Object o) {
        if (o == null) return "nothing (null)";
        if (o instanceof byte[] b) return "binary data (" + b.length + " bytes)";
        String s = o instanceof String ? "'" + o + "'" : o.toString();
        s = s.replaceAll("\\p{Cntrl}+", " ");
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    private static BigDecimal decimal(Number n) {
        if (n instanceof BigDecimal b) return b;
        if (n instanceof BigInteger b) return new BigDecimal(b);
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            return Double.isFinite(d) ? new BigDecimal(d) : null;
        }
        return BigDecimal.valueOf(n.longValue());
    }

    private static String range(long min, long max) {
        if (max == Long.MAX_VALUE) return "a whole number >= " + min;
        return "a whole number from " + String.format(java.util.Locale.ROOT, "%,d", min) + " to "
                + String.format(java.util.Locale.ROOT, "%,d", max);
    }

    private static String bounds(double min, double max) {
        boolean lo = min != Double.NEGATIVE_INFINITY, hi = max != Double.POSITIVE_INFINITY;
        if (lo && hi) return " from " + fmt(min) + " to " + fmt(max);
        if (lo) return " >= " + fmt(min);
        if (hi) return " <= " + fmt(max);
        return "";
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
