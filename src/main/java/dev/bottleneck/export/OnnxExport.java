package dev.bottleneck.export;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.export.proto.Onnx;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.VariationalSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a trained autoencoder as a standard ONNX model (opset {@value #OPSET}, IR version {@value #IR_VERSION}) that
 * any ONNX runtime can execute, in one of four {@link Part parts}.
 *
 * <p>What the graph computes, for a batch of any size (the first dimension of every input and output is the symbol
 * {@code batch}):
 * <ul>
 *   <li>The input scaling saved with the model ({@code minmax} or {@code standard}, fitted on the training split) is
 *       the graph's first step, so the input takes raw values as the data readers produce them (CSV columns as
 *       written, image pixels in [0, 1]); a reconstruction is scaled back to raw units on the way out.</li>
 *   <li>Inference form: dropout is the identity, batch normalisation uses its running statistics, and a variational
 *       autoencoder's code is its mean μ (the reconstruction decodes μ; nothing random is drawn).</li>
 *   <li>The score is the mean squared error per sample between the scaled input and its reconstruction, the score
 *       of {@code bottleneck detect}; the anomaly flag is {@code score > threshold}, as there.</li>
 * </ul>
 * Names: inputs {@code input} (the part's samples, of the model's input shape) or {@code code} (the decoder's);
 * outputs {@code code}, {@code reconstruction}, or {@code score} and {@code anomaly}. The metadata records the part,
 * the scaling, the threshold and the model's name.
 */
public final class OnnxExport {
    /** The ONNX operator set version the graphs use. */
    public static final int OPSET = 17;
    /** The ONNX file format (IR) version that goes with opset 17. */
    public static final int IR_VERSION = 8;

    private OnnxExport() {}

    /** Which function of the model the exported graph computes. */
    public enum Part {
        /** input → code (a VAE's μ). */
        ENCODER,
        /** code → reconstruction. */
        DECODER,
        /** input → reconstruction. */
        AUTOENCODER,
        /** input → score (per-sample reconstruction MSE) and anomaly (score above the threshold). */
        SCORE;

        public static Part parse(String s) {
            String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
            for (Part p : values()) if (p.key().equals(t)) return p;
            throw new BottleneckException("unknown --part '" + s + "': expected encoder, decoder, autoencoder or score");
        }

        public String key() { return name().toLowerCase(Locale.ROOT); }
    }

    /** Graph input and output names. */
    public static final String INPUT = "input", CODE = "code", RECONSTRUCTION = "reconstruction", SCORE = "score", ANOMALY = "anomaly";

    /**
     * The ONNX model of one part of {@code model} (bound, with its trained weights).
     *
     * @param scaler    the input scaling saved with the model (null or NONE: none)
     * @param threshold the anomaly threshold, required for {@link Part#SCORE} (ignored otherwise)
     * @param metadata  extra key/value pairs for the model's metadata (may be empty)
     */
    public static Onnx.ModelProto build(Autoencoder model, Scaler scaler, Part part, Double threshold, Map<String, String> metadata) {
        if (part == Part.SCORE && (threshold == null || !Double.isFinite(threshold))) {
            throw new BottleneckException("--part score needs a finite anomaly threshold, got " + threshold);
        }
        int[] input = model.inputShape();
        int[] code = model.codeShape();
        if (scaler != null && scaler.kind() != Scaler.Kind.NONE && scaler.features() != model.inputFeatures()) {
            throw new BottleneckException("the saved input scaling has " + scaler.features() + " features but the model takes "
                    + model.inputFeatures() + " values per sample; the model directory is inconsistent");
        }
        Scaling scaling = Scaling.of(scaler, input);
        Map<String, float[]> weights = model.params().toHostMap();
        OnnxGraph g = new OnnxGraph(model.spec().name() + "-" + part.key());
        VariationalSpec vae = model.spec().variational();

        String outName;
        switch (part) {
            case ENCODER: {
                g.input(INPUT, Onnx.TensorProto.DataType.FLOAT, batched(input));
                String x = scaling.forward(g, INPUT);
                OnnxLayers.Value c = encode(g, weights, null, model, new OnnxLayers.Value(x, input), vae);
                g.nodeInto("Identity", "code", List.of(c.name()), List.of(CODE));
                g.output(CODE, Onnx.TensorProto.DataType.FLOAT, batched(code));
                outName = CODE;
                break;
            }
            case DECODER: {
                g.input(CODE, Onnx.TensorProto.DataType.FLOAT, batched(code));
                OnnxLayers.Value r = new OnnxLayers(g, weights, null).apply("decoder", model.decoder(), new OnnxLayers.Value(CODE, code));
                g.nodeInto("Identity", "reconstruction", List.of(scaling.inverse(g, r.name())), List.of(RECONSTRUCTION));
                g.output(RECONSTRUCTION, Onnx.TensorProto.DataType.FLOAT, batched(input));
                outName = RECONSTRUCTION;
                break;
            }
            case AUTOENCODER: case SCORE: {
                g.input(INPUT, Onnx.TensorProto.DataType.FLOAT, batched(input));
                String x = scaling.forward(g, INPUT);
                OnnxLayers.Value c = encode(g, weights, x, model, new OnnxLayers.Value(x, input), vae);
                OnnxLayers.Value r = new OnnxLayers(g, weights, x).apply("decoder", model.decoder(), c);
                if (part == Part.AUTOENCODER) {
                    g.nodeInto("Identity", "reconstruction", List.of(scaling.inverse(g, r.name())), List.of(RECONSTRUCTION));
                    g.output(RECONSTRUCTION, Onnx.TensorProto.DataType.FLOAT, batched(input));
                    outName = RECONSTRUCTION;
                } else {
                    // mean over every value of a sample of (scaled input - reconstruction)^2
                    String d = g.node("Sub", "score.diff", List.of(x, r.name()));
                    long[] axes = new long[input.length];
                    for (int k = 0; k < axes.length; k++) axes[k] = k + 1;
                    g.nodeInto("ReduceMean", "score", List.of(g.node("Mul", "score.square", List.of(d, d))), List.of(SCORE),
                            OnnxGraph.ints("axes", axes), OnnxGraph.attr("keepdims", 0L));
                    g.nodeInto("Greater", "anomaly", List.of(SCORE, g.scalar("threshold", threshold)), List.of(ANOMALY));
                    g.output(SCORE, Onnx.TensorProto.DataType.FLOAT, (Integer) null);
                    g.output(ANOMALY, Onnx.TensorProto.DataType.BOOL, (Integer) null);
                    outName = SCORE + ", " + ANOMALY;
                }
                break;
            }
            default:
                throw new AssertionError(part);
        }
        g.doc(describe(model, part, scaling, threshold, outName));

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("bottleneck.model", model.spec().name());
        meta.put("bottleneck.part", part.key());
        meta.put("bottleneck.input_shape", Arrays.toString(input));
        meta.put("bottleneck.code_shape", Arrays.toString(code));
        meta.put("bottleneck.input_scaling", scaling.kind());
        if (part == Part.SCORE) {
            meta.put("bottleneck.score", "mean squared error per sample between the scaled input and its reconstruction");
            meta.put("bottleneck.threshold", Double.toString(threshold));
        }
        if (metadata != null) meta.putAll(metadata);
        Onnx.ModelProto.Builder m = Onnx.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName("bottleneck")
                .setProducerVersion(dev.bottleneck.cli.Main.VERSION)
                .setModelVersion(1)
                .setDocString("Bottleneck autoencoder '" + model.spec().name() + "', part " + part.key())
                .setGraph(g.build());
        for (Map.Entry<String, String> e : meta.entrySet()) {
            m.addMetadataProps(Onnx.StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
        }
        return m.build();
    }

    /** Writes {@link #build} to {@code file} (atomically); returns the number of bytes written. */
    public static long write(Path file, Autoencoder model, Scaler scaler, Part part, Double threshold, Map<String, String> metadata) {
        byte[] bytes = build(model, scaler, part, threshold, metadata).toByteArray();
        AtomicFiles.writeBytes(file, bytes);
        return bytes.length;
    }

    /** The encoder on a scaled input; a VAE's code is the first {@code latent} outputs (μ). */
    private static OnnxLayers.Value encode(OnnxGraph g, Map<String, float[]> weights, String teacher, Autoencoder model,
                                           OnnxLayers.Value x, VariationalSpec vae) {
        OnnxLayers.Value h = new OnnxLayers(g, weights, teacher).apply("encoder", model.encoder(), x);
        if (vae == null) return h;
        String in = h.shape().length == 1 ? h.name() : g.node("Flatten", "encoder.flatten", List.of(h.name()), OnnxGraph.attr("axis", 1L));
        String mu = g.node("Slice", "encoder.mu", List.of(in, g.longs("encoder.mu.from", 0), g.longs("encoder.mu.to", vae.latent()),
                g.longs("encoder.mu.axis", 1)));
        return new OnnxLayers.Value(mu, new int[] {vae.latent()});
    }

    private static Integer[] batched(int[] sample) {
        Integer[] d = new Integer[sample.length + 1];
        for (int k = 0; k < sample.length; k++) d[k + 1] = sample[k];
        return d;
    }

    private static String describe(Autoencoder model, Part part, Scaling scaling, Double threshold, String outputs) {
        String s = "Bottleneck " + model.spec().name() + " " + part.key() + ": outputs " + outputs + "; input scaling " + scaling.kind();
        return part == Part.SCORE ? s + "; anomaly = score > " + threshold : s;
    }

    /** The saved per-feature scaling {@code (x - offset) / divisor} as graph nodes, and its inverse. */
    private record Scaling(String kind, float[] offset, float[] divisor, long[] dims) {
        static Scaling of(Scaler s, int[] sample) {
            long[] dims = Arrays.stream(sample).asLongStream().toArray();
            if (s == null || s.kind() == Scaler.Kind.NONE) return new Scaling("none", null, null, dims);
            return new Scaling(s.kind().key(), toFloats(s.offset()), toFloats(s.divisor()), dims);
        }

        String forward(OnnxGraph g, String x) {
            if (offset == null) return x;
            String shifted = g.node("Sub", "scaling.shift", List.of(x, g.floats("scaling.offset", offset, dims)));
            return g.node("Div", "scaling", List.of(shifted, g.floats("scaling.divisor", divisor, dims)));
        }

        String inverse(OnnxGraph g, String y) {
            if (offset == null) return y;
            String scaled = g.node("Mul", "unscaling.scale", List.of(y, g.floats("unscaling.divisor", divisor, dims)));
            return g.node("Add", "unscaling", List.of(scaled, g.floats("unscaling.offset", offset, dims)));
        }

        private static float[] toFloats(double[] v) {
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
            return f;
        }
    }

    /** The names of a part's graph outputs. */
    public static List<String> outputs(Part part) {
        return switch (part) {
            case ENCODER -> List.of(CODE);
            case DECODER, AUTOENCODER -> List.of(RECONSTRUCTION);
            case SCORE -> new ArrayList<>(List.of(SCORE, ANOMALY));
        };
    }
}
