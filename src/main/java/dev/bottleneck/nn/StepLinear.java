package dev.bottleneck.nn;

import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.Limits;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

import java.util.List;
import java.util.Map;

/**
 * The same linear map applied to every step of a sequence (Keras' {@code TimeDistributed(Dense)}):
 * [N, T, in] to [N, T, out], one GEMM over all N·T steps. Parameters {@code weight} [out, in] and {@code bias}.
 */
public final class StepLinear extends Module {
    /** Spec type {@code step_linear}: {@code units}, applied to every step of sequences [T, F]. */
    public static final LayerSpec SPEC = (l, shape, out, where) -> {
        Object u = l.get("units");
        if (u == null) throw new BottleneckException(where + ": step_linear needs 'units'");
        if (shape.length != 2) throw new BottleneckException(where + ": step_linear needs sequences [T, F], got " + java.util.Arrays.toString(shape));
        int units = MapValues.limited(u, where + ": 'units'", 1, Limits.SAMPLE_VALUES);
        Limits.PARAMETERS.check((long) shape[1] * units, where + ": the weight count of step_linear (" + shape[1] + " -> " + units + ")");
        StepLinear m = new StepLinear(shape[1], units);
        int[] next = m.outputShape(shape);
        out.add(m);
        return next;
    };

    private final int in, out;
    private final Parameter weight, bias;

    public StepLinear(int in, int out) {
        if (in <= 0 || out <= 0) throw new BottleneckException("step_linear needs positive sizes, got " + in + " -> " + out);
        this.in = in;
        this.out = out;
        this.weight = new Parameter(Init.XAVIER_UNIFORM, in, out, out, in);
        this.bias = new Parameter(Init.ZEROS, in, out, out);
    }

    @Override
    public Var forward(Graph g, Var x) {
        int[] s = x.shape();
        if (s.length != 3 || s[2] != in) {
            throw new BottleneckException(describe() + " needs sequences [N, T, " + in + "], got " + java.util.Arrays.toString(s));
        }
        Var y = g.linear(g.reshape(x, s[0] * s[1], in), weight.in(g), bias.in(g));
        return g.reshape(y, s[0], s[1], out);
    }

    @Override public List<Parameter> ownParameters() { return List.of(weight, bias); }
    @Override public List<String> ownParameterNames() { return List.of("weight", "bias"); }
    @Override public List<Parameter> parameters() { return ownParameters(); }

    @Override
    public int[] outputShape(int[] inputShape) {
        if (inputShape.length != 2 || inputShape[1] != in) {
            throw new BottleneckException(describe() + " needs samples of shape [T, " + in + "], got " + java.util.Arrays.toString(inputShape));
        }
        return new int[] {inputShape[0], out};
    }

    @Override public String describe() { return "StepLinear(" + in + " -> " + out + ")"; }

    @Override
    public Map<String, Object> spec() {
        return Json.object("type", "step_linear", "units", out);
    }
}
