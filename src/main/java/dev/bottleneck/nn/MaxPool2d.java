package dev.bottleneck.nn;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

/** Max pooling over [N, c, h, w] batches (padding counts as -infinity, floor mode). */
public final class MaxPool2d extends Pool2dModule {
    /**
     * Spec type {@code max_pool2d}: {@code kernel}, optional {@code stride} (= kernel), {@code padding} (0, or
     * {@code "same"}: output {@code ceil(size / stride)} with the smallest symmetric padding).
     */
    public static final LayerSpec SPEC = (l, shape, out, where) -> {
        SpecValues.requireImage("max_pool2d", shape, where);
        int[] k = SpecValues.pair(l, "kernel", where, null, 1);
        int[] s = SpecValues.pair(l, "stride", where, k, 1);
        int[] p = SpecValues.poolPadding(l.get("padding"), shape, k, s, where);
        return SpecValues.add(new MaxPool2d(k[0], k[1], s[0], s[1], p[0], p[1]), shape, out, where);
    };

    public MaxPool2d(int kh, int kw, int strideH, int strideW, int padH, int padW) {
        super("max_pool2d", kh, kw, strideH, strideW, padH, padW, true);
    }

    @Override
    Var pool(Graph g, Var x) {
        return g.maxPool2d(x, kh, kw, strideH, strideW, padH, padW);
    }

    @Override
    public String describe() {
        return describeWindow("MaxPool2d") + ")";
    }
}
