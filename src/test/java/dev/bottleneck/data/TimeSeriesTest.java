package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimeSeriesTest {
    @TempDir Path dir;

    private Path csv(String text) throws Exception {
        Path p = dir.resolve("s.csv");
        Files.writeString(p, text);
        return p;
    }

    private static final TimeSeriesReader.Options TS = TimeSeriesReader.Options.defaults().withTimestamp("t");

    @Test
    void readsGroupsTimestampsAndLabels() throws Exception {
        Path p = csv("t,id,a,b,label,note\n1,x,1.5,2,0,q\n1,y,9,9,1,q\n2,x,2.5,3,1,q\n3,x,3.5,4,0,q\n2,y,8,8,0,q\n");
        TimeSeries s = TimeSeriesReader.read(p, TS.withGroup("id").withLabel("label").withSkip(Set.of("note")));
        assertEquals(List.of("a", "b"), s.featureNames());
        assertEquals(5, s.rows());
        assertEquals(2, s.segments().size());
        assertEquals(new TimeSeries.Segment("x", 0, 3), s.segments().get(0));
        assertArrayEquals(new float[] {1.5f, 2, 2.5f, 3, 3.5f, 4, 9, 9, 8, 8}, s.values());
        assertArrayEquals(new int[] {0, 1, 0, 1, 0}, s.labels());
        assertArrayEquals(new int[] {2, 4, 5, 3, 6}, s.lines());
    }

    @Test
    void clearErrors() throws Exception {
        BottleneckException e = assertThrows(BottleneckException.class, () -> TimeSeriesReader.read(csv("t,a\n1,1\n2,abc\n"), TS));
        assertTrue(e.getMessage().contains("s.csv:3") && e.getMessage().contains("'a'") && e.getMessage().contains("abc"), e.getMessage());
        e = assertThrows(BottleneckException.class, () -> TimeSeriesReader.read(csv("t,a\n1,1\n2,\n"), TS));
        assertTrue(e.getMessage().contains("missing value"), e.getMessage());
        e = assertThrows(BottleneckException.class, () -> TimeSeriesReader.read(csv("t,a\n1,1\n3,2\n2,3\n"), TS));
        assertTrue(e.getMessage().contains("s.csv:4") && e.getMessage().contains("does not increase"), e.getMessage());
        e = assertThrows(BottleneckException.class, () -> TimeSeriesReader.read(csv("t,a\n1,1\n,2\n"), TS));
        assertTrue(e.getMessage().contains("missing timestamp"), e.getMessage());
        e = assertThrows(BottleneckException.class, () -> TimeSeriesReader.read(csv("t,a\n1,1\n2,2\n5,3\n"), TS.withMaxGap(1)));
        assertTrue(e.getMessage().contains("gap of 3") && e.getMessage().contains("missing timestamps"), e.getMessage());
        e = assertThrows(BottleneckException.class, () -> TimeSeriesReader.read(csv("t,a\n1,1\n"), TS));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
        // ISO timestamps are accepted and must increase too
        TimeSeries s = TimeSeriesReader.read(csv("t,a\n2024-01-01T00:00:00,1\n2024-01-01 00:01:00,2\n"), TS);
        assertEquals(60, s.timestamps()[1] - s.timestamps()[0], 0);
    }

    @Test
    void chronologicalSplitWindowsScalingAndRowErrors() throws Exception {
        StringBuilder b = new StringBuilder("t,g,v\n");
        for (int i = 0; i < 20; i++) b.append(i).append(",A,").append(i).append('\n');
        for (int i = 0; i < 10; i++) b.append(i).append(",B,").append(100 + i).append('\n');
        TimeSeries s = TimeSeriesReader.read(csv(b.toString()), TS.withGroup("g"));
        SeriesWindows.Split sp = SeriesWindows.chronological(s, 0.5, 0.2);
        assertEquals(List.of(new SeriesWindows.Range("A", 0, 10), new SeriesWindows.Range("B", 20, 25)), sp.train().ranges());
        assertEquals(List.of(new SeriesWindows.Range("A", 10, 14), new SeriesWindows.Range("B", 25, 27)), sp.validation().ranges());
        assertEquals(List.of(new SeriesWindows.Range("A", 14, 20), new SeriesWindows.Range("B", 27, 30)), sp.test().ranges());
        // the scaler sees the training rows only: A 0..9 and B 100..104
        Scaler sc = SeriesWindows.fitScaler(s, sp.train(), Scaler.Kind.STANDARD);
        double mean = (45 + 510) / 15.0;
        assertEquals(mean, sc.offset()[0], 1e-9);
        // windows of 3, stride 2 over A's test rows 14..19: starts 14, 16, then 17 to cover the last row; B: 27
        SeriesWindows.Windows w = SeriesWindows.windows(s, sp.test(), 3, 2, null);
        assertArrayEquals(new int[] {14, 16, 17, 27}, w.startRows());
        assertArrayEquals(new float[] {16, 17, 18}, java.util.Arrays.copyOfRange(w.data().x(), 3, 6));
        double[] rows = SeriesWindows.rowErrors(s.rows(), w, new double[] {1, 2, 4, 8});
        assertEquals(1, rows[14], 0);
        assertEquals(1.5, rows[16], 0); // windows 14 and 16
        assertEquals(3, rows[17], 0);   // windows 16 and 17
        assertEquals(4, rows[19], 0);
        assertTrue(Double.isNaN(rows[0]));
        BottleneckException e = assertThrows(BottleneckException.class, () -> SeriesWindows.windows(s, sp.validation(), 3, 1, null));
        assertTrue(e.getMessage().contains("group 'B'") && e.getMessage().contains("too short"), e.getMessage());
    }

    @Test
    void rowScoresMeanCenterAndMax() {
        // one part of rows 0..9, windows of 4 with stride 1: starts 0..6, errors 1, 2, 4, 8, 16, 32, 64
        float[] v = new float[10];
        TimeSeries s = new TimeSeries("s", List.of("x"), v, null, null, new int[10], List.of(new TimeSeries.Segment("", 0, 10)));
        SeriesWindows.Windows w = SeriesWindows.windows(s, SeriesWindows.all(s, "test"), 4, 1, null);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, w.startRows());
        double[] e = {1, 2, 4, 8, 16, 32, 64};
        double[] mean = SeriesWindows.rowErrors(10, w, e, SeriesWindows.RowScore.MEAN);
        double[] max = SeriesWindows.rowErrors(10, w, e, SeriesWindows.RowScore.MAX);
        double[] centre = SeriesWindows.rowErrors(10, w, e, SeriesWindows.RowScore.CENTER);
        assertArrayEquals(SeriesWindows.rowErrors(10, w, e), mean, 0, "mean is the default");
        // row 5 is covered by the windows starting at 2..5 (errors 4, 8, 16, 32)
        assertEquals(15, mean[5], 0);
        assertEquals(32, max[5], 0);
        assertEquals(8, centre[5], 0, "the window starting at 5 - 4 / 2 = 3");
        // row 0: only the window at 0; row 1: windows 0, 1, the closest to centred is the one at 0 (offset 1 of 2)
        assertEquals(1, centre[0], 0);
        assertEquals(1, centre[1], 0);
        assertEquals(1.5, mean[1], 0);
        // row 9: only the window starting at 6; row 8: windows 5 and 6, centred would start at 6
        assertEquals(64, centre[9], 0);
        assertEquals(64, centre[8], 0);
        assertEquals(48, mean[8], 0);
        assertEquals(SeriesWindows.RowScore.CENTER, SeriesWindows.RowScore.parse(" Center "));
        assertEquals("max", SeriesWindows.RowScore.MAX.toString());
        assertThrows(BottleneckException.class, () -> SeriesWindows.RowScore.parse("median"));
        assertEquals(7, SeriesWindows.count(SeriesWindows.all(s, "test"), 4, 1));
        assertEquals(3, SeriesWindows.count(SeriesWindows.all(s, "test"), 4, 4), "starts 0, 4 and 6 for the last row");
    }
}
