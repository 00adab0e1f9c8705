package dev.bottleneck.io;

/** Writing CSV cells that the project's readers (and any CSV reader) read back as the same text. */
public final class CsvText {
    private CsvText() {}

    /**
     * {@code s} as one CSV field: quoted ("" for a quote inside) when it holds a comma, a quote, a line break or
     * leading or trailing spaces, which readers would otherwise split or trim; as it is otherwise.
     */
    public static String field(String s) {
        if (s == null) return "";
        boolean quote = !s.isEmpty() && (Character.isWhitespace(s.charAt(0)) || Character.isWhitespace(s.charAt(s.length() - 1)));
        for (int i = 0; i < s.length() && !quote; i++) {
            char c = s.charAt(i);
            quote = c == ',' || c == '"' || c == '\n' || c == '\r';
        }
        return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }
}
