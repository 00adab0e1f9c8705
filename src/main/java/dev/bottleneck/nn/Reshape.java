package dev.bottleneck.nn;

import dev.bottleneck.io.MapValues;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reshapes each sample (no copy). {@link #flatten()} makes it [N, features]. */
public final class Reshape extends Module {
    /** Spec type {@code flatten} (no keys). */
    public static final LayerSpec FLATTEN_SPEC = (l, shape, out, at) -> {
        Reshape m = flatten();
        int[] next = m.outputShape(shape);
        out.add(m);
        return next;
    };

    /** Spec type {@code reshape}: {@code shape}, the per-sample shape (up to 8 positive sizes). */
    public static final LayerSpec SPEC = (l, shape, out, at) -> {
        Object s = l.get("shape");
        if (s == null) throw new BottleneckException(at + ": reshape needs 'shape'");
        Reshape m = to(MapValues.intList(s, at + ": reshape 'shape'", 1, Integer.MAX_VALUE, 8));
        int[] next = m.outputShape(shape);
        out.add(m);
        return next;
    };

    private final int[] shape; // per sample; null = flatten

    private Reshape(int[] shape) {
        this.shape = shape;
    }

    public static Reshape flatten() { return new Reshape(null); }

    public static Reshape to(int... sampleShape) { return new Reshape(sampleShape.clone()); }

    public boolean isFlatten() { return shape == null; }

    @Override
    public Var forward(Graph g, Var x) {
        int n = x.value().rows();
        int[] target = outputShape(Arrays.copyOfRange(x.shape(), 1, x.shape().length));
        int[] full = new int[target.length + 1];
        full[0] = n;
        System.arraycopy(target, 0, full, 1, target.length);
        return g.reshape(x, full);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        long size = Tensor.sizeOf(inputShape);
        if (shape == null) return new int[] {(int) size};
        if (Tensor.sizeOf(shape) != size) {
            throw new BottleneckException("cannot reshape samples of shape " + Arrays.toString(inputShape) + " to " + Arrays.toString(shape));
        }
        return shape.clone();
    }

    @Override public String describe() { return shape == null ? "Flatten" : "Reshape" + Arrays.toString(shape); }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (shape == null) {
            m.put("type", "flatten");
        } else {
            m.put("type", "reshape");
            m.put("shape", Arrays.stream(shape).boxed().toList());
        }
        return m;
    }

    @Override public List<Parameter> parameters() { return List.of(); }
}
