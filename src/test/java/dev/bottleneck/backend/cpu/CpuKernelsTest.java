package dev.bottleneck.backend.cpu;

import dev.bottleneck.tensor.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Vector API bodies of the CPU kernels give the bits of the scalar bodies (so a run with and one without
 * {@code --add-modules jdk.incubator.vector} train to the same weights), on values that include NaN of both signs,
 * ±0, ±infinity, subnormals, the cut-off of the exponential and ordinary values, over ranges whose start and length
 * are not multiples of the vector width.
 */
class CpuKernelsTest {
    private static final int N = 1000;
    private static final int LO = 3, HI = 3 + 16 * 37 + 5;

    @BeforeAll
    static void vectorApiIsHere() {
        // the build's test JVM adds the module (pom.xml argLine); without it there is nothing to compare
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "jdk.incubator.vector is not in this JVM (start it with --add-modules jdk.incubator.vector)");
        assertTrue(VectorKernels.works(), "the Vector API is present but does not compute");
    }

    @Test
    void theTestJvmRunsTheVectorBodies() {
        assertTrue(CpuKernels.VECTOR, "CPU kernels run scalar although the module is present");
        assertTrue(CpuKernels.describe().contains("Vector API"), CpuKernels.describe());
    }

    private static final float[] SPECIAL = {Float.NaN, -Float.NaN, Float.intBitsToFloat(0xffc00001), 0f, -0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
            -Float.MIN_NORMAL * 0.5f, 87.3f, -87.3f, 87.4f, -87.4f, 88.8f, -88.8f, 1e-30f, -1e-30f, 1f, -1f, 1e30f, -1e30f};

    private static CpuBuffer values(long seed, float scale) {
        CpuBuffer b = new CpuBuffer(DType.F32, N);
        Random r = new Random(seed);
        for (int i = 0; i < N; i++) {
            float v = i % 7 == 0 ? SPECIAL[(i / 7) % SPECIAL.length] : (float) (r.nextGaussian() * scale);
            b.f.put(i, v);
        }
        return b;
    }

    private static CpuBuffer zeros() {
        CpuBuffer b = new CpuBuffer(DType.F32, N);
        for (int i = 0; i < N; i++) b.f.put(i, 0f);
        return b;
    }

    private static CpuBuffer copy(CpuBuffer src) {
        CpuBuffer b = new CpuBuffer(DType.F32, N);
        for (int i = 0; i < N; i++) b.f.put(i, src.f.get(i));
        return b;
    }

    private static void assertSameBits(CpuBuffer expected, CpuBuffer actual, String what) {
        for (int i = 0; i < N; i++) {
            float e = expected.f.get(i), a = actual.f.get(i);
            // NaN payloads may differ between instructions; everything else bit for bit (±0 included)
            assertEquals(Float.floatToIntBits(e), Float.floatToIntBits(a), what + " at " + i + ": " + e + " vs " + a);
        }
    }

    @Test
    void adamGivesTheScalarBits() {
        for (float decay : new float[] {1f, 0.9999f}) {
            CpuBuffer p1 = values(1, 1), g = values(2, 1e-3f), m1 = values(3, 1e-4f), v1 = values(4, 1e-6f);
            for (int i = 0; i < N; i++) v1.f.put(i, Math.abs(v1.f.get(i))); // a second moment is never negative
            for (int i = 0; i < N; i += 11) m1.f.put(i, 1e-39f); // decays into the subnormal range
            CpuBuffer p2 = copy(p1), m2 = copy(m1), v2 = copy(v1);
            float b1 = 0.9f, b2 = 0.999f, wd = decay == 1f ? 1e-4f : 0f;
            CpuKernels.adamScalar(p1.f, 0, g.f, 0, m1.f, 0, v1.f, 0, b1, b2, 1 - b1, 1 - b2, 1e-3f, 1.2f, 1e-8f, wd, decay, LO, HI);
            VectorKernels.adam(p2, 0, g, 0, m2, 0, v2, 0, b1, b2, 1 - b1, 1 - b2, 1e-3f, 1.2f, 1e-8f, wd, decay, LO, HI);
            assertSameBits(p1, p2, "params");
            assertSameBits(m1, m2, "m");
            assertSameBits(v1, v2, "v");
            for (int i = LO; i < HI; i++) {
                float m = m1.f.get(i);
                assertTrue(Float.isNaN(m) || m == 0 || Math.abs(m) >= Float.MIN_NORMAL, "state stays normal or 0: " + m);
            }
        }
    }

    @Test
    void bceWithLogitsGivesTheScalarBitsAndTheScalarLoss() {
        CpuBuffer z = values(5, 6), y = values(6, 1), g1 = zeros(), g2 = zeros();
        for (int i = 0; i < N; i++) y.f.put(i, Float.isFinite(y.f.get(i)) ? Math.abs(y.f.get(i)) % 1f : 0.5f);
        double s1 = CpuKernels.bceWithLogitsScalar(z.f, 0, y.f, 0, g1.f, 0, 0.25f, LO, HI);
        double s2 = VectorKernels.bceWithLogits(z, 0, y, 0, g2, 0, 0.25f, LO, HI);
        assertSameBits(g1, g2, "gradient");
        assertTrue(Double.isNaN(s1) && Double.isNaN(s2), "NaN logits give a NaN loss both ways");
        // finite inputs: the sums differ only in their order
        CpuBuffer zf = values(7, 6);
        for (int i = 0; i < N; i++) if (!Float.isFinite(zf.f.get(i))) zf.f.put(i, 0.5f);
        double f1 = CpuKernels.bceWithLogitsScalar(zf.f, 0, y.f, 0, null, 0, 1f, LO, HI);
        double f2 = VectorKernels.bceWithLogits(zf, 0, y, 0, null, 0, 1f, LO, HI);
        assertEquals(f1, f2, Math.abs(f1) * 1e-14);
    }

    @Test
    void reluAndItsGradientGiveTheScalarBits() {
        CpuBuffer x = values(8, 1), dy = values(9, 1);
        CpuBuffer y1 = values(10, 1), y2 = copy(y1);
        CpuKernels.reluScalar(x, 0, y1, 0, LO, HI);
        VectorKernels.relu(x, 0, y2, 0, LO, HI);
        assertSameBits(y1, y2, "relu");
        for (boolean acc : new boolean[] {false, true}) {
            CpuBuffer d1 = values(11, 1), d2 = copy(d1);
            CpuKernels.reluBackwardScalar(x, 0, dy, 0, d1, 0, acc, LO, HI);
            VectorKernels.reluBackward(x, 0, dy, 0, d2, 0, acc, LO, HI);
            assertSameBits(d1, d2, "relu gradient, accumulate " + acc);
        }
    }

    @Test
    void rowAddAndColumnSumsGiveTheScalarBits() {
        CpuBuffer a = values(12, 1), b = values(13, 1), o1 = zeros(), o2 = zeros();
        int len = 16 * 5 + 3;
        CpuKernels.addRowScalar(a, 5, b, 2, o1, 7, 0, len);
        VectorKernels.addRow(a, 5, b, 2, o2, 7, len);
        assertSameBits(o1, o2, "row add");
        int rows = 9, cols = 16 * 3 + 7;
        double[] s1 = new double[cols], s2 = new double[cols];
        CpuKernels.columnSumsScalar(a, 4, rows, cols, 0, cols, s1);
        VectorKernels.columnSums(a, 4, rows, cols, 0, 16, s2);
        VectorKernels.columnSums(a, 4, rows, cols, 16, cols, s2); // a second range, as another thread would
        for (int j = 0; j < cols; j++) {
            assertEquals(Double.doubleToLongBits(s1[j]), Double.doubleToLongBits(s2[j]), "column " + j + ": " + s1[j] + " vs " + s2[j]);
        }
    }
}
