package dev.bottleneck.nn;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Fully connected layer {@code y = x W^T + b}, W of shape [out, in] as in PyTorch. */
public final class Linear extends Module {
    private final int in, out;
    private final Parameter weight, bias;

    public Linear(int in, int out, boolean bias, Init init) {
        if (in <= 0 || out <= 0) throw new BottleneckException("linear layer needs positive sizes, got " + in + " -> " + out);
        this.in = in;
        this.out = out;
        this.weight = new Parameter(init, in, out, out, in);
        this.bias = bias ? new Parameter(Init.ZEROS, in, out, out) : null;
    }

    public int in() { return in; }
    public int out() { return out; }
    public Parameter weight() { return weight; }
    public Parameter bias() { return bias; }

    @Override
    public Var forward(Graph g, Var x) {
        Var x2 = x.value().rank() == 2 ? x : g.reshape(x, x.value().rows(), x.value().cols());
        if (x2.value().cols() != in) {
            throw new BottleneckException("Linear(" + in + " -> " + out + ") got input with " + x2.value().cols() + " features per sample");
        }
        return g.linear(x2, weight.in(g), bias == null ? null : bias.in(g));
    }

    @Override public List<Parameter> ownParameters() { return bias == null ? List.of(weight) : List.of(weight, bias); }
    @Override public List<String> ownParameterNames() { return bias == null ? List.of("weight") : List.of("weight", "bias"); }
    @Override public List<Parameter> parameters() { return ownParameters(); }

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
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "linear");
        m.put("in", in);
        m.put("units", out);
        m.put("bias", bias != null);
        m.put("init", weight.init().specName());
        return m;
    }
}
