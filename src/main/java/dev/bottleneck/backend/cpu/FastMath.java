package dev.bottleneck.backend.cpu;

/**
 * Branch-free float32 exponential and log1p for the hot loss loop of the CPU backend. {@link Math#exp} and
 * {@link Math#log} work in double and {@link Math#log1p} is not even an intrinsic; these polynomials give
 * float32 accuracy (about 1e-7 relative, checked against Math in {@code FastMathTest}) at a fraction of the cost.
 */
final class FastMath {
    private FastMath() {}

    // shared with the vector bodies of VectorKernels, which must compute the same bits
    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    static final float ROUND = 12582912f; // 1.5 * 2^23
    // e^f on |f| <= ln2/2: p = P0, then p = fma(p, f, Pi) for i = 1..5, then fma(p f, f, f + 1); constants (not an
    // array) so that the compiler folds them into the vector loops
    static final float EXP_P0 = 1.9875691500E-4f, EXP_P1 = 1.3981999507E-3f, EXP_P2 = 8.3334519073E-3f,
            EXP_P3 = 4.1665795894E-2f, EXP_P4 = 1.6666665459E-1f, EXP_P5 = 5.0000001201E-1f;

    /**
     * e^x for x ≤ 0 (Cephes-style: x = n ln2 + f with |f| ≤ ln2/2, a degree-6 polynomial for e^f evaluated with
     * fused multiply-adds, then 2^n from the exponent bits). Returns 0 below -87.3, where the result would be subnormal.
     */
    static float expNonPositive(float x) {
        if (x < -87.3f) return 0f;
        // round x·log2(e) to the nearest integer by adding and removing 1.5·2^23 (no call, no conversion)
        float n = (x * LOG2E + ROUND) - ROUND;
        float f = Math.fma(n, -LN2_LO, Math.fma(n, -LN2_HI, x));
        float p = EXP_P0;
        p = Math.fma(p, f, EXP_P1);
        p = Math.fma(p, f, EXP_P2);
        p = Math.fma(p, f, EXP_P3);
        p = Math.fma(p, f, EXP_P4);
        p = Math.fma(p, f, EXP_P5);
        float r = Math.fma(p * f, f, f + 1f);
        return r * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    /**
     * log(1 + e) for e in [0, 1]: with s = e / (2 + e) ≤ 1/3, log(1 + e) = 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + ...),
     * truncated after s¹⁵ (relative error below 2e-8).
     */
    static float log1pUnit(float e) {
        float s = e / (2f + e);
        float s2 = s * s;
        float p = 1f / 15f;
        p = Math.fma(p, s2, 1f / 13f);
        p = Math.fma(p, s2, 1f / 11f);
        p = Math.fma(p, s2, 1f / 9f);
        p = Math.fma(p, s2, 1f / 7f);
        p = Math.fma(p, s2, 1f / 5f);
        p = Math.fma(p, s2, 1f / 3f);
        p = Math.fma(p, s2, 1f);
        return 2f * s * p;
    }
}
