package dev.bottleneck;

import java.util.Locale;

/**
 * Upper bounds on what an input may ask for. Readers and spec parsers compare every size that a file's header or
 * a spec claims with these limits (and with the file's real size) before they allocate anything, so a small or
 * hostile file fails at once with a message naming the limit instead of running out of memory.
 *
 * <p>Each limit is a Java system property, read when it is used; pass it through {@code JAVA_OPTS}, e.g.
 * {@code JAVA_OPTS=-Dbottleneck.limit.parameters=1000000000 scripts/bottleneck train ...}. The limits that Java
 * arrays impose ({@link #MAX_ARRAY}) cannot be raised.
 */
public final class Limits {
    /** The most elements one Java array can hold on HotSpot. */
    public static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** Trainable scalars in one model (default 2^28, about 1 GiB of float32 weights). */
    public static final Limit PARAMETERS = new Limit("parameters", 1L << 28, MAX_ARRAY, "parameters in one model");
    /** Values in one sample and in the output of any one layer, per sample (default 2^24). */
    public static final Limit SAMPLE_VALUES = new Limit("sampleValues", 1L << 24, MAX_ARRAY, "values per sample");
    /** Layers in an encoder or a decoder, and stacked layers in one recurrent layer (default 1000). */
    public static final Limit LAYERS = new Limit("layers", 1000, 1L << 20, "layers");
    /** Pixels of one image file before it is resized (default 2^26, e.g. 8192×8192). */
    public static final Limit IMAGE_PIXELS = new Limit("imagePixels", 1L << 26, MAX_ARRAY, "pixels per image");
    /**
     * How many times larger than the compressed file the data inside a .gz file may claim to be (default 200;
     * real IDX files expand 2-5 times). Files under {@link #GZIP_SMALL_FILE} bytes of claimed data are exempt.
     */
    public static final Limit GZIP_RATIO = new Limit("gzipRatio", 200, 1032, "times the compressed size");
    /** The largest model spec, config.json or trainer.json read as text (default 16 MiB). */
    public static final Limit TEXT_BYTES = new Limit("textBytes", 16L << 20, MAX_ARRAY, "bytes of spec or config text");

    /** Claimed gzip payloads up to this many bytes are allowed whatever the compression ratio. */
    public static final long GZIP_SMALL_FILE = 1L << 20;

    private Limits() {}

    /** One named, configurable limit: system property {@code bottleneck.limit.<name>}. */
    public static final class Limit {
        private final String name;
        private final long dflt;
        private final long hardMax;
        private final String unit;

        Limit(String name, long dflt, long hardMax, String unit) {
            this.name = name;
            this.dflt = dflt;
            this.hardMax = hardMax;
            this.unit = unit;
        }

        /** The system property that sets this limit. */
        public String property() {
            return "bottleneck.limit." + name;
        }

        /** The current value: the system property if set (and valid), else the default. */
        public long value() {
            String s = System.getProperty(property());
            if (s == null || s.isBlank()) return dflt;
            long v;
            try {
                v = Long.parseLong(s.trim().replace("_", ""));
            } catch (NumberFormatException e) {
                throw new BottleneckException("-D" + property() + "=" + s + " is not a whole number; set it to a positive integer"
                        + " (default " + dflt + ")");
            }
            if (v < 1 || v > hardMax) {
                throw new BottleneckException("-D" + property() + "=" + s + " is out of range; set it to an integer from 1 to "
                        + hardMax + " (default " + dflt + ")");
            }
            return v;
        }

        /** The default value. */
        public long defaultValue() {
            return dflt;
        }

        /** "the limit of 16,777,216 values per sample (raise it with -Dbottleneck.limit.sampleValues=N in JAVA_OPTS)". */
        public String describe() {
            long v = value();
            return "the limit of " + group(v) + " " + unit + (v < hardMax
                    ? " (raise it with -D" + property() + "=N in JAVA_OPTS)" : " (a Java array cannot hold more)");
        }

        /** Fails with {@code what + " is " + n + ", more than " + describe()} when {@code n} exceeds the limit. */
        public void check(long n, String what) {
            if (n > value()) throw new BottleneckException(what + " is " + group(n) + ", more than " + describe());
        }
    }

    /**
     * Fails when {@code bytes} more bytes cannot fit into the Java heap even if it were empty: the message names the
     * heap's size and says to raise -Xmx.
     */
    public static void checkHeap(long bytes, String what) {
        long max = Runtime.getRuntime().maxMemory();
        if (max != Long.MAX_VALUE && bytes > max) {
            throw new BottleneckException(what + " needs " + bytes(bytes) + " but the Java heap is limited to " + bytes(max)
                    + "; raise it with -Xmx via JAVA_OPTS (e.g. JAVA_OPTS=-Xmx" + Math.max(2, (bytes >> 30) * 2 + 2) + "g)");
        }
    }

    /** {@code a * b}, or {@link Long#MAX_VALUE} when that overflows (both non-negative). */
    public static long saturatedMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }

    /** 1234567 as "1,234,567". */
    public static String group(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** A byte count for people: "1.5 GiB", "12 MiB", "512 bytes". */
    public static String bytes(long b) {
        if (b >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        if (b >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        if (b >= 1L << 10) return String.format(Locale.ROOT, "%.1f KiB", b / (double) (1L << 10));
        return b + " bytes";
    }
}
