package dev.bottleneck.cli;

import dev.bottleneck.io.Json;

import java.io.PrintWriter;
import java.util.Map;

/** Prints a command's result: a sentence for people, or (with --json) one JSON object as the last line. */
final class PrintResult {
    private PrintResult() {}

    static void print(PrintWriter out, Map<String, Object> result, boolean json, String sentence) {
        out.println(json ? Json.writeCompact(result) : sentence);
        out.flush();
    }
}
