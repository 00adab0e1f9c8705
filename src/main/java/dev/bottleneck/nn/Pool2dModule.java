package dev.bottleneck.nn;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.io.Json;

import java.util.Arrays;
import java.util.Map;

/** What max and average pooling share: the window, its validation, the output shape and the spec fields. */
abstract class Pool2dModule extends Module {
    /** The window (kernel, stride, padding, average divisor) as the geometry of one 1x1 plane of its own size. */
    final Pool2dGeometry window;
    private final String type;

    Pool2dModule(String type, int kh, int kw, int strideH, int strideW, int padH, int padW, boolean countIncludePad) {
        this.type = type;
        try { // validates the window (padding at most half of it, positive sizes) once
            window = new Pool2dGeometry(1, 1, Math.max(kh, 1), Math.max(kw, 1), kh, kw, strideH, strideW, padH, padW, countIncludePad);
        } catch (IllegalArgumentException e) {
            throw new BottleneckException(type + ": " + e.getMessage());
        }
    }

    /** Kernel, stride and padding (height, width) read from a pooling layer's spec. */
    record Window(int[] k, int[] s, int[] p) {
        /** {@code kernel}, optional {@code stride} (= kernel) and {@code padding} of a spec of {@code type}. */
        static Window of(String type, Map<String, Object> l, int[] shape, String where) {
            SpecValues.requireImage(type, shape, where);
            int[] k = SpecValues.pair(l, "kernel", where, null, 1);
            int[] s = SpecValues.pair(l, "stride", where, k, 1);
            return new Window(k, s, SpecValues.poolPadding(l.get("padding"), shape, k, s, where));
        }
    }

    final Pool2dGeometry geometry(int n, int c, int h, int w) {
        Pool2dGeometry k = window;
        return new Pool2dGeometry(n, c, h, w, k.kh(), k.kw(), k.strideH(), k.strideW(), k.padH(), k.padW(), k.countIncludePad());
    }

    /** The pooling op itself on a checked [N, c, h, w] input. */
    abstract Var pool(Graph g, Var x);

    @Override
    public final Var forward(Graph g, Var x) {
        if (x.value().rank() != 4) throw new BottleneckException(describe() + " needs input [N, c, h, w], got " + Arrays.toString(x.shape()));
        return pool(g, x);
    }

    @Override
    public final int[] outputShape(int[] inputShape) {
        if (inputShape.length != 3) throw new BottleneckException(describe() + " needs samples of shape [c, h, w], got " + Arrays.toString(inputShape));
        try {
            Pool2dGeometry geo = geometry(1, inputShape[0], inputShape[1], inputShape[2]);
            return new int[] {inputShape[0], geo.outH(), geo.outW()};
        } catch (IllegalArgumentException e) {
            throw new BottleneckException(describe() + " cannot take samples of shape " + Arrays.toString(inputShape) + ": " + e.getMessage());
        }
    }

    /** {@code Name(kxk, stride s, pad p} without the closing parenthesis. */
    final String describeWindow(String name) {
        Pool2dGeometry k = window;
        return name + "(" + Conv2d.pair(k.kh(), k.kw()) + ", stride " + Conv2d.pair(k.strideH(), k.strideW()) + ", pad "
                + Conv2d.pair(k.padH(), k.padW());
    }

    @Override
    public Map<String, Object> spec() {
        Pool2dGeometry k = window;
        return Json.object("type", type, "kernel", Conv2d.specPair(k.kh(), k.kw()), "stride", Conv2d.specPair(k.strideH(), k.strideW()),
                "padding", Conv2d.specPair(k.padH(), k.padW()));
    }
}
