package dev.bottleneck.export;

import com.google.protobuf.ByteString;
import dev.bottleneck.export.proto.Onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds one ONNX graph: nodes, constant tensors and the typed graph inputs and outputs, with value names that are
 * unique within the graph. Every value is named after the layer that computes it ({@code encoder.0.gemm}), so a
 * graph viewer shows where a node came from.
 */
final class OnnxGraph {
    /** The symbolic name of the dynamic batch dimension of every input and output. */
    static final String BATCH = "batch";

    private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder();
    private final Set<String> used = new HashSet<>();

    OnnxGraph(String name) {
        graph.setName(name);
    }

    /** A value name not used yet, from {@code hint} (with a numeric suffix when needed). */
    String fresh(String hint) {
        String base = hint.isEmpty() ? "v" : hint;
        String name = base;
        for (int k = 1; used.contains(name); k++) name = base + "_" + k;
        used.add(name);
        return name;
    }

    /** A float32 constant of the given shape (an empty shape is a scalar). */
    String floats(String hint, float[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return constant(hint, Onnx.TensorProto.DataType.FLOAT, ByteString.copyFrom(b.array()), dims);
    }

    /** A float32 scalar constant. */
    String scalar(String hint, double value) {
        return floats(hint, new float[] {(float) value});
    }

    /** A 1-D int64 constant (shapes, axes, pads, slice bounds). */
    String longs(String hint, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return constant(hint, Onnx.TensorProto.DataType.INT64, ByteString.copyFrom(b.array()), values.length);
    }

    private String constant(String hint, Onnx.TensorProto.DataType type, ByteString raw, long... dims) {
        String name = fresh(hint);
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name).setDataType(type.getNumber()).setRawData(raw);
        for (long d : dims) t.addDims(d);
        graph.addInitializer(t);
        return name;
    }

    /** A one-element float tensor, the form ConstantOfShape takes its fill value in. */
    static Onnx.TensorProto fillValue(float v) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        b.putFloat(0, v);
        return Onnx.TensorProto.newBuilder().setDataType(Onnx.TensorProto.DataType.FLOAT.getNumber()).addDims(1)
                .setRawData(ByteString.copyFrom(b.array())).build();
    }

    /** Adds a node with one output, named from {@code hint}; returns the output's name. */
    String node(String op, String hint, List<String> inputs, Onnx.AttributeProto... attributes) {
        return node(op, hint, inputs, 1, attributes).get(0);
    }

    /** Adds a node with {@code outputs} outputs ({@code hint}, {@code hint_1}, ...); returns their names. */
    List<String> node(String op, String hint, List<String> inputs, int outputs, Onnx.AttributeProto... attributes) {
        List<String> out = new ArrayList<>();
        for (int k = 0; k < outputs; k++) out.add(fresh(hint));
        return nodeInto(op, hint, inputs, out, attributes);
    }

    /** Adds a node whose outputs get the given names (graph outputs such as {@code code}); returns them. */
    List<String> nodeInto(String op, String hint, List<String> inputs, List<String> outputs, Onnx.AttributeProto... attributes) {
        for (String o : outputs) used.add(o);
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().setOpType(op).setName(fresh(hint + "/" + op));
        n.addAllInput(inputs).addAllOutput(outputs);
        for (Onnx.AttributeProto a : attributes) n.addAttribute(a);
        graph.addNode(n);
        return outputs;
    }

    /** Declares a graph input; a null dimension is the dynamic batch dimension. */
    void input(String name, Onnx.TensorProto.DataType type, Integer... dims) {
        used.add(name);
        graph.addInput(valueInfo(name, type, dims));
    }

    /** Declares a graph output; a null dimension is the dynamic batch dimension. */
    void output(String name, Onnx.TensorProto.DataType type, Integer... dims) {
        graph.addOutput(valueInfo(name, type, dims));
    }

    void doc(String text) {
        graph.setDocString(text);
    }

    Onnx.GraphProto build() {
        return graph.build();
    }

    private static Onnx.ValueInfoProto valueInfo(String name, Onnx.TensorProto.DataType type, Integer... dims) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        for (Integer d : dims) {
            shape.addDim(d == null ? Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH)
                    : Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        Onnx.TypeProto.Tensor.Builder t = Onnx.TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape);
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder().setTensorType(t)).build();
    }

    // ------------------------------------------------------------------------------------------ attributes

    static Onnx.AttributeProto attr(String name, long v) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT).setI(v).build();
    }

    static Onnx.AttributeProto attr(String name, double v) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT).setF((float) v).build();
    }

    static Onnx.AttributeProto attr(String name, String v) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFrom(v, StandardCharsets.UTF_8)).build();
    }

    static Onnx.AttributeProto ints(String name, long... v) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    static Onnx.AttributeProto tensor(String name, Onnx.TensorProto t) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.TENSOR).setT(t).build();
    }
}
