package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A reading mode for tables with missing cells (for imputation), separate from {@link CsvReader}, whose errors on
 * empty / NA / NaN cells stay as they are. The first line is a header; the delimiter is ',' (or ';' / tab when the
 * header has no comma); fields are trimmed and may be wrapped in double quotes. A cell that is empty, {@code NA},
 * {@code NaN}, {@code null} or {@code ?} (any case) is missing: its value is NaN and its mask entry is true. Any
 * other cell that is not a finite number is an error naming the line and column. Columns named in {@code skip}
 * (labels, ids) are left out.
 */
public final class MissingCsv {
    private MissingCsv() {}

    /** Row-major values (NaN where missing), the missing mask, the kept column names and the file's line of each row. */
    public record Table(float[] values, boolean[] missing, int rows, String[] columns, int[] lines) {
        public int features() { return columns.length; }

        public int missingCount() {
            int c = 0;
            for (boolean b : missing) if (b) c++;
            return c;
        }
    }

    private static final Set<String> MISSING = Set.of("", "na", "nan", "null", "?", "n/a");

    public static boolean isMissing(String cell) {
        return MISSING.contains(cell.trim().toLowerCase(Locale.ROOT));
    }

    public static Table read(Path file, Set<String> skip) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BottleneckException("cannot read " + file + ": " + e.getMessage());
        }
        int first = 0;
        while (first < lines.size() && lines.get(first).isBlank()) first++;
        if (first == lines.size()) throw new BottleneckException(file + ": empty file");
        String head = lines.get(first);
        char delim = head.indexOf(',') >= 0 ? ',' : head.indexOf(';') >= 0 ? ';' : head.indexOf('\t') >= 0 ? '\t' : ',';
        String[] names = split(head, delim);
        List<Integer> keep = new ArrayList<>();
        for (int j = 0; j < names.length; j++) if (!skip.contains(names[j])) keep.add(j);
        for (String s : skip) {
            if (!List.of(names).contains(s)) throw new BottleneckException(file + ": no column '" + s + "' in the header " + List.of(names));
        }
        if (keep.isEmpty()) throw new BottleneckException(file + ": no feature columns left");
        int d = keep.size();
        List<float[]> rows = new ArrayList<>();
        List<Integer> lineNo = new ArrayList<>();
        for (int li = first + 1; li < lines.size(); li++) {
            String line = lines.get(li);
            if (line.isBlank()) continue;
            String[] cells = split(line, delim);
            if (cells.length != names.length) {
                throw new BottleneckException(file + ":" + (li + 1) + ": " + cells.length + " cells, the header has " + names.length);
            }
            float[] r = new float[d];
            for (int k = 0; k < d; k++) {
                String c = cells[keep.get(k)];
                if (isMissing(c)) {
                    r[k] = Float.NaN;
                    continue;
                }
                try {
                    r[k] = Float.parseFloat(c);
                } catch (NumberFormatException e) {
                    r[k] = Float.NaN;
                }
                if (!Float.isFinite(r[k])) {
                    throw new BottleneckException(file + ":" + (li + 1) + ": column '" + names[keep.get(k)] + "': '" + c
                            + "' is not a number (missing cells may be empty, NA, NaN, null or ?)");
                }
            }
            rows.add(r);
            lineNo.add(li + 1);
        }
        int n = rows.size();
        float[] v = new float[n * d];
        boolean[] m = new boolean[n * d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rows.get(i), 0, v, i * d, d);
            for (int k = 0; k < d; k++) m[i * d + k] = Float.isNaN(v[i * d + k]);
        }
        String[] cols = keep.stream().map(j -> names[j]).toArray(String[]::new);
        return new Table(v, m, n, cols, lineNo.stream().mapToInt(Integer::intValue).toArray());
    }

    private static String[] split(String line, char delim) {
        List<String> out = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        boolean q = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '"') {
                if (q && i + 1 < line.length() && line.charAt(i + 1) == '"') { b.append('"'); i++; } else q = !q;
            } else if (ch == delim && !q) {
                out.add(b.toString().trim());
                b.setLength(0);
            } else {
                b.append(ch);
            }
        }
        out.add(b.toString().trim());
        return out.toArray(String[]::new);
    }
}
