package dev.bottleneck.nn;

import dev.bottleneck.io.MapValues;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

import java.util.Map;

/**
 * Average pooling over [N, c, h, w] batches (floor mode); with {@code countIncludePad} (PyTorch's default) padded
 * positions count in the divisor.
 */
public final class AvgPool2d extends Pool2dModule {
    /** Spec type {@code avg_pool2d}: the keys of {@link MaxPool2d#SPEC} plus {@code count_include_pad} (true). */
    public static final LayerSpec SPEC = (l, shape, out, where) -> {
        Window w = Window.of("avg_pool2d", l, shape, where);
        return SpecValues.add(new AvgPool2d(w.k()[0], w.k()[1], w.s()[0], w.s()[1], w.p()[0], w.p()[1],
                MapValues.bool(l.get("count_include_pad"), true, where + ": 'count_include_pad'")), shape, out, where);
    };

    public AvgPool2d(int kh, int kw, int strideH, int strideW, int padH, int padW, boolean countIncludePad) {
        super("avg_pool2d", kh, kw, strideH, strideW, padH, padW, countIncludePad);
    }

    @Override
    Var pool(Graph g, Var x) {
        return g.avgPool2d(x, window.kh(), window.kw(), window.strideH(), window.strideW(), window.padH(), window.padW(),
                window.countIncludePad());
    }

    @Override
    public String describe() {
        return describeWindow("AvgPool2d") + (window.padH() > 0 || window.padW() > 0 ? (window.countIncludePad() ? "" : ", pad excluded") : "") + ")";
    }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> m = super.spec();
        m.put("count_include_pad", window.countIncludePad());
        return m;
    }
}
