package dev.bottleneck.backend;

/**
 * The one definition of Bottleneck's random numbers, shared by every backend (the CUDA kernels implement the
 * same arithmetic). A 64-bit key {@code (seed, index)} is hashed with two rounds of the SplitMix64 finaliser;
 * the top 24 bits give a float uniform on [0, 1) that is exact in float32.
 */
public final class CounterRng {
    private CounterRng() {}

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** 64 random bits for element {@code index} of stream {@code seed}. */
    public static long bits(long seed, long index) {
        return mix(mix(seed * GOLDEN + 0x632BE59BD9B4E019L) ^ (index * GOLDEN));
    }

    /** Uniform on [0, 1), a multiple of 2^-24. */
    public static double uniform(long seed, long index) {
        return (bits(seed, index) >>> 40) * 0x1.0p-24;
    }

    /** Standard normal via Box–Muller on two uniforms taken from the high and low halves of one draw. */
    public static double normal(long seed, long index) {
        long b = bits(seed, index);
        double u1 = ((b >>> 40) + 1) * 0x1.0p-24;          // (0, 1]
        double u2 = ((b >>> 16) & 0xFFFFFFL) * 0x1.0p-24;   // [0, 1)
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
