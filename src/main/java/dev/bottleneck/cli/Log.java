package dev.bottleneck.cli;

import java.io.PrintWriter;

/** Messages for people go to stderr; results go to stdout (with --json, one JSON object on the last line). */
final class Log {
    private final PrintWriter err;
    private final boolean quiet;

    Log(PrintWriter err, boolean quiet) {
        this.err = err;
        this.quiet = quiet;
    }

    void info(String s) {
        if (!quiet) {
            err.println(s);
            err.flush();
        }
    }
}
