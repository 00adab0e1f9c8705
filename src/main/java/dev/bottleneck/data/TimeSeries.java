package dev.bottleneck.data;

import java.util.List;

/**
 * A multivariate time series read from a CSV file ({@link TimeSeriesReader}): {@code rows} observations of
 * {@code features()} numeric values, in chronological order within each {@link Segment} (one per value of the group
 * column, e.g. one per sensor; a single segment when there is no group column). Windows never cross segments.
 *
 * @param values     row-major raw values, rows × features
 * @param timestamps one per row (seconds, or the column's own unit when numeric), or null without a timestamp column
 * @param labels     0/1 per row (1 = anomalous), or null without a label column
 * @param lines      the 1-based line of the source file each row came from (for reports)
 * @param timestampColumn the timestamp column's name, or null without one
 * @param dateTimestamps  whether the timestamps were ISO-8601 dates / date-times (then they are epoch seconds, UTC)
 */
public record TimeSeries(String name, List<String> featureNames, float[] values, double[] timestamps, int[] labels,
                         int[] lines, List<Segment> segments, String timestampColumn, boolean dateTimestamps) {
    /** Rows [from, to) of one group, chronological. */
    public record Segment(String group, int from, int to) {
        public int length() { return to - from; }
    }

    public TimeSeries {
        featureNames = List.copyOf(featureNames);
        segments = List.copyOf(segments);
        if (values.length % Math.max(1, featureNames.size()) != 0) throw new IllegalArgumentException("values are not rows × features");
    }

    /** A series whose timestamps (if any) are plain numbers in an unnamed column. */
    public TimeSeries(String name, List<String> featureNames, float[] values, double[] timestamps, int[] labels, int[] lines,
                      List<Segment> segments) {
        this(name, featureNames, values, timestamps, labels, lines, segments, timestamps == null ? null : "timestamp", false);
    }

    public int features() { return featureNames.size(); }

    public int rows() { return values.length / features(); }

    public boolean hasLabels() { return labels != null; }

    public float value(int row, int feature) { return values[row * features() + feature]; }
}
