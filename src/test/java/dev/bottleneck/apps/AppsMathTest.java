package dev.bottleneck.apps;

import dev.bottleneck.io.Npy;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Hand-checked cases for the metrics and small learners behind the application commands. */
class AppsMathTest {

    @Test
    void rocAucAndAveragePrecisionWithoutTies() {
        // scores 0.9(+) 0.8(-) 0.7(+) 0.1(-): pairs (+ above -): 0.9>0.8, 0.9>0.1, 0.7>0.1 = 3 of 4
        double[] s = {0.9, 0.8, 0.7, 0.1};
        int[] y = {1, 0, 1, 0};
        assertEquals(0.75, Ranking.rocAuc(s, y), 1e-12);
        // ranking + - + -: P@1 = 1 (R 0.5), P@3 = 2/3 (R 1): AP = 0.5*1 + 0.5*2/3 = 5/6
        assertEquals(5.0 / 6, Ranking.averagePrecision(s, y), 1e-12);
        // perfect and reversed rankings
        assertEquals(1.0, Ranking.rocAuc(new double[] {3, 2, 1}, new int[] {1, 0, 0}), 1e-12);
        assertEquals(0.0, Ranking.rocAuc(new double[] {1, 2, 3}, new int[] {1, 0, 0}), 1e-12);
        assertEquals(1.0, Ranking.averagePrecision(new double[] {3, 2, 1}, new int[] {1, 0, 0}), 1e-12);
        assertEquals(1.0 / 3, Ranking.averagePrecision(new double[] {1, 2, 3}, new int[] {1, 0, 0}), 1e-12);
    }

    @Test
    void tiesCountOneHalfAndEnterPrecisionAsOneBlock() {
        // all scores tied: ROC-AUC 0.5; AP = prevalence (one block: recall 0 -> 1 at precision 2/4)
        double[] s = {1, 1, 1, 1};
        int[] y = {1, 0, 1, 0};
        assertEquals(0.5, Ranking.rocAuc(s, y), 1e-12);
        assertEquals(0.5, Ranking.averagePrecision(s, y), 1e-12);
        // 0.9(+) then a tie at 0.5 of (+, -), then 0.1(-): ROC pairs: 0.9 beats both negatives (2), the tied + ties
        // one negative (0.5) and beats 0.1 (1): 3.5 / 4
        double[] t = {0.9, 0.5, 0.5, 0.1};
        int[] z = {1, 1, 0, 0};
        assertEquals(3.5 / 4, Ranking.rocAuc(t, z), 1e-12);
        // AP: threshold 0.9: R 0.5 P 1; threshold 0.5 (block of 2): R 1 P 2/3 -> 0.5 + 0.5*2/3
        assertEquals(0.5 + 1.0 / 3, Ranking.averagePrecision(t, z), 1e-12);
        assertTrue(Double.isNaN(Ranking.rocAuc(new double[] {1, 2}, new int[] {0, 0})));
        assertTrue(Double.isNaN(Ranking.averagePrecision(new double[] {1, 2}, new int[] {0, 0})));
    }

    @Test
    void thresholdForFalsePositiveRate() {
        double[] normal = new double[101];
        for (int i = 0; i <= 100; i++) normal[i] = i; // 0..100
        assertEquals(95.0, Ranking.thresholdForFpr(normal, 0.05), 1e-12);
        long above = Arrays.stream(normal).filter(v -> v > 95.0).count();
        assertEquals(5, above, "5% of normal scores flagged");
        assertEquals(2.5, Ranking.percentile(new double[] {1, 2, 3, 4}, 50), 1e-12);
    }

    @Test
    void precisionAtKOnAConstructedIndex() {
        // four points on a line: labels 0 0 1 1; Euclidean neighbours
        float[] x = {0, 0, 1, 0, 10, 0, 11, 0};
        int[] lab = {0, 0, 1, 1};
        NearestNeighbours nn = new NearestNeighbours(x, 4, 2, NearestNeighbours.Metric.EUCLIDEAN);
        // leave-one-out, k = 1: each point's nearest has its label -> 1.0
        assertEquals(1.0, nn.precisionAtK(x, lab, 4, lab, 1, true), 1e-12);
        // k = 2: nearest same label, second other label -> 0.5 each
        assertEquals(0.5, nn.precisionAtK(x, lab, 4, lab, 2, true), 1e-12);
        // an outside query near point 1 with label 1: neighbours 1 (label 0), 0 (label 0), 2 (label 1) -> P@3 = 1/3
        assertEquals(1.0 / 3, nn.precisionAtK(new float[] {2, 0}, new int[] {1}, 1, lab, 3, false), 1e-12);
        NearestNeighbours.Hit[] h = nn.search(new float[] {2, 0}, 0, 2, -1);
        assertArrayEquals(new int[] {1, 0}, NearestNeighbours.rows(h));
        assertEquals(1.0, h[0].distance(), 1e-12);
        // cosine ignores the length: (1,0) and (10,0) are at distance 0, (0,1) at 1
        NearestNeighbours cos = new NearestNeighbours(new float[] {10, 0, 0, 1}, 2, 2, NearestNeighbours.Metric.COSINE);
        NearestNeighbours.Hit[] c = cos.search(new float[] {1, 0}, 0, 2, -1);
        assertEquals(0, c[0].row());
        assertEquals(0.0, c[0].distance(), 1e-12);
        assertEquals(1.0, c[1].distance(), 1e-12);
    }

    @Test
    void purityAndNmiOnConstructedClusterings() {
        int[] labels = {0, 0, 0, 1, 1, 1};
        // identical up to renaming: purity 1, NMI 1
        assertEquals(1.0, ClusterMetrics.purity(new int[] {5, 5, 5, 2, 2, 2}, labels), 1e-12);
        assertEquals(1.0, ClusterMetrics.nmi(new int[] {5, 5, 5, 2, 2, 2}, labels), 1e-12);
        // one cluster: purity 1/2, NMI 0
        assertEquals(0.5, ClusterMetrics.purity(new int[6], labels), 1e-12);
        assertEquals(0.0, ClusterMetrics.nmi(new int[6], labels), 1e-12);
        // clusters {0,0,1} {0,1,1}: purity 4/6; MI = 2 * (2/6 ln(2/6 / (1/4)) + 1/6 ln(1/6 / (1/4))), H = ln 2 each
        int[] c = {0, 0, 1, 0, 1, 1};
        assertEquals(4.0 / 6, ClusterMetrics.purity(c, labels), 1e-12);
        double mi = 2 * (2.0 / 6 * Math.log((2.0 / 6) / 0.25) + 1.0 / 6 * Math.log((1.0 / 6) / 0.25));
        assertEquals(mi / Math.log(2), ClusterMetrics.nmi(c, labels), 1e-12);
        // singletons: purity 1, NMI = I / sqrt(H(C) H(L)) = ln2 / sqrt(ln6 ln2)
        assertEquals(Math.log(2) / Math.sqrt(Math.log(6) * Math.log(2)), ClusterMetrics.nmi(new int[] {0, 1, 2, 3, 4, 5}, labels), 1e-12);
    }

    @Test
    void kMeansFindsSeparableBlobsAndIsSeeded() {
        SplittableRandom r = new SplittableRandom(3);
        int per = 50, k = 3, n = per * k;
        float[] x = new float[n * 2];
        int[] truth = new int[n];
        float[][] centres = {{0, 0}, {10, 0}, {0, 10}};
        for (int i = 0; i < n; i++) {
            truth[i] = i / per;
            x[2 * i] = centres[truth[i]][0] + (float) r.nextGaussian() * 0.5f;
            x[2 * i + 1] = centres[truth[i]][1] + (float) r.nextGaussian() * 0.5f;
        }
        KMeans.Result a = KMeans.fit(x, n, 2, k, 42, 100);
        assertEquals(1.0, ClusterMetrics.purity(a.assignment(), truth), 1e-12);
        assertEquals(1.0, ClusterMetrics.nmi(a.assignment(), truth), 1e-9);
        assertArrayEquals(a.assignment(), KMeans.fit(x, n, 2, k, 42, 100).assignment(), "same seed, same clustering");
        assertTrue(a.inertia() < n * 2 * 0.5 * 0.5 * 1.5, "inertia " + a.inertia());
    }

    @Test
    void logisticRegressionSeparatesAToyProblem() {
        // three classes in 2-D, linearly separable (x > 1: class 1; y > 1: class 2; else 0)
        SplittableRandom r = new SplittableRandom(5);
        int n = 600;
        float[] x = new float[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % 3;
            y[i] = c;
            x[2 * i] = (float) (c == 1 ? 3 + r.nextDouble() : r.nextDouble() * 0.8);
            x[2 * i + 1] = (float) (c == 2 ? 3 + r.nextDouble() : r.nextDouble() * 0.8);
        }
        LogisticRegression m = LogisticRegression.fit(x, y, n, 2, new LogisticRegression.Config(30, 32, 0.05, 0, 1));
        assertEquals(1.0, m.accuracy(x, y, n), 1e-12);
        assertArrayEquals(new int[] {1, 2, 0}, m.predict(new float[] {3.5f, 0.2f, 0.1f, 3.5f, 0.2f, 0.3f}, 3));
    }

    @Test
    void npyBytesFollowTheFormatSpec() {
        byte[] b = Npy.float32(new float[] {1f, 2f, 3f, 4f, 5f, 6f}, 2, 3);
        // magic \x93NUMPY, version 1.0
        assertEquals((byte) 0x93, b[0]);
        assertEquals("NUMPY", new String(b, 1, 5, StandardCharsets.US_ASCII));
        assertEquals(1, b[6]);
        assertEquals(0, b[7]);
        int headerLen = (b[8] & 0xff) | (b[9] & 0xff) << 8; // little-endian uint16
        assertEquals(0, (10 + headerLen) % 64, "data starts on a 64-byte boundary");
        String header = new String(b, 10, headerLen, StandardCharsets.US_ASCII);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header);
        assertTrue(header.endsWith("\n"));
        assertTrue(header.substring(0, header.length() - 1).chars().skip(59).allMatch(ch -> ch == ' '), "space padding");
        assertEquals(10 + headerLen + 24, b.length);
        ByteBuffer data = ByteBuffer.wrap(b, 10 + headerLen, 24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 1; i <= 6; i++) assertEquals(i, data.getFloat(), 0f);
        // exact bytes of a 1-D int64 array, as numpy.save writes them: header "(3,)" padded to 118 bytes
        byte[] l = Npy.int64(new long[] {7, 8, 9}, 3);
        String h = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }";
        assertEquals(118, (l[8] & 0xff) | (l[9] & 0xff) << 8);
        assertEquals(h + " ".repeat(118 - h.length() - 1) + "\n", new String(l, 10, 118, StandardCharsets.US_ASCII));
        assertEquals(7, ByteBuffer.wrap(l, 128, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
    }

    @Test
    void psnrOfKnownArrays() {
        float[] a = {0, 0, 0, 0}, b = {0.1f, 0.1f, 0.1f, 0.1f};
        // MSE = 0.01 -> PSNR = 10 log10(1 / 0.01) = 20 dB
        assertEquals(20.0, ImageQuality.psnr(a, b, 4, 1.0), 1e-5);
        assertEquals(0.01, ImageQuality.mse(a, b, 4), 1e-8);
        assertEquals(Double.POSITIVE_INFINITY, ImageQuality.psnr(a, a, 4, 1.0));
        // peak 255, MSE 1 -> 48.13 dB
        assertEquals(20 * Math.log10(255), ImageQuality.psnr(new float[] {0, 0}, new float[] {1, -1}, 2, 255), 1e-9);
    }

    @Test
    void codesRoundTripWithinTheirErrorBounds() {
        SplittableRandom r = new SplittableRandom(9);
        int n = 200, dim = 7;
        float[] codes = new float[n * dim];
        for (int i = 0; i < codes.length; i++) codes[i] = (float) (r.nextGaussian() * (1 + i % dim));
        // float16: relative error at most 2^-11
        CodeCodec.Codes f = CodeCodec.decode(CodeCodec.encode(codes, n, dim, CodeCodec.Format.F16), "f16");
        assertEquals(17 + 2 * n * dim, CodeCodec.encode(codes, n, dim, CodeCodec.Format.F16).length);
        for (int i = 0; i < codes.length; i++) assertEquals(codes[i], f.values()[i], Math.abs(codes[i]) * 0x1p-11 + 1e-7);
        // 8-bit: error at most half a step per dimension, step = range / 255
        byte[] u8 = CodeCodec.encode(codes, n, dim, CodeCodec.Format.U8);
        assertEquals(17 + 8 * dim + n * dim, u8.length);
        CodeCodec.Codes q = CodeCodec.decode(u8, "u8");
        for (int j = 0; j < dim; j++) {
            float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
            for (int i = 0; i < n; i++) { lo = Math.min(lo, codes[i * dim + j]); hi = Math.max(hi, codes[i * dim + j]); }
            double step = (hi - lo) / 255.0;
            for (int i = 0; i < n; i++) assertEquals(codes[i * dim + j], q.values()[i * dim + j], step / 2 + 1e-5);
        }
        byte[] bad = Arrays.copyOf(u8, u8.length - 1);
        var e = assertThrows(dev.bottleneck.BottleneckException.class, () -> CodeCodec.decode(bad, "cut.bin"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void projectionFindsTheMainAxis() {
        // points along (1, 1, 0) with small noise: PC 1 explains almost everything
        SplittableRandom r = new SplittableRandom(2);
        int n = 300;
        float[] x = new float[n * 3];
        for (int i = 0; i < n; i++) {
            double t = r.nextGaussian() * 5;
            x[3 * i] = (float) (t + r.nextGaussian() * 0.1);
            x[3 * i + 1] = (float) (t + r.nextGaussian() * 0.1);
            x[3 * i + 2] = (float) (r.nextGaussian() * 0.1);
        }
        Projection.Result p = Projection.principal(x, n, 3, 2);
        assertTrue(p.pca());
        assertTrue(p.explainedVariance()[0] > 0.99, "explained " + p.explainedVariance()[0]);
        // the first coordinate is ±(x + y)/sqrt 2 up to centring
        double dev = 0;
        for (int i = 0; i < n; i++) dev += Math.abs(Math.abs(p.points()[2 * i]) - Math.abs((x[3 * i] + x[3 * i + 1]) / Math.sqrt(2)));
        assertTrue(dev / n < 0.6, "mean deviation " + dev / n);
    }
}
