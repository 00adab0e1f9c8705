package dev.bottleneck.export;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.RnnGeometry;
import dev.bottleneck.export.proto.Onnx;
import dev.bottleneck.nn.ActivationLayer;
import dev.bottleneck.nn.AvgPool2d;
import dev.bottleneck.nn.BatchNorm2d;
import dev.bottleneck.nn.Conv2d;
import dev.bottleneck.nn.ConvTranspose2d;
import dev.bottleneck.nn.Dropout;
import dev.bottleneck.nn.Linear;
import dev.bottleneck.nn.MaxPool2d;
import dev.bottleneck.nn.Module;
import dev.bottleneck.nn.Parameter;
import dev.bottleneck.nn.Recurrent;
import dev.bottleneck.nn.RepeatSteps;
import dev.bottleneck.nn.Reshape;
import dev.bottleneck.nn.Sequential;
import dev.bottleneck.nn.StepLinear;
import dev.bottleneck.nn.UpsampleLayer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.bottleneck.export.OnnxGraph.attr;
import static dev.bottleneck.export.OnnxGraph.ints;

/**
 * Translates Bottleneck layers into ONNX nodes, in inference form: dropout is the identity, batch normalisation uses
 * its running statistics, and a layer's weights become constant tensors of the graph.
 *
 * <p>It walks a {@link Sequential} while tracking the current value's name and per-sample shape (the batch dimension
 * stays dynamic). Layer settings that the modules do not expose as getters (strides, paddings, ...) are read from
 * {@link Module#spec()}, the description that {@code config.json} stores, so they are exactly what the model was
 * built from. A module with no translation fails with a message naming it.
 */
final class OnnxLayers {
    private final OnnxGraph g;
    private final Map<String, float[]> weights;
    private final String teacher;

    /**
     * @param weights every parameter's values by its name ({@code encoder.0.weight})
     * @param teacher the scaled input batch, for a teacher-forced sequence decoder (which reads the true previous step);
     *                null where the graph has no input sequence (a decoder exported alone)
     */
    OnnxLayers(OnnxGraph g, Map<String, float[]> weights, String teacher) {
        this.g = g;
        this.weights = weights;
        this.teacher = teacher;
    }

    /** A value of the graph and its per-sample shape. */
    record Value(String name, int[] shape) { }

    /** Applies every layer of {@code s} to {@code x}; {@code where} names the part (encoder, decoder). */
    Value apply(String where, Sequential s, Value x) {
        List<Module> layers = s.layers();
        for (int i = 0; i < layers.size(); i++) x = layer(where + "." + i, where + " layer " + i, layers.get(i), x);
        return x;
    }

    /** One layer; {@code id} names its values ({@code encoder.3}), {@code what} is for messages. */
    Value layer(String id, String what, Module m, Value x) {
        int[] out;
        try {
            out = m.outputShape(x.shape());
        } catch (RuntimeException e) {
            throw new BottleneckException("cannot export " + what + " (" + m.describe() + ") to ONNX: " + e.getMessage());
        }
        String y;
        if (m instanceof Linear l) y = linear(id, l, x);
        else if (m instanceof ActivationLayer a) y = activation(id, a.kind(), a.alpha(), x.name());
        else if (m instanceof Dropout) y = g.node("Identity", id + ".dropout", List.of(x.name()));
        else if (m instanceof Reshape r) y = r.isFlatten() ? flatten(id, x) : reshape(id, x.name(), out);
        else if (m instanceof Conv2d c) y = conv(id, "Conv", c.spec(), c.weight(), c.bias(), x.name());
        else if (m instanceof ConvTranspose2d c) y = conv(id, "ConvTranspose", c.spec(), c.weight(), c.bias(), x.name());
        else if (m instanceof MaxPool2d p) y = pool(id, "MaxPool", p.spec(), x.name());
        else if (m instanceof AvgPool2d p) y = pool(id, "AveragePool", p.spec(), x.name());
        else if (m instanceof UpsampleLayer u) y = upsample(id, u.spec(), x.name());
        else if (m instanceof BatchNorm2d b) y = batchNorm(id, b, x.name());
        else if (m instanceof Recurrent r) y = recurrent(id, r, x.name());
        else if (m instanceof RepeatSteps r) y = repeat(id, what, r, x);
        else if (m instanceof StepLinear s) y = stepLinear(id, s, x.name());
        else {
            String kind = m.getClass().getSimpleName().isEmpty() ? m.getClass().getName() : m.getClass().getSimpleName();
            throw new BottleneckException("cannot export " + what + " (" + m.describe() + ") to ONNX: Bottleneck has no ONNX translation"
                    + " for a " + kind + " layer");
        }
        return new Value(y, out);
    }

    // ------------------------------------------------------------------------------------------ dense

    private String linear(String id, Linear l, Value x) {
        String in = x.shape().length == 1 ? x.name() : flatten(id, x);
        List<String> inputs = new ArrayList<>(List.of(in, constant(id, l.weight())));
        if (l.bias() != null) inputs.add(constant(id, l.bias()));
        // y = x W^T + b, W stored [out, in] as in PyTorch
        return g.node("Gemm", id + ".gemm", inputs, attr("transB", 1L));
    }

    private String flatten(String id, Value x) {
        return g.node("Flatten", id + ".flatten", List.of(x.name()), attr("axis", 1L));
    }

    private String reshape(String id, String x, int[] sample) {
        long[] shape = new long[sample.length + 1]; // 0 keeps the batch dimension of the input
        for (int k = 0; k < sample.length; k++) shape[k + 1] = sample[k];
        return g.node("Reshape", id + ".reshape", List.of(x, g.longs(id + ".shape", shape)));
    }

    /** Activation {@code kind} of {@code x}; the identity adds no node. */
    String activation(String id, Activation kind, double alpha, String x) {
        String tag = id + "." + kind.specName();
        switch (kind) {
            case IDENTITY: return x;
            case RELU: return g.node("Relu", tag, List.of(x));
            case LEAKY_RELU: return g.node("LeakyRelu", tag, List.of(x), attr("alpha", alpha));
            case SIGMOID: return g.node("Sigmoid", tag, List.of(x));
            case TANH: return g.node("Tanh", tag, List.of(x));
            case ELU: return g.node("Elu", tag, List.of(x), attr("alpha", alpha));
            case SOFTPLUS: return g.node("Softplus", tag, List.of(x));
            case GELU: {
                // the tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), written out since the Gelu operator
                // arrived only in opset 20
                String x3 = g.node("Mul", tag + ".x3", List.of(g.node("Mul", tag + ".x2", List.of(x, x)), x));
                String inner = g.node("Add", tag + ".inner", List.of(x, g.node("Mul", tag + ".cubic", List.of(x3, g.scalar(tag + ".k", 0.044715)))));
                String t = g.node("Tanh", tag + ".tanh", List.of(g.node("Mul", tag + ".u", List.of(inner, g.scalar(tag + ".c", Math.sqrt(2 / Math.PI))))));
                String half = g.node("Mul", tag + ".half", List.of(x, g.scalar(tag + ".h", 0.5)));
                return g.node("Mul", tag, List.of(half, g.node("Add", tag + ".one_plus", List.of(t, g.scalar(tag + ".one", 1.0)))));
            }
            default:
                throw new BottleneckException("cannot export the activation '" + kind.specName() + "' to ONNX");
        }
    }

    // ------------------------------------------------------------------------------------------ convolution, pooling

    private String conv(String id, String op, Map<String, Object> spec, Parameter w, Parameter b, String x) {
        int[] k = pair(spec.get("kernel")), s = pair(spec.get("stride")), p = pair(spec.get("padding")), d = pair(spec.get("dilation"));
        List<Onnx.AttributeProto> a = new ArrayList<>(List.of(ints("kernel_shape", k[0], k[1]), ints("strides", s[0], s[1]),
                ints("pads", p[0], p[1], p[0], p[1]), ints("dilations", d[0], d[1]), attr("group", 1L)));
        if (op.equals("ConvTranspose")) { // weight [cIn, cOut, kh, kw], the layout both use
            int[] op2 = pair(spec.getOrDefault("output_padding", 0));
            a.add(ints("output_padding", op2[0], op2[1]));
        }
        List<String> inputs = new ArrayList<>(List.of(x, constant(id, w)));
        if (b != null) inputs.add(constant(id, b));
        return g.node(op, id + "." + op.toLowerCase(Locale.ROOT), inputs, a.toArray(new Onnx.AttributeProto[0]));
    }

    private String pool(String id, String op, Map<String, Object> spec, String x) {
        int[] k = pair(spec.get("kernel")), s = pair(spec.get("stride")), p = pair(spec.get("padding"));
        List<Onnx.AttributeProto> a = new ArrayList<>(List.of(ints("kernel_shape", k[0], k[1]), ints("strides", s[0], s[1]),
                ints("pads", p[0], p[1], p[0], p[1]), attr("ceil_mode", 0L)));
        if (op.equals("AveragePool")) a.add(attr("count_include_pad", Boolean.TRUE.equals(spec.get("count_include_pad")) ? 1L : 0L));
        return g.node(op, id + "." + op.toLowerCase(Locale.ROOT), List.of(x), a.toArray(new Onnx.AttributeProto[0]));
    }

    private String upsample(String id, Map<String, Object> spec, String x) {
        int[] sc = pair(spec.get("scale"));
        String scales = g.floats(id + ".scales", new float[] {1, 1, sc[0], sc[1]}, 4);
        String mode = String.valueOf(spec.get("mode"));
        if (mode.equals("nearest")) { // output pixel o reads input floor(o / scale)
            return g.node("Resize", id + ".resize", List.of(x, "", scales), attr("mode", "nearest"),
                    attr("coordinate_transformation_mode", "asymmetric"), attr("nearest_mode", "floor"));
        }
        if (mode.equals("bilinear")) { // align_corners=False: source (o + 0.5) / scale - 0.5, clamped to the edge
            return g.node("Resize", id + ".resize", List.of(x, "", scales), attr("mode", "linear"),
                    attr("coordinate_transformation_mode", "pytorch_half_pixel"));
        }
        throw new BottleneckException("cannot export up-sampling mode '" + mode + "' to ONNX");
    }

    private String batchNorm(String id, BatchNorm2d b, String x) {
        double eps = ((Number) b.spec().get("eps")).doubleValue();
        return g.node("BatchNormalization", id + ".batch_norm",
                List.of(x, constant(id, b.weight()), constant(id, b.bias()), constant(id, b.runningMean()), constant(id, b.runningVar())),
                attr("epsilon", eps));
    }

    // ------------------------------------------------------------------------------------------ sequences

    /** PyTorch's LSTM gates are (i, f, g, o), ONNX's (i, o, f, c): ONNX gate k is PyTorch gate LSTM_GATES[k]. */
    static final int[] LSTM_GATES = {0, 3, 1, 2};
    /** PyTorch's GRU gates are (r, z, n), ONNX's (z, r, h). */
    static final int[] GRU_GATES = {1, 0, 2};

    /**
     * A stacked, optionally bidirectional LSTM or GRU over a batch-first [N, T, F] value: one ONNX LSTM/GRU node per
     * layer on the time-major [T, N, F] layout (both directions in one node), returning [N, T, D·H] or the top layer's
     * final hidden states [N, D·H] (forward after the last step, backward after the first, as the model does).
     */
    private String recurrent(String id, Recurrent r, String x) {
        RnnGeometry geo = r.geometry();
        boolean lstm = geo.cell() == RnnGeometry.Cell.LSTM;
        int h = geo.hidden(), gh = geo.gates() * h, dirs = geo.directions();
        int[] order = lstm ? LSTM_GATES : GRU_GATES;
        List<Parameter> ps = r.ownParameters();
        String seq = g.node("Transpose", id + ".time_major", List.of(x), ints("perm", 1, 0, 2)); // [T, N, F]
        String lastHidden = null;
        int p = 0;
        for (int l = 0; l < geo.layers(); l++) {
            int in = geo.layerInput(l);
            float[] w = new float[dirs * gh * in], rr = new float[dirs * gh * h], bias = new float[dirs * 2 * gh];
            for (int d = 0; d < dirs; d++) {
                // the canonical order of each (layer, direction) block: W_ih, W_hh, b_ih, b_hh
                gates(values(ps.get(p++)), order, h, in, w, d * gh * in);
                gates(values(ps.get(p++)), order, h, h, rr, d * gh * h);
                gates(values(ps.get(p++)), order, h, 1, bias, d * 2 * gh);
                gates(values(ps.get(p++)), order, h, 1, bias, d * 2 * gh + gh);
            }
            String tag = id + ".l" + l;
            List<Onnx.AttributeProto> a = new ArrayList<>(List.of(attr("hidden_size", (long) h),
                    attr("direction", dirs == 2 ? "bidirectional" : "forward")));
            if (!lstm) a.add(attr("linear_before_reset", 1L)); // PyTorch applies the reset gate after W_hn h + b_hn
            List<String> outs = g.node(lstm ? "LSTM" : "GRU", tag + (lstm ? ".lstm" : ".gru"),
                    List.of(seq, g.floats(tag + ".W", w, dirs, gh, in), g.floats(tag + ".R", rr, dirs, gh, h),
                            g.floats(tag + ".B", bias, dirs, 2 * gh)), 2, a.toArray(new Onnx.AttributeProto[0]));
            // Y is [T, D, N, H]: the next layer reads [T, N, D·H]
            seq = dirs == 1 ? g.node("Squeeze", tag + ".y", List.of(outs.get(0), g.longs(tag + ".axis", 1)))
                    : g.node("Reshape", tag + ".y", List.of(g.node("Transpose", tag + ".y_t", List.of(outs.get(0)), ints("perm", 0, 2, 1, 3)),
                    g.longs(tag + ".y_shape", 0, 0, -1)));
            lastHidden = outs.get(1); // Y_h [D, N, H]
        }
        if (r.output() == Recurrent.Output.SEQUENCE) return g.node("Transpose", id + ".batch_major", List.of(seq), ints("perm", 1, 0, 2));
        String nd = g.node("Transpose", id + ".last_t", List.of(lastHidden), ints("perm", 1, 0, 2)); // [N, D, H]
        return g.node("Reshape", id + ".last", List.of(nd, g.longs(id + ".last_shape", 0, -1)));
    }

    /** Copies a [G·H, cols] PyTorch block into {@code dst} at {@code at} with its gates in ONNX order. */
    private static void gates(float[] src, int[] order, int h, int cols, float[] dst, int at) {
        int block = h * cols;
        for (int k = 0; k < order.length; k++) System.arraycopy(src, order[k] * block, dst, at + k * block, block);
    }

    /**
     * The repeat-vector step of a sequence decoder: a code [N, L] becomes [N, T, L]; with teacher forcing, step t also
     * carries the previous true step of the (scaled) input, zeros at t = 0.
     */
    private String repeat(String id, String what, RepeatSteps r, Value x) {
        Map<String, Object> spec = r.spec();
        int steps = ((Number) spec.get("steps")).intValue();
        String code = x.shape().length == 1 ? x.name() : flatten(id, x);
        String col = g.node("Unsqueeze", id + ".unsqueeze", List.of(code, g.longs(id + ".axis", 1))); // [N, 1, L]
        String rep = g.node("Expand", id + ".repeat", List.of(col, g.longs(id + ".steps", 1, steps, 1)));
        if (!r.teacherForcing()) return rep;
        if (teacher == null) {
            throw new BottleneckException("cannot export " + what + " (" + r.describe() + ") alone: a teacher-forced decoder reads the"
                    + " true previous step of the input, so it cannot decode a code by itself; export --part autoencoder or score");
        }
        int f = ((Number) spec.get("features")).intValue();
        String truth = g.node("Reshape", id + ".truth", List.of(teacher, g.longs(id + ".truth_shape", 0, steps, f))); // [N, T, F]
        String prev;
        if (steps > 1) {
            String head = g.node("Slice", id + ".head", List.of(truth, g.longs(id + ".from", 0), g.longs(id + ".to", steps - 1),
                    g.longs(id + ".slice_axis", 1)));
            prev = g.node("Pad", id + ".previous", List.of(head, g.longs(id + ".pads", 0, 1, 0, 0, 0, 0)), attr("mode", "constant"));
        } else {
            prev = g.node("ConstantOfShape", id + ".previous", List.of(g.node("Shape", id + ".truth_dims", List.of(truth))),
                    OnnxGraph.tensor("value", OnnxGraph.fillValue(0f)));
        }
        return g.node("Concat", id + ".with_previous", List.of(rep, prev), attr("axis", 2L));
    }

    private String stepLinear(String id, StepLinear s, String x) {
        Parameter w = s.ownParameters().get(0), b = s.ownParameters().get(1);
        int out = w.shape()[0], in = w.shape()[1];
        float[] v = values(w), t = new float[v.length];
        for (int o = 0; o < out; o++) for (int i = 0; i < in; i++) t[i * out + o] = v[o * in + i];
        String y = g.node("MatMul", id + ".matmul", List.of(x, g.floats(id + ".weight_t", t, in, out)));
        return g.node("Add", id + ".add", List.of(y, constant(id, b)));
    }

    // ------------------------------------------------------------------------------------------ helpers

    private float[] values(Parameter p) {
        float[] v = weights.get(p.name());
        if (v == null) throw new BottleneckException("cannot export: the model holds no values for parameter " + p.name());
        return v;
    }

    /** A parameter as a constant of its own shape, named after it. */
    private String constant(String id, Parameter p) {
        long[] dims = Arrays.stream(p.shape()).asLongStream().toArray();
        String local = p.name().substring(p.name().lastIndexOf('.') + 1);
        return g.floats(id + "." + local, values(p), dims);
    }

    /** A spec's int or [h, w] pair. */
    @SuppressWarnings("unchecked")
    static int[] pair(Object o) {
        if (o instanceof Number n) return new int[] {n.intValue(), n.intValue()};
        if (o instanceof List<?> l && l.size() == 2) return new int[] {((Number) l.get(0)).intValue(), ((Number) l.get(1)).intValue()};
        throw new BottleneckException("cannot export: unexpected layer setting " + o);
    }
}
