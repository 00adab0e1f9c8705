package dev.bottleneck.analysis;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * Progress lines for a long computation: at most one every {@link #INTERVAL_NANOS} (the first after that long too), so
 * small inputs print nothing and large ones show they are moving. A null sink makes it silent.
 */
final class Progress {
    static final long INTERVAL_NANOS = 5_000_000_000L;

    private final Consumer<String> sink;
    private final String what;
    private final long total;
    private final long interval;
    private final long start = System.nanoTime();
    private long last = start;

    Progress(Consumer<String> sink, String what, long total) {
        this(sink, what, total, INTERVAL_NANOS);
    }

    Progress(Consumer<String> sink, String what, long total, long intervalNanos) {
        this.sink = sink;
        this.what = what;
        this.total = total;
        this.interval = intervalNanos;
    }

    /** {@code done} of the total {@code unit}s are done. */
    void update(long done, String unit) {
        if (sink == null) return;
        long now = System.nanoTime();
        if (now - last < interval || done >= total) return;
        last = now;
        double s = (now - start) / 1e9, f = total == 0 ? 1 : (double) done / total;
        sink.accept(String.format(Locale.ROOT, "%s: %,d of %,d %s (%.0f%%), %.0f s so far, about %.0f s left", what, done, total, unit,
                100 * f, s, f > 0 ? s * (1 - f) / f : Double.NaN));
    }
}
