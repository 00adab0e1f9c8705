package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a numeric table from a CSV file into a {@link Dataset} of sample shape {D}.
 *
 * <ul>
 *   <li>Header: {@link Header#AUTO} (default) treats the first non-blank line as a header when any of its
 *       non-empty cells is not a number; YES / NO force it.</li>
 *   <li>Delimiter: ',' unless set; when not set and the first non-blank line has no comma but has ';' or a
 *       tab, that is used instead.</li>
 *   <li>Fields may be quoted with "…" ("" inside quotes is a literal quote); a quoted field cannot span lines.
 *       Fields are trimmed. Blank lines are skipped. Line numbers in messages are 1-based physical lines.</li>
 *   <li>Label column (optional), by header name or by 0-based index (negative counts from the end, -1 = last).
 *       Integer label cells are used as they are; otherwise distinct strings map to 0..k-1 in order of first
 *       appearance and {@link CsvTable#labelNames()} keeps the strings.</li>
 *   <li>Skipped columns by header name or 0-based index.</li>
 *   <li>Id column (optional), by header name or 0-based index: not a feature; its cells, as written, become each
 *       row's identity ({@link Dataset#ids}). Without one, a row's identity is the 1-based line of the file it came
 *       from.</li>
 *   <li>Every feature cell must be a finite decimal number; empty, NA, NaN and infinite cells are errors that name
 *       the line and column.</li>
 * </ul>
 */
public final class CsvReader {
    public enum Header { AUTO, YES, NO }

    /** Reading options; build with {@link CsvReader#options()}. */
    public static final class Options {
        private final Header header;
        private final Character delimiter;
        private final String labelName;
        private final Integer labelIndex;
        private final Set<String> skipNames;
        private final Set<Integer> skipIndices;
        private final String idName;
        private final Integer idIndex;

        private Options(Builder b) {
            this.header = b.header;
            this.delimiter = b.delimiter;
            this.labelName = b.labelName;
            this.labelIndex = b.labelIndex;
            this.skipNames = Set.copyOf(b.skipNames);
            this.skipIndices = Set.copyOf(b.skipIndices);
            this.idName = b.idName;
            this.idIndex = b.idIndex;
        }

        public Header header() { return header; }
        /** The delimiter, or null for auto-detection. */
        public Character delimiter() { return delimiter; }
        public String labelName() { return labelName; }
        public Integer labelIndex() { return labelIndex; }
        public Set<String> skipNames() { return skipNames; }
        public Set<Integer> skipIndices() { return skipIndices; }
        public boolean hasLabelColumn() { return labelName != null || labelIndex != null; }
        /** The id column by header name, or null. */
        public String idName() { return idName; }
        /** The id column by 0-based index (negative from the end), or null. */
        public Integer idIndex() { return idIndex; }
        public boolean hasIdColumn() { return idName != null || idIndex != null; }

        public Builder toBuilder() {
            Builder b = new Builder();
            b.header = header;
            b.delimiter = delimiter;
            b.labelName = labelName;
            b.labelIndex = labelIndex;
            b.skipNames.addAll(skipNames);
            b.skipIndices.addAll(skipIndices);
            b.idName = idName;
            b.idIndex = idIndex;
            return b;
        }
    }

    public static final class Builder {
        private Header header = Header.AUTO;
        private Character delimiter;
        private String labelName;
        private Integer labelIndex;
        private final Set<String> skipNames = new HashSet<>();
        private final Set<Integer> skipIndices = new HashSet<>();
        private String idName;
        private Integer idIndex;

        public Builder header(Header h) { this.header = h == null ? Header.AUTO : h; return this; }
        public Builder delimiter(char d) { this.delimiter = d; return this; }
        /** null restores auto-detection. */
        public Builder delimiter(Character d) { this.delimiter = d; return this; }
        /** Label column by header name (clears an index set before). */
        public Builder labelColumn(String name) { this.labelName = name; this.labelIndex = null; return this; }
        /** Label column by 0-based index, negative from the end (clears a name set before). */
        public Builder labelColumn(int index) { this.labelIndex = index; this.labelName = null; return this; }
        /**
         * Label column from a command-line string: an integer is an index, anything else a header name;
         * null or empty means none.
         */
        public Builder labelColumnSpec(String spec) {
            labelName = specName(spec);
            labelIndex = specIndex(spec);
            return this;
        }
        /** Id column by header name (clears an index set before); null for none. */
        public Builder idColumn(String name) { this.idName = name; this.idIndex = null; return this; }
        /** Id column by 0-based index, negative from the end (clears a name set before). */
        public Builder idColumn(int index) { this.idIndex = index; this.idName = null; return this; }
        /** Id column from a command-line string, as {@link #labelColumnSpec}: an integer is an index, else a name. */
        public Builder idColumnSpec(String spec) {
            idName = specName(spec);
            idIndex = specIndex(spec);
            return this;
        }

        /** A column from the command line: an integer is an index, other text a name; null or blank is none. */
        private static Integer specIndex(String spec) {
            return spec != null && spec.trim().matches("[+-]?\\d+") ? Integer.valueOf(spec.trim()) : null;
        }

        private static String specName(String spec) {
            return spec == null || spec.isBlank() || specIndex(spec) != null ? null : spec.trim();
        }
        public Builder skipColumns(String... names) { skipNames.addAll(Arrays.asList(names)); return this; }
        public Builder skipColumns(java.util.Collection<String> names) { skipNames.addAll(names); return this; }
        public Builder skipColumnIndices(int... indices) { for (int i : indices) skipIndices.add(i); return this; }
        public Options build() { return new Options(this); }
    }

    public static Builder options() { return new Builder(); }

    public static Options defaults() { return new Builder().build(); }

    private CsvReader() {}

    public static CsvTable read(Path file) {
        return read(file, defaults());
    }

    public static CsvTable read(Path file, Options opt) {
        if (opt == null) opt = defaults();
        Character dl = opt.delimiter();
        if (dl != null && (dl == '"' || dl == '\n' || dl == '\r')) {
            throw new BottleneckException("CSV delimiter " + (dl == '"' ? "'\"'" : "a line break") + " cannot separate fields (it is the"
                    + " quote or ends the line); use ',', ';', a tab or another character");
        }
        if (!Files.isRegularFile(file)) {
            throw new BottleneckException(file + ": no such file (expected a CSV table); check the path");
        }
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return new Parse(file, opt).run(r);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new BottleneckException(file + ": not valid UTF-8 text; expected a UTF-8 (or ASCII) CSV file — re-save it as UTF-8", e);
        } catch (IOException e) {
            throw new BottleneckException(file + ": cannot read (" + e + "); check the path and permissions", e);
        }
    }

    /**
     * The column names of a CSV file's header line as {@link #read} would see them (delimiter and header detection
     * included), or null when the file has no header line. Only the first non-blank line is read.
     */
    public static List<String> headerNames(Path file, Options opt) {
        Parse p = firstLine(file, opt);
        return p.fromHeader ? List.copyOf(p.names) : null;
    }

    /**
     * The names of the feature columns {@link #read} would read with these options (header names, or "column N"),
     * in order; only the first non-blank line is read, and the label, id and skipped columns are checked as there.
     */
    public static List<String> featureNames(Path file, Options opt) {
        Parse p = firstLine(file, opt);
        p.chooseColumns();
        List<String> out = new ArrayList<>(p.featureCols.length);
        for (int c : p.featureCols) out.add(p.names.get(c));
        return out;
    }

    private static Parse firstLine(Path file, Options opt) {
        Options o = opt == null ? defaults() : opt;
        if (!Files.isRegularFile(file)) throw new BottleneckException(file + ": no such file (expected a CSV table); check the path");
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Parse p = new Parse(file, o);
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') line = line.substring(1);
                if (line.isBlank()) continue;
                p.header(line, lineNo);
                return p;
            }
            throw new BottleneckException(file + ": the file is empty; expected a CSV table with a header line and numeric rows");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new BottleneckException(file + ": not valid UTF-8 text; expected a UTF-8 (or ASCII) CSV file — re-save it as UTF-8", e);
        } catch (IOException e) {
            throw new BottleneckException(file + ": cannot read (" + e + "); check the path and permissions", e);
        }
    }

    /** One parse: state kept together so the error messages can name file, line and column. */
    private static final class Parse {
        final Path file;
        final Options opt;
        char delim;
        List<String> names;           // all column names (header or generated)
        boolean fromHeader;
        int width;
        int labelCol = -1;
        int idCol = -1;
        int[] featureCols;
        int headerLine;               // 0 if none

        float[] data = new float[1 << 12];
        int size;
        int rows;
        String[] labelCells = new String[256];
        String[] idCells = new String[256];
        int[] rowLines = new int[256];

        Parse(Path file, Options opt) {
            this.file = file;
            this.opt = opt;
        }

        CsvTable run(BufferedReader r) throws IOException {
            String line;
            int lineNo = 0;
            boolean first = true;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') line = line.substring(1);
                if (line.isBlank()) continue;
                if (first) {
                    first = false;
                    List<String> cells = header(line, lineNo);
                    chooseColumns();
                    if (fromHeader) continue;
                    addRow(cells, lineNo);
                } else {
                    addRow(split(line, lineNo), lineNo);
                }
            }
            if (first) {
                throw new BottleneckException(file + ": the file is empty; expected a CSV table with a header line and numeric rows");
            }
            if (rows == 0) {
                throw new BottleneckException(file + ": no data rows after the header on line " + headerLine
                        + "; expected at least one numeric row");
            }
            return finish();
        }

        /** Reads the first non-blank line: the delimiter, the width, the column names and whether it is a header; its cells. */
        List<String> header(String line, int lineNo) {
            delim = opt.delimiter() != null ? opt.delimiter() : detectDelimiter(line);
            List<String> cells = split(line, lineNo);
            boolean isHeader = isHeader(cells);
            width = cells.size();
            names = new ArrayList<>(width);
            for (int j = 0; j < width; j++) {
                String c = cells.get(j);
                names.add(isHeader && !c.isEmpty() ? c : "column " + (j + 1));
            }
            fromHeader = isHeader;
            headerLine = isHeader ? lineNo : 0;
            return cells;
        }

        /** Whether the first line's cells are a header (--header, or in auto mode: any non-empty cell is not a number). */
        boolean isHeader(List<String> cells) {
            return switch (opt.header()) {
                case YES -> true;
                case NO -> false;
                case AUTO -> cells.stream().anyMatch(c -> !c.isEmpty() && !looksNumeric(c));
            };
        }

        char detectDelimiter(String line) {
            if (line.indexOf(',') >= 0) return ',';
            if (line.indexOf(';') >= 0) return ';';
            if (line.indexOf('\t') >= 0) return '\t';
            return ',';
        }

        void chooseColumns() {
            labelCol = column(opt.labelName(), opt.labelIndex(), "label");
            idCol = column(opt.idName(), opt.idIndex(), "id");
            if (idCol >= 0 && idCol == labelCol) {
                throw new BottleneckException(file + ": " + columnName(idCol) + " is given as both the label and the id column;"
                        + " choose one for each");
            }
            boolean[] skip = new boolean[width];
            for (String s : opt.skipNames()) skip[indexOfName(s, "column to skip")] = true;
            for (int i : opt.skipIndices()) {
                int k = i < 0 ? width + i : i;
                if (k < 0 || k >= width) {
                    throw new BottleneckException(file + ": column index " + i + " to skip is out of range; the table has "
                            + width + " columns (0.." + (width - 1) + ")");
                }
                skip[k] = true;
            }
            int[] cols = new int[width];
            int d = 0;
            for (int j = 0; j < width; j++) if (j != labelCol && j != idCol && !skip[j]) cols[d++] = j;
            featureCols = Arrays.copyOf(cols, d);
            if (d == 0) {
                throw new BottleneckException(file + ": no feature columns left after removing the label and skipped columns "
                        + "(columns: " + names + "); keep at least one numeric column");
            }
        }

        /** A label or id column given by name or by index (negative from the end), or -1 when neither is given. */
        int column(String name, Integer index, String role) {
            if (name != null) return indexOfName(name, role + " column");
            if (index == null) return -1;
            int k = index < 0 ? width + index : index;
            if (k < 0 || k >= width) {
                throw new BottleneckException(file + ": " + role + " column index " + index + " is out of range; the table has "
                        + width + " columns (0.." + (width - 1) + ", or -1 for the last)");
            }
            return k;
        }

        int indexOfName(String name, String role) {
            if (!fromHeader) {
                throw new BottleneckException(file + ": " + role + " '" + name + "' was given by name, but the file has no header line"
                        + " (first line is numeric); give the column by 0-based index instead");
            }
            int k = names.indexOf(name);
            if (k < 0) {
                for (int j = 0; j < names.size(); j++) if (names.get(j).equalsIgnoreCase(name)) { k = j; break; }
            }
            if (k < 0) {
                throw new BottleneckException(file + ": " + role + " '" + name + "' not found in the header on line " + headerLine
                        + "; the columns are " + names);
            }
            return k;
        }

        void addRow(List<String> cells, int lineNo) {
            if (cells.size() != width) {
                throw new BottleneckException(file + ": line " + lineNo + " has " + cells.size() + " fields, expected " + width
                        + (fromHeader ? " (from the header)" : " (from the first line)")
                        + " — check for a missing or extra '" + printable(delim) + "' or an unquoted delimiter inside a field");
            }
            int d = featureCols.length;
            if (size + d > data.length) {
                long grown = Math.max((long) data.length * 2, (long) size + d);
                if (grown > Integer.MAX_VALUE - 8) {
                    throw new BottleneckException(file + ": more than " + (Integer.MAX_VALUE - 8) + " cells at line " + lineNo
                            + "; the table is too large to hold in one array — split the file");
                }
                data = Arrays.copyOf(data, (int) grown);
            }
            for (int c : featureCols) data[size++] = parseCell(cells.get(c), lineNo, c);
            if (labelCol >= 0) {
                String lab = cells.get(labelCol);
                if (lab.isEmpty()) {
                    throw new BottleneckException(file + ": line " + lineNo + ", " + columnName(labelCol)
                            + " (the label column): empty label — every row needs a label, or drop the label column option");
                }
                if (rows == labelCells.length) labelCells = Arrays.copyOf(labelCells, rows * 2);
                labelCells[rows] = lab;
            }
            if (idCol >= 0) {
                if (rows == idCells.length) idCells = Arrays.copyOf(idCells, rows * 2);
                idCells[rows] = cells.get(idCol);
            } else {
                if (rows == rowLines.length) rowLines = Arrays.copyOf(rowLines, rows * 2);
                rowLines[rows] = lineNo;
            }
            rows++;
        }

        float parseCell(String s, int lineNo, int col) {
            if (s.isEmpty()) {
                throw new BottleneckException(file + ": line " + lineNo + ", " + columnName(col)
                        + ": empty cell — clean or impute the data first");
            }
            String missing = missingToken(s);
            if (missing != null) {
                throw new BottleneckException(file + ": line " + lineNo + ", " + columnName(col) + ": " + missing
                        + " — clean or impute the data first");
            }
            if (!isDecimal(s)) {
                String hint = delim != ',' && s.indexOf(',') >= 0 && isDecimal(s.replace(',', '.'))
                        ? " (decimal comma? use '.' as the decimal point)" : "";
                throw new BottleneckException(file + ": line " + lineNo + ", " + columnName(col) + ": '" + s
                        + "' is not a number" + hint + "; expected a decimal number — fix the cell, or skip the column");
            }
            double v = Double.parseDouble(s);
            float f = (float) v;
            if (Float.isInfinite(f)) {
                throw new BottleneckException(file + ": line " + lineNo + ", " + columnName(col) + ": " + s
                        + " is outside the float range (±3.4e38) — rescale the column first");
            }
            return f;
        }

        String columnName(int col) {
            return fromHeader ? "column '" + names.get(col) + "'" : "column " + (col + 1);
        }

        CsvTable finish() {
            int d = featureCols.length;
            float[] x = size == data.length ? data : Arrays.copyOf(data, size);
            int[] labels = null;
            List<String> labelNames = null;
            if (labelCol >= 0) {
                labels = new int[rows];
                boolean allInts = true;
                for (int i = 0; i < rows && allInts; i++) allInts = isInteger(labelCells[i]);
                if (allInts) {
                    for (int i = 0; i < rows; i++) labels[i] = parseIntLabel(labelCells[i]);
                } else {
                    Map<String, Integer> ids = new LinkedHashMap<>();
                    for (int i = 0; i < rows; i++) {
                        labels[i] = ids.computeIfAbsent(labelCells[i], k -> ids.size());
                    }
                    labelNames = new ArrayList<>(ids.keySet());
                }
            }
            List<String> featureNames = new ArrayList<>(d);
            for (int c : featureCols) featureNames.add(names.get(c));
            String base = file.getFileName().toString();
            int dot = base.lastIndexOf('.');
            String name = dot > 0 ? base.substring(0, dot) : base;
            String[] ids = new String[rows];
            for (int i = 0; i < rows; i++) ids[i] = idCol >= 0 ? idCells[i] : Integer.toString(rowLines[i]);
            Dataset ds = new Dataset(x, rows, new int[] {d}, labels, name, ids);
            return new CsvTable(ds, featureNames, labelCol >= 0 ? names.get(labelCol) : null, labelNames,
                    idCol >= 0 ? names.get(idCol) : null);
        }

        int parseIntLabel(String s) {
            // integral values such as "3" or "3.0"; isInteger() checked the range
            return (int) Double.parseDouble(s);
        }

        /** Splits one line on the delimiter; "…" quotes with "" as an escaped quote; cells are trimmed. */
        List<String> split(String line, int lineNo) {
            List<String> out = new ArrayList<>(Math.max(4, width));
            StringBuilder sb = new StringBuilder();
            int i = 0;
            int n = line.length();
            while (true) {
                sb.setLength(0);
                while (i < n && line.charAt(i) == ' ' && delim != ' ') i++;
                if (i < n && line.charAt(i) == '"') {
                    int open = i;
                    i++;
                    boolean closed = false;
                    while (i < n) {
                        char ch = line.charAt(i);
                        if (ch == '"') {
                            if (i + 1 < n && line.charAt(i + 1) == '"') { sb.append('"'); i += 2; continue; }
                            i++;
                            closed = true;
                            break;
                        }
                        sb.append(ch);
                        i++;
                    }
                    if (!closed) {
                        throw new BottleneckException(file + ": line " + lineNo + ", character " + (open + 1)
                                + ": unterminated quoted field; expected a closing '\"' on the same line (quoted fields "
                                + "cannot span lines)");
                    }
                    while (i < n && line.charAt(i) != delim) {
                        if (!Character.isWhitespace(line.charAt(i))) {
                            throw new BottleneckException(file + ": line " + lineNo + ", character " + (i + 1)
                                    + ": text after a closing quote; expected '" + printable(delim) + "' or the end of the line");
                        }
                        i++;
                    }
                    out.add(sb.toString());
                } else {
                    int start = i;
                    while (i < n && line.charAt(i) != delim) i++;
                    out.add(line.substring(start, i).trim());
                }
                if (i >= n) break;
                i++; // skip the delimiter
                if (i == n) { out.add(""); break; }
            }
            return out;
        }
    }

    static String printable(char c) {
        return c == '\t' ? "\\t" : String.valueOf(c);
    }

    /** A name for NaN / infinity / NA-like tokens, or null if s is none of them. */
    static String missingToken(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        if (t.startsWith("+") || t.startsWith("-")) t = t.substring(1);
        switch (t) {
            case "nan": return "NaN";
            case "inf": case "infinity": return "infinite value '" + s + "'";
            case "na": case "n/a": case "null": case "none": case "?": return "missing value '" + s + "'";
            default: return null;
        }
    }

    static boolean looksNumeric(String s) {
        return isDecimal(s) || missingToken(s) != null;
    }

    /** [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? */
    static boolean isDecimal(String s) {
        int n = s.length();
        int i = 0;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
        int digits = 0;
        while (i < n && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) { i++; digits++; }
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) { i++; digits++; }
        }
        if (digits == 0) return false;
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
            int ed = 0;
            while (i < n && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) { i++; ed++; }
            if (ed == 0) return false;
        }
        return i == n;
    }

    /** An integral decimal in int range, e.g. "3", "-1", "3.0". */
    static boolean isInteger(String s) {
        if (!isDecimal(s)) return false;
        double v = Double.parseDouble(s);
        return v == Math.rint(v) && v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
    }
}
