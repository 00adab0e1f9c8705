package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ScalerTest {
    // 3 rows × 3 features; feature 2 is constant on the training data
    private final Dataset train = new Dataset(new float[] {0, 10, 5, 2, 20, 5, 4, 30, 5}, 3, new int[] {3}, new int[] {0, 1, 2}, "train");
    private final Dataset test = new Dataset(new float[] {1, 40, 6, -2, 10, 5}, 2, new int[] {3}, null, "test");

    @Test
    void minMaxUsesTrainingStatsOnly() {
        Scaler s = Scaler.fit(Scaler.Kind.MINMAX, train);
        Dataset tr = s.transform(train);
        assertArrayEquals(new float[] {0, 0, 0, 0.5f, 0.5f, 0, 1, 1, 0}, tr.x(), 1e-6f);
        assertArrayEquals(train.labels(), tr.labels());
        Dataset te = s.transform(test);
        // test values are scaled with the train min/max, so they may leave [0, 1]
        assertArrayEquals(new float[] {0.25f, 1.5f, 1f, -0.5f, 0f, 0f}, te.x(), 1e-6f);
        assertArrayEquals(test.x(), s.inverse(te.x()), 1e-5f);
        assertEquals("test", te.name());
    }

    @Test
    void standardUsesPopulationStdAndZeroStdIsOne() {
        Scaler s = Scaler.fit(Scaler.Kind.STANDARD, train);
        double sd0 = Math.sqrt(8.0 / 3.0); // values 0,2,4: mean 2, population variance 8/3
        double sd1 = Math.sqrt(200.0 / 3.0);
        assertArrayEquals(new double[] {2, 20, 5}, s.offset(), 1e-12);
        assertArrayEquals(new double[] {sd0, sd1, 1}, s.divisor(), 1e-12);
        Dataset tr = s.transform(train);
        for (int j = 0; j < 2; j++) {
            double mean = 0, sq = 0;
            for (int i = 0; i < 3; i++) mean += tr.x()[i * 3 + j];
            mean /= 3;
            for (int i = 0; i < 3; i++) sq += Math.pow(tr.x()[i * 3 + j] - mean, 2);
            assertEquals(0, mean, 1e-6);
            assertEquals(1, Math.sqrt(sq / 3), 1e-6);
        }
        Dataset te = s.transform(test);
        assertEquals((1 - 2) / sd0, te.x()[0], 1e-6);
        assertEquals((40 - 20) / sd1, te.x()[1], 1e-6);
        assertEquals(1f, te.x()[2], 1e-6f); // (6 - 5) / 1
        assertArrayEquals(test.x(), s.inverse(te.x()), 1e-5f);
    }

    @Test
    void noneIsIdentity() {
        Scaler s = Scaler.fit(Scaler.Kind.NONE, train);
        assertSame(train, s.transform(train));
        assertArrayEquals(test.x(), s.inverse(test.x()));
    }

    @Test
    void mapRoundTrip() {
        for (Scaler.Kind k : Scaler.Kind.values()) {
            Scaler s = Scaler.fit(k, train);
            Map<String, Object> m = s.toMap();
            assertEquals(k.key(), m.get("kind"));
            Scaler r = Scaler.fromMap(m);
            assertEquals(k, r.kind());
            assertArrayEquals(s.transform(test).x(), r.transform(test).x());
        }
        Map<String, Object> m = Scaler.fit(Scaler.Kind.MINMAX, train).toMap();
        assertEquals(List.of(0.0, 10.0, 5.0), m.get("min"));
        assertEquals(List.of(4.0, 30.0, 5.0), m.get("max"));
        // numbers as JSON parsers produce them (ints mixed with doubles)
        Scaler fromJson = Scaler.fromMap(Map.of("kind", "standard", "mean", List.of(1, 2.0), "std", List.of(2, 0)));
        assertArrayEquals(new float[] {0.5f, 1f}, fromJson.transform(new float[] {2, 3}), 1e-6f);
    }

    @Test
    void errors() {
        Scaler s = Scaler.fit(Scaler.Kind.MINMAX, train);
        Dataset other = new Dataset(new float[4], 2, new int[] {2}, null, "other");
        assertTrue(assertThrows(BottleneckException.class, () -> s.transform(other)).getMessage().contains("fitted on 3 features"));
        assertThrows(BottleneckException.class, () -> Scaler.fromMap(Map.of("kind", "minmax", "min", List.of(1.0))));
        assertThrows(BottleneckException.class, () -> Scaler.Kind.parse("log"));
        assertEquals(Scaler.Kind.MINMAX, Scaler.Kind.parse("min-max"));
        assertEquals(Scaler.Kind.STANDARD, Scaler.Kind.parse("Standard"));
    }
}
