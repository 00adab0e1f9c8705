package dev.bottleneck.io;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HalfTest {

    @Test
    void knownHalfEncodings() {
        assertEquals(0x3c00, Half.floatToHalf(1f) & 0xffff);
        assertEquals(0xc000, Half.floatToHalf(-2f) & 0xffff);
        assertEquals(0x7bff, Half.floatToHalf(65504f) & 0xffff);
        assertEquals(0x7c00, Half.floatToHalf(65520f) & 0xffff); // halfway to the next binade: ties to even = inf
        assertEquals(0x7bff, Half.floatToHalf(65519.996f) & 0xffff);
        assertEquals(0x0001, Half.floatToHalf(0x1p-24f) & 0xffff);
        assertEquals(0x0000, Half.floatToHalf(0x1p-25f) & 0xffff); // tie rounds to even (zero)
        assertEquals(0x0001, Half.floatToHalf(0x1.8p-25f) & 0xffff);
        assertEquals(0x0400, Half.floatToHalf(0x1p-14f) & 0xffff);
        assertEquals(0x2e66, Half.floatToHalf(0.1f) & 0xffff);
        assertEquals(0x8000, Half.floatToHalf(-0f) & 0xffff);
        assertEquals(0x3c00, Half.floatToHalf(1f + 0x1p-11f) & 0xffff); // tie to even (down)
        assertEquals(0x3c02, Half.floatToHalf(1f + 3 * 0x1p-11f) & 0xffff); // tie to even (up)
        assertTrue(Float.isNaN(Half.halfToFloat(Half.floatToHalf(Float.NaN))));
        assertEquals(Float.NEGATIVE_INFINITY, Half.halfToFloat(Half.floatToHalf(Float.NEGATIVE_INFINITY)));
    }

    @Test
    void everyHalfRoundTripsThroughFloat() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Half.halfToFloat((short) h);
            assertEquals(h, Half.floatToHalf(f) & 0xffff, "half 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void everyBf16RoundTripsThroughFloat() {
        for (int b = 0; b < 0x10000; b++) {
            float f = Half.bf16ToFloat((short) b);
            int back = Half.floatToBf16(f) & 0xffff;
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.bf16ToFloat((short) back)));
            } else {
                assertEquals(b, back, "bf16 0x" + Integer.toHexString(b));
            }
        }
        assertEquals(0x3f80, Half.floatToBf16(1f) & 0xffff);
        assertEquals(0x3f80, Half.floatToBf16(Float.intBitsToFloat(0x3f808000)) & 0xffff); // tie to even
        assertEquals(0x3f82, Half.floatToBf16(Float.intBitsToFloat(0x3f818000)) & 0xffff);
        assertEquals(0x7f80, Half.floatToBf16(Float.MAX_VALUE) & 0xffff); // overflow to infinity
    }
}
