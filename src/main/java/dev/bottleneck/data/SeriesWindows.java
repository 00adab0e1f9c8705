package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;

import java.util.ArrayList;
import java.util.List;

/**
 * Chronological splits and sliding windows over a {@link TimeSeries}. Every segment (group) is cut in time order
 * into a training, a validation and a test part; windows of {@code length} steps advance by {@code stride} inside
 * one part of one segment (never across a cut or a group), and one more window ends on the part's last row when
 * the stride does not land there, so every row of a part is covered by at least one window.
 */
public final class SeriesWindows {
    private SeriesWindows() {}

    /** Rows [from, to) of one segment. */
    public record Range(String group, int from, int to) {
        public int length() { return to - from; }
    }

    /** A named set of ranges (one per segment). */
    public record Part(String name, List<Range> ranges) {
        public Part {
            ranges = List.copyOf(ranges);
        }

        public int rows() {
            int n = 0;
            for (Range r : ranges) n += r.length();
            return n;
        }
    }

    /** The three chronological parts. */
    public record Split(Part train, Part validation, Part test) { }

    /**
     * Cuts every segment at {@code trainFraction} and {@code trainFraction + validationFraction} of its rows: the
     * first rows train, the next validate (and choose the detection threshold), the rest are the test part.
     */
    public static Split chronological(TimeSeries s, double trainFraction, double validationFraction) {
        if (!(trainFraction > 0) || validationFraction < 0 || trainFraction + validationFraction >= 1) {
            throw new BottleneckException("chronological split needs 0 < train, 0 <= validation and train + validation < 1, got "
                    + trainFraction + " and " + validationFraction);
        }
        List<Range> tr = new ArrayList<>(), va = new ArrayList<>(), te = new ArrayList<>();
        for (TimeSeries.Segment g : s.segments()) {
            int a = g.from() + (int) Math.floor(g.length() * trainFraction);
            int b = g.from() + (int) Math.floor(g.length() * (trainFraction + validationFraction));
            tr.add(new Range(g.group(), g.from(), a));
            if (b > a) va.add(new Range(g.group(), a, b));
            te.add(new Range(g.group(), b, g.to()));
        }
        return new Split(new Part("train", tr), new Part("validation", va), new Part("test", te));
    }

    /** The whole series as one part (for detection on a file of its own). */
    public static Part all(TimeSeries s, String name) {
        List<Range> r = new ArrayList<>();
        for (TimeSeries.Segment g : s.segments()) r.add(new Range(g.group(), g.from(), g.to()));
        return new Part(name, r);
    }

    /** Rows of a part as a data set [rows, F] (raw values), e.g. to fit a {@link Scaler} on the training rows only. */
    public static Dataset rows(TimeSeries s, Part p) {
        int f = s.features();
        float[] x = new float[p.rows() * f];
        int k = 0;
        for (Range r : p.ranges()) {
            System.arraycopy(s.values(), r.from() * f, x, k, r.length() * f);
            k += r.length() * f;
        }
        return new Dataset(x, p.rows(), new int[] {f}, null, s.name() + ":" + p.name());
    }

    /** Per-feature scaler fitted on the rows of the training part only. */
    public static Scaler fitScaler(TimeSeries s, Part train, Scaler.Kind kind) {
        if (train.rows() == 0) throw new BottleneckException("the training part of " + s.name() + " is empty");
        return Scaler.fit(kind, rows(s, train));
    }

    /**
     * Windows of a part: data [n, length, F] (scaled by {@code scaler}, which may be null), the first row of each
     * window, and a label per window (1 when any row in it is labelled anomalous) where the series has labels.
     */
    public record Windows(Dataset data, int[] startRows, int length) {
        public int n() { return data.n(); }
    }

    /** How many windows {@link #windows} makes of a part (0 for a range shorter than the window). */
    public static int count(Part p, int length, int stride) {
        int n = 0;
        for (Range r : p.ranges()) {
            if (r.length() < length) continue;
            int span = r.length() - length;
            n += span / stride + 1 + (span % stride != 0 ? 1 : 0);
        }
        return n;
    }

    public static Windows windows(TimeSeries s, Part p, int length, int stride, Scaler scaler) {
        int[] st = starts(s, p, length, stride);
        int f = s.features(), n = st.length;
        float[] x = new float[n * length * f];
        int[] labels = s.hasLabels() ? new int[n] : null;
        for (int i = 0; i < n; i++) {
            System.arraycopy(s.values(), st[i] * f, x, i * length * f, length * f);
            if (labels != null) for (int k = 0; k < length; k++) labels[i] = Math.max(labels[i], s.labels()[st[i] + k]);
        }
        if (scaler != null) x = scaler.transform(x);
        return new Windows(new Dataset(x, n, new int[] {length, f}, labels, s.name() + ":" + p.name()), st, length);
    }

    /**
     * The first row of every window of a part, in order: windows of {@code length} rows every {@code stride} rows
     * inside each range, plus one ending on the range's last row when the stride does not land there.
     */
    public static int[] starts(TimeSeries s, Part p, int length, int stride) {
        if (length < 1 || stride < 1) throw new BottleneckException("window length and stride must be >= 1, got " + length + " and " + stride);
        List<Integer> starts = new ArrayList<>();
        for (Range r : p.ranges()) {
            if (r.length() < length) {
                throw new BottleneckException(s.name() + ": the " + p.name() + " part of " + (r.group().isEmpty() ? "the series" : "group '" + r.group() + "'")
                        + " has " + r.length() + " rows, fewer than the window length " + length
                        + " (series too short: use a shorter --window or more data)");
            }
            int last = r.to() - length;
            int st = r.from();
            for (; st <= last; st += stride) starts.add(st);
            if (st - stride != last) starts.add(last);
        }
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** How a row's score is made from the errors of the windows that cover it. */
    public enum RowScore {
        /** the mean error of every covering window (smooth; an anomaly spreads over a window's length) */
        MEAN,
        /** the error of the window centred on the row: start = row - length / 2, moved inside the part at its ends */
        CENTER,
        /** the largest error of any covering window (never misses a bad window; spreads it widest) */
        MAX;

        public static RowScore parse(String s) {
            for (RowScore r : values()) if (r.name().equalsIgnoreCase(s.trim())) return r;
            throw new BottleneckException("row score '" + s + "' not understood: use mean, center or max");
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** {@link #rowErrors(int, Windows, double[], RowScore)} with {@link RowScore#MEAN}. */
    public static double[] rowErrors(int rows, Windows w, double[] windowErrors) {
        return rowErrors(rows, w, windowErrors, RowScore.MEAN);
    }

    /**
     * Per-row scores from per-window errors, combined over the windows covering each row as {@code how} says; NaN
     * for rows that no window covers (rows outside the windows' part). For {@link RowScore#CENTER} the covering
     * window whose offset of the row is closest to {@code length / 2} is taken (the earlier one on a tie), which is
     * the window starting at {@code row - length / 2} wherever that window exists.
     */
    public static double[] rowErrors(int rows, Windows w, double[] windowErrors, RowScore how) {
        if (windowErrors.length != w.n()) throw new IllegalArgumentException(windowErrors.length + " errors for " + w.n() + " windows");
        double[] out = new double[rows];
        int[] count = new int[rows];
        int[] offset = new int[rows];
        java.util.Arrays.fill(out, how == RowScore.MAX ? Double.NEGATIVE_INFINITY : 0);
        int centre = w.length() / 2;
        for (int i = 0; i < w.n(); i++) {
            for (int k = 0; k < w.length(); k++) {
                int r = w.startRows()[i] + k;
                double e = windowErrors[i];
                switch (how) {
                    case MEAN -> out[r] += e;
                    case MAX -> out[r] = Math.max(out[r], e);
                    case CENTER -> {
                        if (count[r] == 0 || Math.abs(k - centre) < Math.abs(offset[r] - centre)) {
                            out[r] = e;
                            offset[r] = k;
                        }
                    }
                }
                count[r]++;
            }
        }
        for (int r = 0; r < rows; r++) {
            if (count[r] == 0) out[r] = Double.NaN;
            else if (how == RowScore.MEAN) out[r] /= count[r];
        }
        return out;
    }
}
