package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class CsvReaderTest {
    @TempDir Path dir;

    private Path csv(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private static BottleneckException fails(Path f, CsvReader.Options o) {
        return assertThrows(BottleneckException.class, () -> CsvReader.read(f, o));
    }

    @Test
    void headerLabelColumnAndSkip() throws Exception {
        Path f = csv("sensor.csv", """
                reading,mote_id,humidity,temperature,label
                1,1,35.5,20.25,0
                2,1,36,20.5,0

                3,2,"37.5",-1e1,1
                """);
        CsvTable t = CsvReader.read(f, CsvReader.options().labelColumn("label").skipColumns("reading").build());
        Dataset d = t.dataset();
        assertEquals(3, d.n());
        assertArrayEquals(new int[] {3}, d.sampleShape());
        assertEquals(List.of("mote_id", "humidity", "temperature"), t.featureNames());
        assertEquals("label", t.labelColumn());
        assertNull(t.labelNames());
        assertArrayEquals(new float[] {1, 35.5f, 20.25f, 1, 36, 20.5f, 2, 37.5f, -10f}, d.x());
        assertArrayEquals(new int[] {0, 0, 1}, d.labels());
        assertEquals("sensor", d.name());
    }

    @Test
    void noHeaderAutoDetectedAndLabelByIndex() throws Exception {
        Path f = csv("plain.csv", "1,2,3\n4,5,6\n");
        CsvTable t = CsvReader.read(f, CsvReader.options().labelColumn(-1).build());
        assertEquals(2, t.dataset().n());
        assertArrayEquals(new float[] {1, 2, 4, 5}, t.dataset().x());
        assertArrayEquals(new int[] {3, 6}, t.dataset().labels());
        assertEquals(List.of("column 1", "column 2"), t.featureNames());
        // forcing a header consumes the first line
        CsvTable h = CsvReader.read(f, CsvReader.options().header(CsvReader.Header.YES).build());
        assertEquals(1, h.dataset().n());
        assertEquals(List.of("1", "2", "3"), h.featureNames());
    }

    @Test
    void semicolonAndTabAreDetected() throws Exception {
        Path semi = csv("semi.csv", "a;b\n1.5;2\n3;4\n");
        assertArrayEquals(new float[] {1.5f, 2, 3, 4}, CsvReader.read(semi).dataset().x());
        Path tab = csv("tab.tsv", "a\tb\tc\n1\t2\t3\n");
        assertArrayEquals(new float[] {1, 2, 3}, CsvReader.read(tab).dataset().x());
        Path pipe = csv("pipe.csv", "a|b\n7|8\n");
        assertArrayEquals(new float[] {7, 8}, CsvReader.read(pipe, CsvReader.options().delimiter('|').build()).dataset().x());
    }

    @Test
    void stringLabelsMapInOrderOfFirstAppearance() throws Exception {
        Path f = csv("iris.csv", "x,y,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n7,8,\"versi,color\"\n");
        CsvTable t = CsvReader.read(f, CsvReader.options().labelColumnSpec("species").build());
        assertArrayEquals(new int[] {0, 1, 0, 2}, t.dataset().labels());
        assertEquals(List.of("setosa", "virginica", "versi,color"), t.labelNames());
    }

    @Test
    void quotedHeaderAndRStyleEmptyFirstName() throws Exception {
        Path f = csv("r.csv", "\"\",\"userId\",\"rating\"\n\"1\",1,4.5\n\"2\",1,3\n");
        CsvTable t = CsvReader.read(f, CsvReader.options().skipColumnIndices(0).build());
        assertEquals(List.of("userId", "rating"), t.featureNames());
        assertArrayEquals(new float[] {1, 4.5f, 1, 3}, t.dataset().x());
    }

    @Test
    void raggedRow() throws Exception {
        Path f = csv("ragged.csv", "a,b,c,d,e,f\n1,2,3,4,5,6\n1,2,3,4,5\n");
        BottleneckException e = fails(f, CsvReader.defaults());
        String m = e.getMessage();
        assertTrue(m.contains(f.toString()), m);
        assertTrue(m.contains("line 3 has 5 fields, expected 6 (from the header)"), m);
    }

    @Test
    void nonNumericCellNamesLineAndColumn() throws Exception {
        Path f = csv("weather.csv", "temperature,humidity\n1,2\n3,abc\n");
        String m = fails(f, CsvReader.defaults()).getMessage();
        assertTrue(m.contains(f.toString()), m);
        assertTrue(m.contains("line 3, column 'humidity': 'abc' is not a number"), m);
    }

    @Test
    void nonNumericWithoutHeaderUsesColumnNumber() throws Exception {
        Path f = csv("n.csv", "1,2\n3,4\n5,x7\n");
        String m = fails(f, CsvReader.options().header(CsvReader.Header.NO).build()).getMessage();
        assertTrue(m.contains("line 3, column 2: 'x7' is not a number"), m);
    }

    /** Files the default options reject, each with the parts its one-line message must contain. */
    static Stream<Arguments> badCells() {
        return Stream.of(
                Arguments.of("nan.csv", "a,b,c\n1,2,3\n4,5,NaN\n", List.of("line 3, column 'c': NaN — clean or impute the data first")),
                Arguments.of("nan2.csv", "1,2,3\n4,5,6\n7,8,9\n10,11,12\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n4,5,nan\n",
                        List.of("line 12, column 3: NaN — clean or impute the data first")),
                Arguments.of("inf.csv", "a,b\n1,-Infinity\n", List.of("line 2, column 'b'", "infinite", "impute")),
                Arguments.of("empty-cell.csv", "a,b\n1,\n", List.of("line 2, column 'b': empty cell")),
                Arguments.of("na.csv", "a,b\nNA,1\n", List.of("line 2, column 'a': missing value 'NA'")),
                Arguments.of("huge.csv", "a\n1e39\n", List.of("line 2, column 'a'", "float range")),
                Arguments.of("eu.csv", "a;b\n1,5;2\n", List.of("'1,5' is not a number", "decimal comma")), // decimal-comma hint
                Arguments.of("q.csv", "a,b\n1,\"2\n", List.of("line 2", "unterminated")));              // unterminated quote
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badCells")
    void nanInfEmptyCellsAndBadSyntaxNameLineAndColumn(String name, String text, List<String> parts) throws Exception {
        String m = fails(csv(name, text), CsvReader.defaults()).getMessage();
        for (String part : parts) assertTrue(m.contains(part), m);
    }

    @Test
    void emptyFileAndNoDataRows() throws Exception {
        Path e0 = csv("empty.csv", "");
        assertTrue(fails(e0, CsvReader.defaults()).getMessage().contains("is empty"));
        Path blank = csv("blank.csv", "\n  \n");
        assertTrue(fails(blank, CsvReader.defaults()).getMessage().contains("is empty"));
        Path hdr = csv("hdr.csv", "a,b,c\n");
        String m = fails(hdr, CsvReader.defaults()).getMessage();
        assertTrue(m.contains(hdr.toString()) && m.contains("no data rows") && m.contains("line 1"), m);
    }

    @Test
    void unknownColumnsListTheHeader() throws Exception {
        Path f = csv("c.csv", "a,b\n1,2\n");
        String m = fails(f, CsvReader.options().labelColumn("lbl").build()).getMessage();
        assertTrue(m.contains("'lbl' not found") && m.contains("[a, b]"), m);
        m = fails(f, CsvReader.options().labelColumn(5).build()).getMessage();
        assertTrue(m.contains("index 5 is out of range"), m);
        Path noHeader = csv("d.csv", "1,2\n");
        m = fails(noHeader, CsvReader.options().labelColumn("x").build()).getMessage();
        assertTrue(m.contains("no header"), m);
    }

    @Test
    void utf8BomAndCrlf() throws Exception {
        Path f = csv("bom.csv", "\uFEFFa,b\r\n1,2\r\n3,4\r\n");
        CsvTable t = CsvReader.read(f);
        assertEquals(List.of("a", "b"), t.featureNames());
        assertArrayEquals(new float[] {1, 2, 3, 4}, t.dataset().x());
    }

    @Test
    void numberSyntax() {
        for (String ok : new String[] {"1", "-1", "+2.5", ".5", "5.", "1e-3", "2E+10"}) assertTrue(CsvReader.isDecimal(ok), ok);
        for (String bad : new String[] {"", "-", ".", "e5", "1e", "1d", "0x10", "1,5", "١"}) assertFalse(CsvReader.isDecimal(bad), bad);
    }
}
