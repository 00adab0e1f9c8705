package dev.bottleneck.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** What a child process prints, collected while it runs (for tests that watch a running process). */
public final class ProcessOutput {
    private ProcessOutput() {}

    /**
     * A live, thread-safe list of the lines of p's standard error, filled by a daemon thread that ends with the stream
     * (and so with the process).
     */
    public static List<String> errorLines(Process p) {
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread t = new Thread(() -> {
            try (BufferedReader in = p.errorReader(StandardCharsets.UTF_8)) {
                in.lines().forEach(lines::add);
            } catch (IOException | UncheckedIOException ignored) {
                // the process is gone
            }
        }, "stderr of process " + p.pid());
        t.setDaemon(true);
        t.start();
        return lines;
    }
}
