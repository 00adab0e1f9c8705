package dev.bottleneck.apps;

import java.util.function.Supplier;

/** What the applications do when training fails half-way. */
final class Failures {
    private Failures() {}

    /**
     * The result of {@code body}; when it throws, {@code close} runs first (the model built for the run is freed,
     * its device memory included) and the exception goes on unchanged.
     */
    static <T> T closeOnFailure(Runnable close, Supplier<T> body) {
        try {
            return body.get();
        } catch (RuntimeException e) {
            close.run();
            throw e;
        }
    }
}
