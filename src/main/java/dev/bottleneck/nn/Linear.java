package dev.bottleneck.nn;

import dev.bottleneck.backend.Activation;
import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.Limits;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

import java.util.List;
import java.util.Map;

/** Fully connected layer {@code y = x W^T + b}, W of shape [out, in] as in PyTorch. */
public final class Linear extends WeightedModule {
    /** Spec type {@code linear} (alias {@code dense}): {@code units}, optional {@code activation}, {@code alpha}, {@code bias}, {@code init}. */
    public static final LayerSpec SPEC = (l, shape, out, at) -> {
        Object u = l.get("units");
        if (u == null) throw new BottleneckException(at + ": linear needs 'units'");
        int units = MapValues.limited(u, at + ": 'units'", 1, Limits.SAMPLE_VALUES);
        long size = 1;
        for (int d : shape) size = Limits.saturatedMultiply(size, Math.max(0, d));
        int in = (int) size;
        // Linear flattens each sample itself, so no extra module (and parameter names stay encoder.0.weight)
        String act = l.containsKey("activation") ? MapValues.text(l.get("activation"), at + ": 'activation'") : "linear";
        Activation a = Activation.parse(act);
        Init init = SpecValues.init(l, a, at);
        boolean bias = MapValues.bool(l.get("bias"), true, at + ": 'bias'");
        Limits.PARAMETERS.check((long) in * units, at + ": the weight count of Linear(" + in + " -> " + units + ")");
        Linear m = new Linear(in, units, bias, init);
        out.add(m);
        int[] next = m.outputShape(new int[] {in});
        if (a != Activation.IDENTITY) {
            double alpha = MapValues.numberOr(l.get("alpha"), a.defaultAlpha, at + ": 'alpha'",
                    Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
            out.add(new ActivationLayer(a, alpha));
        }
        return next;
    };

    private final int in, out;

    public Linear(int in, int out, boolean bias, Init init) {
        super(new Parameter(init, in, out, out, in), bias ? new Parameter(Init.ZEROS, in, out, out) : null);
        if (in <= 0 || out <= 0) throw new BottleneckException("linear layer needs positive sizes, got " + in + " -> " + out);
        this.in = in;
        this.out = out;
    }

    public int in() { return in; }
    public int out() { return out; }

    @Override
    public Var forward(Graph g, Var x) {
        Var x2 = x.value().rank() == 2 ? x : g.reshape(x, x.value().rows(), x.value().cols());
        if (x2.value().cols() != in) {
            throw new BottleneckException("Linear(" + in + " -> " + out + ") got input with " + x2.value().cols() + " features per sample");
        }
        return g.linear(x2, weight.in(g), biasIn(g));
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        long n = 1;
        for (int d : inputShape) n *= d;
        if (n != in) throw new BottleneckException("Linear(" + in + " -> " + out + ") cannot take samples of " + n + " values");
        return new int[] {out};
    }

    @Override public String describe() { return "Linear(" + in + " -> " + out + (bias == null ? ", no bias" : "") + ")"; }

    @Override
    public Map<String, Object> spec() {
        return Json.object("type", "linear", "in", in, "units", out, "bias", bias != null,
                "init", weight.init().specName());
    }
}
