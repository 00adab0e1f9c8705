package dev.bottleneck.backend;

import dev.bottleneck.testing.HostData;

import java.util.SplittableRandom;

/**
 * One seeded draw of the inputs of the segmentation op checks (max pooling with indices and un-pooling in
 * {@link PoolConformanceTest}, the per-pixel softmax cross-entropy in {@link LossConformanceTest}) on an
 * {@code [N, C, H, W]} batch: both checks see the same values, float32-exact.
 */
record SegInputs(double[] x, double[] small, double[] dyBig, double[] logits, double[] target) {
    static final int N = 2, C = 5, H = 8, W = 6;

    static SegInputs draw() {
        SplittableRandom r = new SplittableRandom(11);
        int big = N * C * H * W, small = big / 4;
        double[] x = HostData.f32(HostData.signed(r, big)), sm = HostData.f32(HostData.signed(r, small));
        double[] dyBig = HostData.f32(HostData.signed(r, big)), logits = HostData.f32(HostData.uniform(r, big, -4, 4));
        double[] target = new double[N * H * W];
        for (int i = 0; i < target.length; i++) target[i] = r.nextInt(C);
        return new SegInputs(x, sm, dyBig, logits, target);
    }
}
