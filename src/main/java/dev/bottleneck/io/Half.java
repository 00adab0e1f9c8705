package dev.bottleneck.io;

/**
 * Conversions between float and the 16-bit formats IEEE binary16 (F16) and bfloat16 (BF16). Widening is
 * exact; narrowing rounds to nearest, ties to even, overflows to infinity, and keeps NaN a NaN.
 */
public final class Half {

    private Half() {
    }

    /** Widens IEEE binary16 bits to float (exact). */
    public static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            float v = Math.scalb((float) mant, -24); // zero or subnormal: mant * 2^-24, exact
            return sign == 0 ? v : -v;
        }
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // infinity or NaN (payload kept)
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** Narrows a float to IEEE binary16 bits, rounding to nearest-even. */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) { // NaN: keep the top payload bits, and stay a NaN
            int mant = (abs & 0x7fffff) >>> 13;
            return (short) (sign | 0x7c00 | (mant == 0 ? 0x200 : mant));
        }
        if (abs >= 0x477ff000) { // >= 65520 rounds past the largest half (65504): infinity
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) { // below 2^-14: a half subnormal (or zero)
            float scaled = Float.intBitsToFloat(abs) * 0x1p24f; // exact
            return (short) (sign | (int) Math.rint(scaled)); // 1024 becomes the smallest normal, correctly
        }
        int exp = (abs >>> 23) - 127 + 15;
        int mant = abs & 0x7fffff;
        int half = (exp << 10) | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++; // a carry into the exponent is the correct rounding
        }
        return (short) (sign | half);
    }

    /** Widens bfloat16 bits to float (exact). */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** Narrows a float to bfloat16 bits, rounding to nearest-even. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040); // quiet NaN, never rounded into infinity
        }
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }
}
