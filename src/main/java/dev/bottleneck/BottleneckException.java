package dev.bottleneck;

/**
 * An error the user can act on: bad input, a missing library, a shape mismatch. The message names what
 * was wrong and what to do; the CLI prints it on one line without a stack trace.
 */
public class BottleneckException extends RuntimeException {
    public BottleneckException(String message) {
        super(message);
    }

    public BottleneckException(String message, Throwable cause) {
        super(message, cause);
    }
}
