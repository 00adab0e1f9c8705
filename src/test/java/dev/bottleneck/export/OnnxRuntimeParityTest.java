package dev.bottleneck.export;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.ModelOps;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.Backends;
import dev.bottleneck.backend.RnnGeometry;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.model.Presets;
import dev.bottleneck.model.SequenceSpec;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.Trainer;
import dev.bottleneck.testing.Mnist;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every part of every preset (and of sequence autoencoders and a model made of every layer type), exported to ONNX and
 * run by ONNX Runtime on real MNIST test images, against Bottleneck's own forward pass on the CPU backend.
 *
 * <p>Each model is first trained for one epoch on 512 training images, so the weights (and batch norm's running
 * statistics) are trained ones rather than their initial values. The measure is the relative error in the max norm,
 * {@code max_i |onnx_i - ref_i| / max_i |ref_i|}, over each output of a batch of 64 test samples; for the anomaly
 * score, which is positive per sample, also the largest per-sample relative error. Both must stay below
 * {@link #TOLERANCE} in float32. The flag must equal {@code ref_score > threshold} wherever the reference score is
 * not within that tolerance of the threshold.
 */
class OnnxRuntimeParityTest {
    static final double TOLERANCE = 1e-5;
    static final int TRAIN = 512, TEST = 64;

    private static TrainTest mnist;
    private static Backend be;
    private static final Map<String, String> REPORT = new LinkedHashMap<>();

    @BeforeAll
    static void data() {
        mnist = Mnist.orSkip();
        be = Backends.create("cpu", BackendOptions.defaults());
    }

    @AfterAll
    static void report() {
        if (be != null) be.close();
        System.out.println("ONNX Runtime vs Bottleneck, max relative error (max norm) per part, float32, " + TEST + " MNIST test samples:");
        REPORT.forEach((k, v) -> System.out.printf("  %-14s %s%n", k, v));
    }

    /** A model under test: its spec, the input scaling it is trained with, and whether its decoder runs alone. */
    record Case(String name, ModelSpec spec, Scaler.Kind scaling, boolean decoderAlone) {
        @Override public String toString() { return name; }
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        for (String p : Presets.names()) c.add(new Case(p, Presets.get(p), Scaler.Kind.NONE, true));
        // MNIST images read as 28 steps of 28 pixels
        c.add(new Case("lstm-seq", new SequenceSpec("lstm-seq", 28, 28, RnnGeometry.Cell.LSTM, 32, 2, 16, true, false).toModelSpec(),
                Scaler.Kind.STANDARD, true));
        c.add(new Case("gru-seq-tf", new SequenceSpec("gru-seq-tf", 28, 28, RnnGeometry.Cell.GRU, 24, 1, 8, false, true).toModelSpec(),
                Scaler.Kind.MINMAX, false));
        c.add(new Case("gru-bidi", new SequenceSpec("gru-bidi", 28, 28, RnnGeometry.Cell.GRU, 16, 2, 0, true, false).toModelSpec(),
                Scaler.Kind.NONE, true));
        c.add(new Case("every-layer", ModelSpec.parse(EVERY_LAYER, 784), Scaler.Kind.MINMAX, true));
        return c.stream();
    }

    /** Every layer type and activation that a model spec can hold, in one convolutional autoencoder on [1, 28, 28]. */
    static final String EVERY_LAYER = """
            {"name": "every-layer", "input": [1, 28, 28], "loss": "bce",
             "encoder": [
               {"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same", "activation": "elu"},
               {"type": "batch_norm2d"},
               {"type": "avg_pool2d", "kernel": 3, "stride": 2, "padding": 1, "count_include_pad": false},
               {"type": "conv2d", "filters": 6, "kernel": 3, "padding": 2, "dilation": 2, "activation": "leaky_relu", "alpha": 0.1},
               {"type": "avg_pool2d", "kernel": 2, "stride": 1, "padding": 1},
               {"type": "conv2d", "filters": 8, "kernel": [3, 2], "stride": [2, 1], "padding": [1, 0], "bias": false},
               {"type": "max_pool2d", "kernel": 3, "stride": 2, "padding": 1},
               {"type": "flatten"},
               {"type": "linear", "units": 32, "activation": "gelu"},
               {"type": "dropout", "rate": 0.2},
               {"type": "linear", "units": 16, "activation": "tanh"}],
             "decoder": [
               {"type": "linear", "units": 64, "activation": "softplus"},
               {"type": "linear", "units": 64, "bias": false},
               {"type": "activation", "fn": "relu"},
               {"type": "reshape", "shape": [4, 4, 4]},
               {"type": "upsample", "scale": 2, "mode": "bilinear"},
               {"type": "conv_transpose2d", "filters": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1, "activation": "relu"},
               {"type": "conv2d", "filters": 4, "kernel": 3, "activation": "linear"},
               {"type": "upsample", "scale": [2, 2], "mode": "nearest"},
               {"type": "conv_transpose2d", "filters": 3, "kernel": 3, "padding": 1, "activation": "sigmoid"},
               {"type": "conv2d", "filters": 1, "kernel": 1, "activation": "sigmoid"}]}
            """;

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void onnxRuntimeMatchesBottleneck(Case c) throws Exception {
        Dataset trainRaw = mnist.train().head(TRAIN, "mnist-train");
        Dataset testRaw = mnist.test().head(TEST, "mnist-test");
        Scaler scaler = c.scaling() == Scaler.Kind.NONE ? Scaler.none(trainRaw.features()) : Scaler.fit(c.scaling(), trainRaw);
        Dataset train = scaler.transform(trainRaw);
        float[] raw = testRaw.x(), x = scaler.transform(raw);
        try (Autoencoder model = new Autoencoder(c.spec()).bind(be, 7)) {
            try (Trainer t = new Trainer(model, new FitConfig().epochs(1).batch(64).seed(7).validation(0)
                    .optimizer(OptimizerConfig.adam(1e-3)).progress(false), s -> { })) {
                t.fit(train, null, null);
            }
            int d = model.inputFeatures();
            long[] inShape = batched(TEST, model.inputShape()), codeShape = batched(TEST, model.codeShape());
            boolean vae = model.spec().variational() != null;

            // Bottleneck's own forward pass
            float[] code = ModelOps.encode(model, x, TEST);
            float[] rec = vae ? decode(model, code, TEST) : ModelOps.reconstruct(model, x, TEST); // a VAE decodes its mean
            double[] score = ModelOps.perSampleMse(x, rec, TEST, d);
            double threshold = quantile(score, 0.75);

            List<String> line = new ArrayList<>();
            line.add(c.scaling().key() + " scaling");
            Map<String, Object> enc = run(c, OnnxExport.Part.ENCODER, model, scaler, null, raw, inShape);
            line.add("encoder " + check(c, "code", code, (float[]) enc.get("code")));
            if (c.decoderAlone()) {
                Map<String, Object> dec = run(c, OnnxExport.Part.DECODER, model, scaler, null, code, codeShape);
                line.add("decoder " + check(c, "decoder", scaler.inverse(decode(model, code, TEST)), (float[]) dec.get("reconstruction")));
            } else {
                BottleneckException e = org.junit.jupiter.api.Assertions.assertThrows(BottleneckException.class,
                        () -> OnnxExport.build(model, scaler, OnnxExport.Part.DECODER, null, Map.of()));
                assertTrue(e.getMessage().contains("decoder layer 0") && e.getMessage().contains("teacher"), e.getMessage());
                line.add("decoder (not alone: teacher forcing)");
            }
            Map<String, Object> ae = run(c, OnnxExport.Part.AUTOENCODER, model, scaler, null, raw, inShape);
            line.add("autoencoder " + check(c, "reconstruction", scaler.inverse(rec), (float[]) ae.get("reconstruction")));
            Map<String, Object> sc = run(c, OnnxExport.Part.SCORE, model, scaler, threshold, raw, inShape);
            float[] onnxScore = (float[]) sc.get("score");
            line.add("score " + check(c, "score", toFloats(score), onnxScore));
            double perSample = 0;
            for (int i = 0; i < TEST; i++) perSample = Math.max(perSample, Math.abs(onnxScore[i] - score[i]) / score[i]);
            line.add(String.format("(per sample %.1e)", perSample));
            assertTrue(perSample < TOLERANCE, c + ": per-sample score relative error " + perSample);
            boolean[] flag = (boolean[]) sc.get("anomaly");
            int flagged = 0;
            for (int i = 0; i < TEST; i++) {
                if (flag[i]) flagged++;
                if (Math.abs(score[i] - threshold) > TOLERANCE * threshold) assertEquals(score[i] > threshold, flag[i], c + ": flag of sample " + i);
            }
            assertTrue(flagged > 0 && flagged < TEST, c + ": " + flagged + " flagged");
            REPORT.put(c.name(), String.join(", ", line));
        }
    }

    /** Exports a part, checks its declared inputs and outputs (dynamic batch), runs it on {@code in}. */
    private static Map<String, Object> run(Case c, OnnxExport.Part part, Autoencoder model, Scaler scaler, Double threshold,
                                           float[] in, long[] shape) throws Exception {
        byte[] bytes = OnnxExport.build(model, scaler, part, threshold, Map.of()).toByteArray();
        try (OrtRunner ort = new OrtRunner(bytes)) {
            String input = part == OnnxExport.Part.DECODER ? "code" : "input";
            Map<String, long[]> ins = ort.inputShapes();
            assertEquals(List.of(input), List.copyOf(ins.keySet()), c + " " + part);
            long[] declared = ins.get(input);
            assertEquals(-1, declared[0], c + " " + part + ": the batch dimension must be dynamic");
            assertArrayEquals(Arrays.copyOfRange(shape, 1, shape.length), Arrays.copyOfRange(declared, 1, declared.length));
            assertEquals(OnnxExport.outputs(part), List.copyOf(ort.outputShapes().keySet()), c + " " + part);
            // a batch of one gives the same numbers as the first row of the full batch
            long[] one = shape.clone();
            one[0] = 1;
            int per = in.length / (int) shape[0];
            Map<String, Object> single = ort.run(input, Arrays.copyOf(in, per), one);
            Map<String, Object> all = ort.run(input, in, shape);
            for (String k : all.keySet()) {
                if (all.get(k) instanceof float[] a) {
                    float[] s = (float[]) single.get(k);
                    for (int i = 0; i < s.length; i++) assertEquals(a[i], s[i], 1e-5 * (1 + Math.abs(a[i])), c + " " + part + " " + k + " batch of one");
                }
            }
            return all;
        }
    }

    /** The max-norm relative error of {@code got} against {@code want}, asserted below the tolerance. */
    private static String check(Case c, String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, c + " " + what + ": output size");
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < want.length; i++) {
            assertTrue(Float.isFinite(got[i]), c + " " + what + "[" + i + "] = " + got[i]);
            maxDiff = Math.max(maxDiff, Math.abs((double) got[i] - want[i]));
            maxRef = Math.max(maxRef, Math.abs(want[i]));
        }
        double rel = maxDiff / Math.max(maxRef, Float.MIN_NORMAL);
        assertTrue(rel < TOLERANCE, c + " " + what + ": max relative error " + rel + " (max abs diff " + maxDiff + ", max |ref| " + maxRef + ")");
        return String.format("%.1e", rel);
    }

    /** Bottleneck's decoder on codes of the model's code shape. */
    static float[] decode(Autoencoder model, float[] codes, int n) {
        int[] cs = model.codeShape();
        int[] shape = new int[cs.length + 1];
        shape[0] = n;
        System.arraycopy(cs, 0, shape, 1, cs.length);
        float[] out = new float[n * model.inputFeatures()];
        try (Graph g = Graph.inference(be)) {
            Tensor z = g.temp(shape);
            be.memory().upload(codes, 0, z);
            be.memory().download(model.decode(g, g.constant(z)).value(), out, 0);
        }
        return out;
    }

    static long[] batched(int n, int[] sample) {
        long[] s = new long[sample.length + 1];
        s[0] = n;
        for (int k = 0; k < sample.length; k++) s[k + 1] = sample[k];
        return s;
    }

    static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.floor(q * (s.length - 1))];
    }
}
