package dev.bottleneck;

/**
 * A bad command-line value: an option outside its range, a size that makes no sense for the data. The CLI prints
 * it on one line and exits with status 2, like the errors its option parser reports.
 */
public class UsageException extends BottleneckException {
    public UsageException(String message) {
        super(message);
    }
}
