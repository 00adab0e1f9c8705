package dev.bottleneck.nn;

import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.Limits;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Keras' {@code RepeatVector}: a code [N, L] becomes the sequence [N, T, L] that feeds a sequence decoder. With
 * teacher forcing, step t also carries the previous true step x[t-1] (zeros at t = 0): [N, T, L + F]. The true
 * sequence is handed over by the model before each forward pass ({@link #bindTarget}); a teacher-forced decoder
 * cannot decode a code on its own.
 */
public final class RepeatSteps extends Module {
    /** Spec type {@code repeat}: {@code steps}, optional {@code features} (0), {@code teacher_forcing} (false). */
    public static final LayerSpec SPEC = (l, shape, out, where) -> {
        Object s = l.get("steps");
        if (s == null) throw new BottleneckException(where + ": repeat needs 'steps'");
        boolean tf = MapValues.bool(l.get("teacher_forcing"), false, where + ": 'teacher_forcing'");
        int f = MapValues.limitedOr(l.get("features"), 0, where + ": 'features'", 0, Limits.SAMPLE_VALUES);
        RepeatSteps m = new RepeatSteps(MapValues.limited(s, where + ": 'steps'", 1, Limits.SAMPLE_VALUES), f, tf);
        int[] next = m.outputShape(shape);
        out.add(m);
        return next;
    };

    private final int steps, features;
    private final boolean teacherForcing;
    private Var target;

    /** @param features features per step of the true sequence (used with teacher forcing only) */
    public RepeatSteps(int steps, int features, boolean teacherForcing) {
        if (steps <= 0) throw new BottleneckException("repeat needs a positive number of steps, got " + steps);
        if (teacherForcing && features <= 0) throw new BottleneckException("teacher forcing needs the features per step");
        this.steps = steps;
        this.features = features;
        this.teacherForcing = teacherForcing;
    }

    public boolean teacherForcing() { return teacherForcing; }

    /** Gives every teacher-forced {@link RepeatSteps} of {@code decoder} the true sequence of the next forward pass. */
    public static void bindTarget(Sequential decoder, Var target) {
        for (Module m : decoder.layers()) if (m instanceof RepeatSteps r && r.teacherForcing) r.target = target;
    }

    @Override
    public Var forward(Graph g, Var x) {
        Tensor extra = null;
        if (teacherForcing) {
            Var t = target;
            target = null;
            if (t == null) {
                throw new BottleneckException("this decoder uses teacher forcing: it needs the true sequence, so decode it "
                        + "through the model's forward pass, not from a code alone");
            }
            int n = x.value().rows();
            if (t.value().size() != (long) n * steps * features) {
                throw new BottleneckException("teacher forcing: the true sequence has " + t.value().size() + " values, expected "
                        + n + " x " + steps + " x " + features);
            }
            Tensor src = t.value().reshape(n, steps * features);
            extra = g.temp(n, steps, features);
            Tensor ef = extra.reshape(n, steps * features);
            g.backend().memory().fill(ef, 0.0);
            if (steps > 1) g.backend().memory().copyColumns(src, 0, ef, features, (steps - 1) * features);
        }
        return g.repeatSteps(x.value().rank() == 2 ? x : g.reshape(x, x.value().rows(), x.value().cols()), steps, extra);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        long l = 1;
        for (int d : inputShape) l *= d;
        return new int[] {steps, (int) l + (teacherForcing ? features : 0)};
    }

    @Override public String describe() { return "RepeatSteps(" + steps + (teacherForcing ? ", teacher forcing" : "") + ")"; }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> m = Json.object("type", "repeat", "steps", steps);
        if (teacherForcing) {
            m.put("teacher_forcing", true);
            m.put("features", features);
        }
        return m;
    }

    @Override public List<Parameter> parameters() { return List.of(); }
}
