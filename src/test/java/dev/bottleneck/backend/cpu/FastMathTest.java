package dev.bottleneck.backend.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The float32 polynomials against double-precision Math over their whole domains. */
class FastMathTest {
    @Test
    void expMatchesMathToFloatPrecision() {
        double worst = 0;
        for (int i = 0; i <= 2_000_000; i++) {
            float x = -87f * i / 2_000_000f;
            double ref = Math.exp(x);
            double rel = Math.abs(FastMath.expNonPositive(x) - ref) / ref;
            worst = Math.max(worst, rel);
        }
        assertTrue(worst < 3e-7, "worst relative error " + worst);
        assertEquals(1f, FastMath.expNonPositive(0f));
        assertEquals(0f, FastMath.expNonPositive(-100f));
        assertEquals(0f, FastMath.expNonPositive(Float.NEGATIVE_INFINITY));
    }

    @Test
    void log1pMatchesMathToFloatPrecision() {
        double worst = 0;
        for (int i = 1; i <= 2_000_000; i++) {
            float e = i / 2_000_000f;
            double ref = Math.log1p(e);
            worst = Math.max(worst, Math.abs(FastMath.log1pUnit(e) - ref) / ref);
        }
        assertTrue(worst < 3e-7, "worst relative error " + worst);
        assertEquals(0f, FastMath.log1pUnit(0f));
        float tiny = 1e-30f;
        assertEquals(tiny, FastMath.log1pUnit(tiny), tiny * 1e-6f);
    }
}
