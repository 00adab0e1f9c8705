package dev.bottleneck.anomaly;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.SeriesWindows;
import dev.bottleneck.data.TimeSeries;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SeasonalityTest {
    /** A one-segment series of {@code n} rows whose features are the given functions of the row plus noise. */
    static TimeSeries series(int n, double noise, long seed, IntToDoubleFunction... features) {
        SplittableRandom r = new SplittableRandom(seed);
        int f = features.length;
        float[] v = new float[n * f];
        for (int t = 0; t < n; t++) for (int j = 0; j < f; j++) v[t * f + j] = (float) (features[j].applyAsDouble(t) + noise * r.nextGaussian());
        List<String> names = new java.util.ArrayList<>();
        for (int j = 0; j < f; j++) names.add("f" + j);
        return new TimeSeries("s", names, v, null, null, new int[n], List.of(new TimeSeries.Segment("", 0, n)));
    }

    static Seasonality.Period period(TimeSeries s) {
        return Seasonality.detect(s, SeriesWindows.all(s, "train"));
    }

    @Test
    void findsThePeriodOfANoisyCycle() {
        Seasonality.Period p = period(series(1000, 0.5, 1, t -> Math.sin(2 * Math.PI * t / 24)));
        assertEquals(24, p.lag(), p.describe());
        assertTrue(p.autocorrelation() > 0.5 && p.autocorrelation() < 1, p.describe());
        assertEquals(250, p.maxLag(), "periods up to a quarter of the range");
        assertTrue(p.describe().contains("period 24 steps"), p.describe());
    }

    @Test
    void theDailyCycleWinsOverTheWeeklyOneThatContainsIt() {
        // half-hourly: a strong daily cycle (48) and a weaker weekly one (336); the weekly lag is also a daily multiple
        Seasonality.Period p = period(series(48 * 7 * 6, 0.3, 2,
                t -> 3 * Math.sin(2 * Math.PI * t / 48) + Math.sin(2 * Math.PI * t / 336)));
        assertEquals(48, p.lag(), p.describe());
    }

    @Test
    void aTrendDoesNotHideTheCycle() {
        Seasonality.Period p = period(series(900, 0.3, 3, t -> 0.01 * t + Math.sin(2 * Math.PI * t / 30)));
        assertEquals(30, p.lag(), p.describe());
    }

    @Test
    void antiCorrelatedFeaturesDoNotCancel() {
        // humidity falls as temperature rises: averaging the features would leave (nearly) nothing
        Seasonality.Period p = period(series(800, 0.2, 4, t -> Math.sin(2 * Math.PI * t / 40), t -> -Math.sin(2 * Math.PI * t / 40)));
        assertEquals(40, p.lag(), p.describe());
    }

    @Test
    void noiseAndRandomWalksHaveNoPeriod() {
        Seasonality.Period noise = period(series(2000, 1, 5, t -> 0));
        assertFalse(noise.found(), noise.describe());
        assertTrue(noise.describe().startsWith("no dominant period"), noise.describe());
        SplittableRandom r = new SplittableRandom(6);
        double[] walk = new double[3000];
        for (int t = 1; t < walk.length; t++) walk[t] = walk[t - 1] + r.nextGaussian();
        Seasonality.Period w = period(series(walk.length, 0, 7, t -> walk[t]));
        assertFalse(w.found(), w.describe());
        // a constant feature carries no period and does not break the average
        assertFalse(period(series(500, 0, 8, t -> 3)).found());
        // a part too short to hold two cycles of any lag is not searched
        assertEquals(0, period(series(3, 0.1, 9, t -> t)).lag());
    }

    @Test
    void everyRangeOfThePartCounts() {
        // two groups with the same cycle, searched together; the longest lag is half the shortest range
        TimeSeries a = series(600, 0.3, 10, t -> Math.cos(2 * Math.PI * t / 20));
        float[] v = new float[1000];
        System.arraycopy(a.values(), 0, v, 0, 600);
        System.arraycopy(series(400, 0.3, 11, t -> Math.cos(2 * Math.PI * t / 20)).values(), 0, v, 600, 400);
        TimeSeries s = new TimeSeries("g", List.of("x"), v, null, null, new int[1000],
                List.of(new TimeSeries.Segment("a", 0, 600), new TimeSeries.Segment("b", 600, 1000)));
        Seasonality.Period p = period(s);
        assertEquals(20, p.lag());
        assertEquals(100, p.maxLag());
    }

    @Test
    void theRuleOnAHandMadeCurve() {
        // peaks at 5 (0.5), 10 (0.52), 15 and 20 (0.3), with dips between: 5 is within 0.9 of the best (0.52), comes
        // first and repeats near 10
        double[] acf = {1, 0.6, 0.2, -0.2, 0.1, 0.5, 0.1, -0.3, 0.0, 0.3, 0.52, 0.2, -0.1, 0.0, 0.1, 0.3, 0.1, 0, -0.1, 0.1, 0.3,
                0.1, 0, -0.1, 0, 0.1, 0, 0, 0, 0, 0};
        assertEquals(5, Seasonality.dominant(acf).lag());
        assertEquals(15, Seasonality.dominant(acf).maxLag(), "a period must repeat within the curve");
        // with the first peak too low to count (< 0.2) the next qualifying peak wins
        acf[5] = 0.15;
        assertEquals(10, Seasonality.dominant(acf).lag());
        // a peak whose repeat near twice its lag is missing is no period
        acf[20] = -0.1;
        acf[19] = -0.1;
        acf[21] = -0.1;
        assertEquals(0, Seasonality.dominant(acf).lag(), Seasonality.dominant(acf).describe());
        assertEquals(0.52, Seasonality.dominant(acf).autocorrelation(), 0, "the highest peak is reported");
        // a shoulder on the initial decay is no period: it does not rise 0.1 above anything before it
        double[] decay = {1, 0.9, 0.8, 0.85, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0, 0, 0, 0, 0, 0, 0};
        assertFalse(Seasonality.dominant(decay).found());
    }

    @Test
    void windowsFromPeriods() {
        assertEquals(48, Seasonality.window(48, 10_000));
        assertEquals(24, Seasonality.window(24, 10_000));
        assertEquals(9, Seasonality.window(3, 10_000), "whole periods of at least 8 steps");
        assertEquals(8, Seasonality.window(8, 10_000));
        assertEquals(Seasonality.MAX_WINDOW, Seasonality.window(700, 10_000));
        assertEquals(240, Seasonality.window(336, 240), "at most the shortest part");
        assertThrows(IllegalArgumentException.class, () -> Seasonality.window(0, 100));
    }

    @Test
    void seasonalNaiveScoresStandardiseTheSeasonalDifference() {
        int p = 10, n = 200;
        TimeSeries s = series(n, 0.1, 12, t -> Math.sin(2 * Math.PI * t / p) + (t == 150 ? 3 : 0));
        SeriesWindows.Part train = new SeriesWindows.Part("train", List.of(new SeriesWindows.Range("", 0, 100)));
        double[] sc = SeriesDetector.seasonalNaiveScores(s, train, p);
        for (int t = 0; t < p; t++) assertTrue(Double.isNaN(sc[t]), "no season before row " + t);
        // the difference of two N(0, 0.1) noises has sd 0.1·√2; the spike and its echo one season later stand out
        double typical = 0;
        for (int t = 100; t < 140; t++) typical = Math.max(typical, sc[t]);
        assertTrue(typical < 4.5, "normal rows " + typical);
        assertTrue(sc[150] > 15 && sc[160] > 15, sc[150] + " " + sc[160]);
        // by hand for one row
        double m = 0, q = 0;
        int k = 0;
        for (int t = p; t < 100; t++, k++) {
            double d = s.value(t, 0) - s.value(t - p, 0);
            m += d;
            q += d * d;
        }
        m /= k;
        double sd = Math.sqrt(q / k - m * m);
        assertEquals(Math.abs(s.value(120, 0) - s.value(110, 0) - m) / sd, sc[120], 1e-9);
        assertThrows(BottleneckException.class, () -> SeriesDetector.seasonalNaiveScores(s,
                new SeriesWindows.Part("train", List.of(new SeriesWindows.Range("", 0, 5))), p));
    }
}
