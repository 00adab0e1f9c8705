package dev.bottleneck.backend;

/**
 * A way to make a {@link Backend}, found through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/dev.bottleneck.backend.BackendProvider}).
 */
public interface BackendProvider {
    /** {@code cpu}, {@code cuda}, ... as used by {@code --backend}. */
    String name();

    /** Higher is preferred by {@code --backend auto}. */
    int priority();

    /**
     * Checks, once per process, whether this backend can run here. Must never throw and never crash the JVM
     * (a native library that cannot load is caught and explained in {@link Availability#reason()}).
     */
    Availability probe();

    /** Creates the backend; only called after {@link #probe()} said it is available. */
    Backend create(BackendOptions options);
}
