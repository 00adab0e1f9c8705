package dev.bottleneck.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether standard error is a terminal, for drawing a progress bar only where a person watches. */
final class Terminal {
    private Terminal() {}

    /**
     * On Linux, whether file descriptor 2 is a terminal device (/dev/pts/N, /dev/ttyN); elsewhere, whether the JVM
     * has a console (standard input and output are terminals), the best Java offers without native code.
     */
    static boolean stderrIsTerminal() {
        Path fd = Path.of("/proc/self/fd/2");
        if (Files.exists(Path.of("/proc/self/fd"))) {
            try {
                String target = Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                return false;
            }
        }
        return System.console() != null;
    }
}
