package dev.bottleneck.nn;

import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.Limits;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.RnnGeometry;
import dev.bottleneck.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A multi-layer, optionally bidirectional recurrent layer ({@link Lstm} or {@link Gru}) over batch-first sequences
 * [N, T, F]. It returns either the output sequence [N, T, D·H] or the top layer's last hidden state [N, D·H]
 * (both directions side by side when bidirectional).
 *
 * <p>Its parameters are PyTorch's, with PyTorch's names ({@code weight_ih_l0}, {@code weight_hh_l0},
 * {@code bias_ih_l0}, {@code bias_hh_l0}, then {@code ..._reverse}, then layer 1...), registered in that order so
 * they lie back to back in the parameter arena: together they are the one flat weight tensor of
 * {@link RnnGeometry}'s canonical layout that the backends read. Initialisation as PyTorch: every weight and bias
 * from U(-1/√H, 1/√H).
 */
public class Recurrent extends Module {
    /** Spec type {@code lstm}: {@code hidden}, optional {@code layers} (1), {@code bidirectional} (false), {@code return} (sequence or last). */
    public static final LayerSpec LSTM_SPEC = (l, shape, out, where) -> recurrent("lstm", l, shape, out, where);

    /** Spec type {@code gru}: the keys of {@link #LSTM_SPEC}. */
    public static final LayerSpec GRU_SPEC = (l, shape, out, where) -> recurrent("gru", l, shape, out, where);

    private static int[] recurrent(String type, java.util.Map<String, Object> l, int[] shape, List<Module> out, String where) {
        if (shape.length != 2) {
            throw new BottleneckException(where + ": " + type + " needs sequences [T, F], but its input is " + java.util.Arrays.toString(shape));
        }
        Object h = l.get("hidden");
        if (h == null) throw new BottleneckException(where + ": " + type + " needs 'hidden'");
        int hidden = MapValues.limited(h, where + ": 'hidden'", 1, Limits.SAMPLE_VALUES);
        int layers = MapValues.limitedOr(l.get("layers"), 1, where + ": 'layers'", 1, Limits.LAYERS);
        boolean bidi = MapValues.bool(l.get("bidirectional"), false, where + ": 'bidirectional'");
        String ret = MapValues.textOr(l.get("return"), "sequence", where + ": 'return'").toLowerCase(java.util.Locale.ROOT);
        Output o;
        if (ret.equals("last")) o = Output.LAST;
        else if (ret.equals("sequence")) o = Output.SEQUENCE;
        else throw new BottleneckException(where + ": 'return' must be last or sequence, got " + ret);
        RnnGeometry geo = new RnnGeometry(type.equals("lstm") ? RnnGeometry.Cell.LSTM : RnnGeometry.Cell.GRU, shape[1], hidden, layers, bidi);
        Limits.PARAMETERS.check(geo.weightCount(), where + ": the weight count of " + type + " (hidden " + hidden + ", " + layers + " layers)");
        Module m;
        try {
            m = type.equals("lstm") ? new Lstm(shape[1], hidden, layers, bidi, o) : new Gru(shape[1], hidden, layers, bidi, o);
        } catch (IllegalArgumentException e) {
            throw new BottleneckException(where + ": " + e.getMessage());
        }
        int[] next = m.outputShape(shape);
        out.add(m);
        return next;
    }

    /** What the layer returns. */
    public enum Output { SEQUENCE, LAST }

    private final RnnGeometry geo;
    private final Output output;
    private final List<Parameter> params = new ArrayList<>();
    private final List<String> names = new ArrayList<>();

    public Recurrent(RnnGeometry geo, Output output) {
        this.geo = geo;
        this.output = output;
        int gh = geo.gates() * geo.hidden();
        int fan = 3 * geo.hidden(); // XAVIER_UNIFORM with fanIn + fanOut = 6H is U(-1/sqrt(H), 1/sqrt(H))
        for (int l = 0; l < geo.layers(); l++) {
            for (int d = 0; d < geo.directions(); d++) {
                add(RnnGeometry.torchName("weight_ih", l, d), new Parameter(Init.XAVIER_UNIFORM, fan, fan, gh, geo.layerInput(l)));
                add(RnnGeometry.torchName("weight_hh", l, d), new Parameter(Init.XAVIER_UNIFORM, fan, fan, gh, geo.hidden()));
                add(RnnGeometry.torchName("bias_ih", l, d), new Parameter(Init.XAVIER_UNIFORM, fan, fan, gh));
                add(RnnGeometry.torchName("bias_hh", l, d), new Parameter(Init.XAVIER_UNIFORM, fan, fan, gh));
            }
        }
    }

    private void add(String name, Parameter p) {
        names.add(name);
        params.add(p);
    }

    public RnnGeometry geometry() { return geo; }
    public Output output() { return output; }

    /** The flat weights (value and gradient) as one variable; fails if the parameters are not contiguous. */
    public Var weights(Graph g) {
        Parameter first = params.get(0);
        Tensor v0 = first.value(), g0 = first.grad();
        long off = 0;
        for (Parameter p : params) {
            if (p.value().buffer() != v0.buffer() || p.value().offset() != v0.offset() + off) {
                throw new IllegalStateException("the parameters of " + describe() + " are not contiguous in the arena");
            }
            off += p.size();
        }
        int n = Math.toIntExact(geo.weightCount());
        Tensor value = new Tensor(v0.buffer(), v0.offset(), n);
        Tensor grad = g0 == null ? null : new Tensor(g0.buffer(), g0.offset(), n);
        return g.parameter(value, grad);
    }

    @Override
    public Var forward(Graph g, Var x) {
        if (x.value().rank() != 3 || x.value().dim(2) != geo.input()) {
            throw new BottleneckException(describe() + " needs sequences [N, T, " + geo.input() + "], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        Var y = g.rnn(geo, x, weights(g));
        return output == Output.SEQUENCE ? y : g.lastHidden(y, geo.directions());
    }

    @Override public List<Parameter> ownParameters() { return params; }
    @Override public List<String> ownParameterNames() { return names; }
    @Override public List<Parameter> parameters() { return params; }

    @Override
    public int[] outputShape(int[] inputShape) {
        if (inputShape.length != 2 || inputShape[1] != geo.input()) {
            throw new BottleneckException(describe() + " needs samples of shape [T, " + geo.input() + "], got "
                    + java.util.Arrays.toString(inputShape));
        }
        return output == Output.SEQUENCE ? new int[] {inputShape[0], geo.outputSize()} : new int[] {geo.outputSize()};
    }

    @Override
    public String describe() {
        String c = geo.cell() == RnnGeometry.Cell.LSTM ? "LSTM" : "GRU";
        return c + "(" + geo.input() + " -> " + geo.hidden() + (geo.layers() > 1 ? ", " + geo.layers() + " layers" : "")
                + (geo.bidirectional() ? ", bidirectional" : "") + ", " + (output == Output.LAST ? "last" : "sequence") + ")";
    }

    @Override
    public Map<String, Object> spec() {
        return Json.object("type", geo.cell().specName(), "hidden", geo.hidden(), "layers", geo.layers(),
                "bidirectional", geo.bidirectional(), "return", output == Output.LAST ? "last" : "sequence");
    }
}
