package dev.bottleneck.anomaly;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnomalyMetricsTest {
    @Test
    void rocAucOfAHandCheckedCaseWithTies() {
        // positives 0.35, 0.8, 0.4; negatives 0.1, 0.4. Pairs (pos > neg = 1, tie = 1/2):
        // 0.35: 1 + 0; 0.8: 1 + 1; 0.4: 1 + 0.5  ->  4.5 / 6 = 0.75
        double[] s = {0.1, 0.4, 0.35, 0.8, 0.4};
        int[] y = {0, 0, 1, 1, 1};
        assertEquals(0.75, Metrics.rocAuc(s, y), 1e-15);
        assertEquals(1.0, Metrics.rocAuc(new double[] {1, 2, 3, 4}, new int[] {0, 0, 1, 1}), 0);
        assertEquals(0.0, Metrics.rocAuc(new double[] {4, 3, 2, 1}, new int[] {0, 0, 1, 1}), 0);
        assertEquals(0.5, Metrics.rocAuc(new double[] {2, 2, 2, 2, 2}, new int[] {0, 1, 0, 1, 1}), 0);
        assertTrue(Double.isNaN(Metrics.rocAuc(new double[] {1, 2}, new int[] {0, 0})));
    }

    @Test
    void precisionRecallF1() {
        Metrics.Confusion c = Metrics.confusion(new boolean[] {true, true, false, false, true}, new int[] {1, 0, 1, 0, 1});
        assertEquals(2, c.tp());
        assertEquals(1, c.fp());
        assertEquals(1, c.fn());
        assertEquals(1, c.tn());
        assertEquals(2.0 / 3, c.precision(), 1e-15);
        assertEquals(2.0 / 3, c.recall(), 1e-15);
        assertEquals(2.0 / 3, c.f1(), 1e-15);
        assertEquals(0, Metrics.confusion(new boolean[] {false}, new int[] {1}).f1());
    }

    @Test
    void thresholds() {
        double[] v = {1, 2, 3, 4, 5};
        assertEquals(5, Threshold.parse("p100").choose(v), 0);
        assertEquals(3, Threshold.parse("percentile:50").choose(v), 0);
        assertEquals(4.6, Threshold.parse("p90").choose(v), 1e-12);
        assertEquals(3 + 2 * Math.sqrt(2), Threshold.parse("mean+2sd").choose(v), 1e-12);
        assertEquals(3 + Math.sqrt(2), Threshold.parse("sigma:1").choose(v), 1e-12);
        assertThrows(BottleneckException.class, () -> Threshold.parse("top5"));
        assertThrows(BottleneckException.class, () -> Threshold.parse("p150"));
    }

    @Test
    void falsePositiveRateCalibration() {
        // 1000 distinct scores: fpr 0.01 flags exactly 10 of them, with the threshold halfway to the next score
        double[] v = new double[1000];
        for (int i = 0; i < v.length; i++) v[i] = (i * 7919) % 1000 / 10.0; // 0.0 .. 99.9, shuffled
        Threshold t = Threshold.parse("fpr:0.01");
        assertEquals(Threshold.Method.FPR, t.method());
        assertEquals("fpr:0.01", t.toString());
        double thr = t.choose(v);
        assertEquals(98.95, thr, 1e-9);
        assertEquals(0.01, Threshold.flaggedShare(v, thr), 0);
        // a rate between two reachable shares takes the closer: 0.0126 of 1000 is 12.6 -> 13 rows
        assertEquals(0.013, Threshold.flaggedShare(v, Threshold.fpr(0.0126).choose(v)), 0);
        // ties at the top: 20 equal scores above 80 distinct ones; 5% cannot be reached, 0% (miss 5) beats 20% (miss 15)
        double[] tied = new double[100];
        for (int i = 0; i < 80; i++) tied[i] = i;
        java.util.Arrays.fill(tied, 80, 100, 500);
        assertEquals(0, Threshold.flaggedShare(tied, Threshold.fpr(0.05).choose(tied)), 0);
        assertEquals(0.2, Threshold.flaggedShare(tied, Threshold.fpr(0.15).choose(tied)), 0, "20% (miss 5) beats 0% (miss 15)");
        assertEquals(0.22, Threshold.flaggedShare(tied, Threshold.fpr(0.22).choose(tied)), 0);
        // NaN scores (rows without a score) are ignored; a rate near 1 flags everything
        assertEquals(1.0, Threshold.flaggedShare(new double[] {1, 2, Double.NaN}, Threshold.fpr(0.9).choose(new double[] {1, 2, Double.NaN})), 0);
        assertThrows(BottleneckException.class, () -> Threshold.parse("fpr:0"));
        assertThrows(BottleneckException.class, () -> Threshold.parse("fpr:1.5"));
        assertThrows(BottleneckException.class, () -> Threshold.parse("fpr:x"));
    }
}
