package dev.bottleneck.nn;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.CounterRng;

import java.util.Locale;

/** Weight initialisations, drawn from {@link CounterRng} so they are reproducible from a seed on any backend. */
public enum Init {
    /** Glorot/Xavier uniform: U(-a, a), a = sqrt(6 / (fanIn + fanOut)) (the Keras Dense default). */
    XAVIER_UNIFORM,
    /** Glorot/Xavier normal: N(0, 2 / (fanIn + fanOut)). */
    XAVIER_NORMAL,
    /** He/Kaiming uniform: U(-a, a), a = sqrt(6 / fanIn) (for ReLU-family layers). */
    HE_UNIFORM,
    /** He/Kaiming normal: N(0, 2 / fanIn). */
    HE_NORMAL,
    ZEROS,
    ONES;

    public static Init parse(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT).replace("-", "_")) {
            case "xavier": case "glorot": case "xavier_uniform": case "glorot_uniform": return XAVIER_UNIFORM;
            case "xavier_normal": case "glorot_normal": return XAVIER_NORMAL;
            case "he": case "kaiming": case "he_uniform": case "kaiming_uniform": return HE_UNIFORM;
            case "he_normal": case "kaiming_normal": return HE_NORMAL;
            case "zeros": case "zero": return ZEROS;
            case "ones": return ONES;
            default: throw new BottleneckException("unknown initialisation '" + s + "': expected xavier, xavier_normal, he, he_normal, zeros or ones");
        }
    }

    public String specName() { return name().toLowerCase(Locale.ROOT); }

    /** Fills {@code out} with values for a parameter of the given fans, element i from {@code (seed, counter + i)}. */
    public void fill(double[] out, int fanIn, int fanOut, long seed, long counter) {
        for (int i = 0; i < out.length; i++) {
            long c = counter + i;
            switch (this) {
                case XAVIER_UNIFORM: {
                    double a = Math.sqrt(6.0 / (fanIn + fanOut));
                    out[i] = (2 * CounterRng.uniform(seed, c) - 1) * a;
                    break;
                }
                case XAVIER_NORMAL: out[i] = CounterRng.normal(seed, c) * Math.sqrt(2.0 / (fanIn + fanOut)); break;
                case HE_UNIFORM: {
                    double a = Math.sqrt(6.0 / fanIn);
                    out[i] = (2 * CounterRng.uniform(seed, c) - 1) * a;
                    break;
                }
                case HE_NORMAL: out[i] = CounterRng.normal(seed, c) * Math.sqrt(2.0 / fanIn); break;
                case ZEROS: out[i] = 0; break;
                case ONES: out[i] = 1; break;
                default: throw new AssertionError(this);
            }
        }
    }
}
