package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;

import java.util.Map;

/**
 * How long a rank waits before it gives up on the others.
 *
 * @param rendezvousMs every rank must have joined (and each setup barrier must be complete) within this time
 * @param collectiveMs one collective, or the time between two training steps on a device backend, may take this
 *                     long before the rank decides that another one is stuck or gone
 */
public record Timeouts(long rendezvousMs, long collectiveMs) {
    public static final String RENDEZVOUS_ENV = "BOTTLENECK_RENDEZVOUS_TIMEOUT";
    public static final String COLLECTIVE_ENV = "BOTTLENECK_COLLECTIVE_TIMEOUT";
    public static final double DEFAULT_RENDEZVOUS_S = 300;
    public static final double DEFAULT_COLLECTIVE_S = 600;

    public Timeouts {
        if (rendezvousMs < 1) throw new BottleneckException("the rendezvous timeout must be positive, got " + rendezvousMs + " ms");
        if (collectiveMs < 1) throw new BottleneckException("the collective timeout must be positive, got " + collectiveMs + " ms");
    }

    public static Timeouts ofSeconds(double rendezvous, double collective) {
        return new Timeouts(millis(rendezvous, "rendezvous"), millis(collective, "collective"));
    }

    /**
     * The given seconds where not null, else {@code BOTTLENECK_RENDEZVOUS_TIMEOUT} / {@code BOTTLENECK_COLLECTIVE_TIMEOUT}
     * (seconds), else 300 s and 600 s.
     */
    public static Timeouts resolve(Double rendezvousS, Double collectiveS, Map<String, String> env) {
        double r = rendezvousS != null ? rendezvousS : fromEnv(env, RENDEZVOUS_ENV, DEFAULT_RENDEZVOUS_S);
        double c = collectiveS != null ? collectiveS : fromEnv(env, COLLECTIVE_ENV, DEFAULT_COLLECTIVE_S);
        return ofSeconds(r, c);
    }

    private static double fromEnv(Map<String, String> env, String key, double fallback) {
        String v = env.get(key);
        if (v == null || v.isBlank()) return fallback;
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new BottleneckException(key + "='" + v + "' is not a number of seconds");
        }
    }

    private static long millis(double s, String what) {
        if (!(s > 0) || Double.isInfinite(s) || s > 7 * 24 * 3600) {
            throw new BottleneckException("the " + what + " timeout must be a number of seconds in (0, 604800], got " + s);
        }
        return Math.max(1, Math.round(s * 1000));
    }
}
