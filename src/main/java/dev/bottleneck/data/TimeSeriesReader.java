package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a time series from a CSV file with a header line: every column is a numeric feature except the optional
 * timestamp, label, group and skipped columns. Errors name the file, the line and the column:
 * <ul>
 *   <li>a non-numeric or empty feature cell, or a label that is not 0/1 (also accepts true/false);</li>
 *   <li>with a timestamp column: a missing timestamp, a timestamp that does not increase within its group
 *       (non-monotonic or duplicated), or, with {@code maxGap > 0}, a step larger than maxGap (missing
 *       timestamps); timestamps are numbers or ISO-8601 dates / date-times (converted to epoch seconds);</li>
 *   <li>a file or group with fewer rows than {@code minRows}.</li>
 * </ul>
 * With a group column, rows are grouped by its value (in order of first appearance, each group keeping file order).
 */
public final class TimeSeriesReader {
    /** What to read. Column names are matched exactly (after trimming). */
    public record Options(String timestampColumn, String labelColumn, String groupColumn, Set<String> skipColumns,
                          double maxGap, int minRows) {
        public Options {
            skipColumns = skipColumns == null ? Set.of() : Set.copyOf(skipColumns);
        }

        public static Options defaults() { return new Options(null, null, null, Set.of(), 0, 2); }

        public Options withTimestamp(String c) { return new Options(c, labelColumn, groupColumn, skipColumns, maxGap, minRows); }
        public Options withLabel(String c) { return new Options(timestampColumn, c, groupColumn, skipColumns, maxGap, minRows); }
        public Options withGroup(String c) { return new Options(timestampColumn, labelColumn, c, skipColumns, maxGap, minRows); }
        public Options withSkip(Set<String> s) { return new Options(timestampColumn, labelColumn, groupColumn, s, maxGap, minRows); }
        public Options withMaxGap(double g) { return new Options(timestampColumn, labelColumn, groupColumn, skipColumns, g, minRows); }
        public Options withMinRows(int r) { return new Options(timestampColumn, labelColumn, groupColumn, skipColumns, maxGap, r); }
    }

    private TimeSeriesReader() {}

    public static TimeSeries read(Path file, Options opt) {
        if (!Files.isRegularFile(file)) throw new BottleneckException("time series file " + file + " not found");
        List<String> header;
        List<float[]> featRows = new ArrayList<>();
        List<Double> stamps = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<Integer> lineNos = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        List<String> firstStamps = new ArrayList<>(1); // the first timestamp cell: a number or a date?
        int tsCol, labelCol, groupCol;
        int[] featCols;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line = r.readLine();
            if (line == null) throw new BottleneckException(file + ": empty file (expected a header line)");
            if (line.startsWith("\uFEFF")) line = line.substring(1);
            header = split(line);
            for (int i = 0; i < header.size(); i++) header.set(i, header.get(i).trim());
            tsCol = column(file, header, opt.timestampColumn(), "timestamp");
            labelCol = column(file, header, opt.labelColumn(), "label");
            groupCol = column(file, header, opt.groupColumn(), "group");
            for (String s : opt.skipColumns()) column(file, header, s, "skipped");
            List<Integer> fc = new ArrayList<>();
            for (int i = 0; i < header.size(); i++) {
                if (i == tsCol || i == labelCol || i == groupCol || opt.skipColumns().contains(header.get(i))) continue;
                fc.add(i);
            }
            if (fc.isEmpty()) throw new BottleneckException(file + ": no feature columns left after the timestamp/label/group/skipped columns");
            featCols = fc.stream().mapToInt(Integer::intValue).toArray();
            int lineNo = 1;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                List<String> cells = split(line);
                if (cells.size() != header.size()) {
                    throw new BottleneckException(file + ":" + lineNo + ": " + cells.size() + " cells, the header has " + header.size());
                }
                float[] f = new float[featCols.length];
                for (int j = 0; j < featCols.length; j++) {
                    String c = cells.get(featCols[j]).trim();
                    double v;
                    try {
                        v = Double.parseDouble(c);
                    } catch (NumberFormatException e) {
                        v = Double.NaN;
                    }
                    if (c.isEmpty() || !Double.isFinite(v)) {
                        throw new BottleneckException(file + ":" + lineNo + ": column '" + header.get(featCols[j]) + "' holds '" + c
                                + "', expected a finite number" + (c.isEmpty() ? " (missing value)" : "")
                                + "; skip the column with --skip-columns if it is not a feature");
                    }
                    f[j] = (float) v;
                }
                featRows.add(f);
                if (tsCol >= 0) {
                    String c = cells.get(tsCol).trim();
                    stamps.add(timestamp(file, lineNo, header.get(tsCol), c));
                    if (firstStamps.isEmpty()) firstStamps.add(c);
                }
                if (labelCol >= 0) labels.add(label(file, lineNo, header.get(labelCol), cells.get(labelCol).trim()));
                groups.add(groupCol >= 0 ? cells.get(groupCol).trim() : "");
                lineNos.add(lineNo);
            }
        } catch (IOException e) {
            throw new BottleneckException("cannot read " + file + ": " + e.getMessage());
        }
        // group (stable), then check timestamps per group
        Map<String, List<Integer>> byGroup = new LinkedHashMap<>();
        for (int i = 0; i < groups.size(); i++) byGroup.computeIfAbsent(groups.get(i), k -> new ArrayList<>()).add(i);
        int f = featCols.length, n = featRows.size();
        if (n < opt.minRows()) {
            throw new BottleneckException(file + ": " + n + " data rows, at least " + opt.minRows() + " needed (series too short)");
        }
        float[] values = new float[n * f];
        double[] ts = tsCol >= 0 ? new double[n] : null;
        int[] lab = labelCol >= 0 ? new int[n] : null;
        int[] lines = new int[n];
        List<TimeSeries.Segment> segs = new ArrayList<>();
        int row = 0;
        for (Map.Entry<String, List<Integer>> e : byGroup.entrySet()) {
            int from = row;
            List<Integer> idx = e.getValue();
            if (idx.size() < opt.minRows()) {
                throw new BottleneckException(file + ": group '" + e.getKey() + "' of column '" + opt.groupColumn() + "' has "
                        + idx.size() + " rows, at least " + opt.minRows() + " needed (series too short)");
            }
            for (int k = 0; k < idx.size(); k++) {
                int i = idx.get(k);
                System.arraycopy(featRows.get(i), 0, values, row * f, f);
                lines[row] = lineNos.get(i);
                if (lab != null) lab[row] = labels.get(i);
                if (ts != null) {
                    ts[row] = stamps.get(i);
                    if (k > 0) {
                        double prev = ts[row - 1], step = ts[row] - prev;
                        String where = file + ":" + lines[row] + (opt.groupColumn() != null ? " (group '" + e.getKey() + "')" : "");
                        if (step <= 0) {
                            throw new BottleneckException(where + ": timestamp " + fmt(ts[row]) + " in column '" + header.get(tsCol)
                                    + "' does not increase after " + fmt(prev) + " on line " + lines[row - 1]
                                    + " (rows must be in chronological order without duplicates)");
                        }
                        if (opt.maxGap() > 0 && step > opt.maxGap()) {
                            throw new BottleneckException(where + ": gap of " + fmt(step) + " after the timestamp " + fmt(prev)
                                    + " on line " + lines[row - 1] + " is larger than the allowed " + fmt(opt.maxGap())
                                    + " (missing timestamps); fill the gap or raise --max-gap");
                        }
                    }
                }
                row++;
            }
            segs.add(new TimeSeries.Segment(e.getKey(), from, row));
        }
        List<String> names = new ArrayList<>();
        for (int c : featCols) names.add(header.get(c));
        boolean dates = false;
        if (ts != null) {
            for (String c : firstStamps) {
                try {
                    Double.parseDouble(c);
                } catch (NumberFormatException e) {
                    dates = true; // it parsed, so it was an ISO-8601 date or date-time
                }
            }
        }
        return new TimeSeries(file.getFileName().toString(), names, values, ts, lab, lines, segs, tsCol >= 0 ? header.get(tsCol) : null, dates);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static int column(Path file, List<String> header, String name, String what) {
        if (name == null || name.isEmpty()) return -1;
        int i = header.indexOf(name);
        if (i < 0) throw new BottleneckException(file + ": no " + what + " column '" + name + "' in the header " + header);
        return i;
    }

    static double timestamp(Path file, int line, String col, String c) {
        if (c.isEmpty()) throw new BottleneckException(file + ":" + line + ": missing timestamp in column '" + col + "'");
        try {
            double v = Double.parseDouble(c);
            if (Double.isFinite(v)) return v;
        } catch (NumberFormatException ignored) {
            // not a number: try dates
        }
        try {
            return Instant.parse(c).toEpochMilli() / 1000.0;
        } catch (DateTimeParseException ignored) {
            // next format
        }
        try {
            return LocalDateTime.parse(c.replace(' ', 'T')).toEpochSecond(ZoneOffset.UTC);
        } catch (DateTimeParseException ignored) {
            // next format
        }
        try {
            return LocalDate.parse(c).atStartOfDay().toEpochSecond(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new BottleneckException(file + ":" + line + ": timestamp '" + c + "' in column '" + col
                    + "' is neither a number nor an ISO-8601 date/date-time (e.g. 2024-01-31T12:00:00)");
        }
    }

    private static int label(Path file, int line, String col, String c) {
        switch (c.toLowerCase(Locale.ROOT)) {
            case "0": case "0.0": case "false": case "normal": return 0;
            case "1": case "1.0": case "true": case "anomaly": return 1;
            default:
                throw new BottleneckException(file + ":" + line + ": label '" + c + "' in column '" + col
                        + "' is not 0/1 (1 = anomalous)");
        }
    }

    /** Splits one CSV line on commas; double-quoted cells may contain commas and doubled quotes. */
    public static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        boolean q = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (q) {
                if (ch == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        b.append('"');
                        i++;
                    } else {
                        q = false;
                    }
                } else {
                    b.append(ch);
                }
            } else if (ch == '"') {
                q = true;
            } else if (ch == ',') {
                out.add(b.toString());
                b.setLength(0);
            } else {
                b.append(ch);
            }
        }
        out.add(b.toString());
        return out;
    }

    /** Unused-column helper for callers: the set of names. */
    public static Set<String> names(String... names) {
        Set<String> s = new HashSet<>();
        for (String n : names) if (n != null && !n.isBlank()) s.add(n.trim());
        return s;
    }
}
