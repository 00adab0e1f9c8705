package dev.bottleneck.nn;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.io.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Modules applied in order. */
public final class Sequential extends Module {
    private final List<Module> layers;

    public Sequential(List<Module> layers) {
        this.layers = List.copyOf(layers);
    }

    public Sequential(Module... layers) {
        this(List.of(layers));
    }

    public List<Module> layers() { return layers; }

    @Override
    public Var forward(Graph g, Var x) {
        return forward(g, x, layers.size());
    }

    /** Applies the first {@code count} layers only. */
    public Var forward(Graph g, Var x, int count) {
        Var h = x;
        for (int i = 0; i < count; i++) h = layers.get(i).forward(g, h);
        return h;
    }

    @Override public List<Module> children() { return layers; }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        for (Module m : layers) out.addAll(m.parameters());
        return out;
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        int[] s = inputShape;
        for (Module m : layers) s = m.outputShape(s);
        return s;
    }

    @Override
    public String describe() {
        StringBuilder b = new StringBuilder("Sequential(");
        for (int i = 0; i < layers.size(); i++) b.append(i == 0 ? "" : ", ").append(layers.get(i).describe());
        return b.append(')').toString();
    }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> m = Json.object("type", "sequential");
        List<Object> l = new ArrayList<>();
        for (Module x : layers) l.add(x.spec());
        m.put("layers", l);
        return m;
    }
}
