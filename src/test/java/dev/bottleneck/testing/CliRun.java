package dev.bottleneck.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bottleneck.cli.Main;
import dev.bottleneck.io.Json;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/**
 * One run of the command line in this JVM ({@link Main#run}): its exit status and what it printed. The fields are
 * public (and mirrored by accessors) so that tests read {@code r.rc}, {@code r.err} as they would a record's.
 */
public class CliRun {
    public final int rc;
    public final String out, err;

    /** Runs {@code bottleneck args...}. */
    public CliRun(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        this.rc = Main.run(new PrintWriter(o), new PrintWriter(e), args);
        this.out = o.toString();
        this.err = e.toString();
    }

    public int rc() { return rc; }
    public String out() { return out; }
    public String err() { return err; }

    /** The last non-blank line of stdout (where {@code --json} puts its result), or "" when there is none. */
    public String lastLine() {
        List<String> l = out.lines().filter(s -> !s.isBlank()).toList();
        return l.isEmpty() ? "" : l.get(l.size() - 1);
    }

    /** {@link #lastLine()} parsed as JSON. */
    public JsonNode json() throws Exception {
        return Json.mapper().readTree(lastLine());
    }

    @Override
    public String toString() {
        return "exit " + rc + (err.isEmpty() ? "" : ": " + err.strip());
    }
}
