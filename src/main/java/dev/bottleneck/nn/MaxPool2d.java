package dev.bottleneck.nn;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

/** Max pooling over [N, c, h, w] batches (padding counts as -infinity, floor mode). */
public final class MaxPool2d extends Pool2dModule {
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
