package dev.bottleneck.cli;

import dev.bottleneck.io.Json;
import dev.bottleneck.train.EventSink;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Messages for people go to stderr; results go to stdout (with --json, one JSON object on the last line).
 *
 * <p>With {@code --log-format json} stderr carries one JSON object per line instead: {@code {"event": "log",
 * "message": ...}} for each message, and the events of a training job ({@link EventSink}: steps, epochs,
 * checkpoints, resume decisions, the result, errors), each with {@code "event"} and {@code "time"} first.
 */
final class Log implements EventSink {
    private final PrintWriter err;
    private final boolean quiet;
    private final boolean json;

    Log(PrintWriter err, boolean quiet) {
        this(err, quiet, false);
    }

    Log(PrintWriter err, boolean quiet, boolean json) {
        this.err = err;
        this.quiet = quiet;
        this.json = json;
    }

    /** Whether stderr carries JSON lines. */
    boolean json() {
        return json;
    }

    void info(String s) {
        if (quiet) return;
        if (json) {
            emit("log", Map.of("message", s));
            return;
        }
        synchronized (err) {
            err.println(s);
            err.flush();
        }
    }

    /** One event as a JSON line (only in JSON mode: the text log has its own sentences for what matters). */
    @Override
    public void emit(String event, Map<String, Object> fields) {
        if (!json) return;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("event", event);
        m.put("time", Instant.now().toString());
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            Object v = e.getValue();
            m.put(e.getKey(), v instanceof Double d && !Double.isFinite(d) ? null : v);
        }
        String line = Json.writeCompact(m);
        synchronized (err) {
            err.println(line);
            err.flush();
        }
    }
}
