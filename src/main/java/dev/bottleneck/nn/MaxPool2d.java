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
        Window w = Window.of("max_pool2d", l, shape, where);
        return SpecValues.add(new MaxPool2d(w.k()[0], w.k()[1], w.s()[0], w.s()[1], w.p()[0], w.p()[1]), shape, out, where);
    };

    public MaxPool2d(int kh, int kw, int strideH, int strideW, int padH, int padW) {
        super("max_pool2d", kh, kw, strideH, strideW, padH, padW, true);
    }

    @Override
    Var pool(Graph g, Var x) {
        return g.maxPool2d(x, window.kh(), window.kw(), window.strideH(), window.strideW(), window.padH(), window.padW());
    }

    @Override
    public String describe() {
        return describeWindow("MaxPool2d") + ")";
    }
}
