package dev.bottleneck.train;

import java.util.Map;

/**
 * Receives machine-readable events of a training job (fit start, steps, epochs, checkpoints, resume decisions,
 * the result), for a job system that follows the run. The command line turns them into JSON lines on standard
 * error with {@code --log-format json}; by default nothing listens ({@link #NONE}).
 *
 * <p>Field values are numbers, strings, booleans, null, lists and maps (what JSON can hold); non-finite numbers are
 * given as null.
 */
@FunctionalInterface
public interface EventSink {
    EventSink NONE = (event, fields) -> { };

    /** @param event the kind ({@code step}, {@code epoch}, {@code checkpoint}, {@code resume}, ...) */
    void emit(String event, Map<String, Object> fields);

    /** A finite double, or null for NaN and infinities. */
    static Object number(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
