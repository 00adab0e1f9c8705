package dev.bottleneck.backend;

import java.util.Locale;

/** Up-sampling modes: nearest neighbour, or bilinear with PyTorch's {@code align_corners=False} convention. */
public enum Upsample {
    NEAREST, BILINEAR;

    public static Upsample parse(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "nearest": return NEAREST;
            case "bilinear": return BILINEAR;
            default: throw new dev.bottleneck.BottleneckException("unknown up-sampling mode '" + s + "': expected nearest or bilinear");
        }
    }
}
