package dev.bottleneck.autograd;

import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Upsample;
import dev.bottleneck.io.Json;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.nn.ActivationLayer;
import dev.bottleneck.nn.AvgPool2d;
import dev.bottleneck.nn.BatchNorm2d;
import dev.bottleneck.nn.Conv2d;
import dev.bottleneck.nn.ConvTranspose2d;
import dev.bottleneck.nn.Init;
import dev.bottleneck.nn.MaxPool2d;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.nn.Sequential;
import dev.bottleneck.nn.UpsampleLayer;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.GradCheck;
import dev.bottleneck.testing.GradCheck.Fn;
import dev.bottleneck.testing.GradCheck.In;
import dev.bottleneck.testing.GradCheck.Setup;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.GradCheck.constant;
import static dev.bottleneck.testing.GradCheck.in;
import static dev.bottleneck.testing.GradCheck.store;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference gradient checks in float64 (every backward pass is verified against central differences) for the
 * convolution, pooling, up-sampling and batch-norm ops of the graph, their modules, and small convolutional
 * autoencoders, with the shared harness {@link GradCheck} (method and tolerances as in {@link GradientCheckTest}).
 * Sizes are odd and non-square so a swapped height/width or a transposed weight cannot pass by accident; random
 * float inputs make ties in max pooling (and kinks of ReLU within eps) vanishingly unlikely.
 */
class ConvGradientCheckTest {
    private final Backend be = BackendsUnderTest.reference();

    /** The seed of every graph of these checks. */
    private static final long SEED = 7;

    private static int check(String what, Fn f, In... ins) {
        return check(what, new Setup(null, false, SEED), f, ins);
    }

    private static int check(String what, Setup setup, Fn f, In... ins) {
        return GradCheck.check(what, setup, f, ins);
    }

    private static SplittableRandom rnd(String what) {
        return new SplittableRandom(0xC0717 ^ what.hashCode());
    }

    private static In x(String what, int... shape) {
        return in("x", HostData.signed(rnd(what + "x"), HostData.size(shape)), shape);
    }

    // --------------------------------------------------------------------------------------------- convolution

    @ParameterizedTest(name = "conv2d {0}x{1} kernel {2}x{3} stride {4}x{5} pad {6}x{7} dilation {8}x{9} bias={10}")
    @CsvSource({
            "7, 6, 3, 3, 1, 1, 0, 0, 1, 1, true",   // valid
            "7, 6, 3, 2, 2, 2, 1, 1, 1, 1, true",   // stride 2, padding, non-square kernel
            "7, 6, 3, 3, 1, 1, 2, 2, 2, 2, false",  // dilation 2 with 'same' padding
            "8, 5, 3, 3, 3, 2, 1, 0, 1, 2, true",   // different stride, padding and dilation per axis
            "5, 7, 1, 1, 1, 1, 0, 0, 1, 1, true",   // 1x1: the direct (no im2col) path
            "5, 5, 2, 2, 2, 2, 0, 0, 1, 1, false",  // stride = kernel
            "4, 4, 3, 3, 1, 1, 1, 1, 1, 1, true"})  // kernel larger than part of the padded input
    void conv2d(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, boolean bias) {
        String what = "conv2d " + h + "x" + w + " k" + kh + "x" + kw + " s" + sh + "x" + sw + " p" + ph + "x" + pw + " d" + dh + "x" + dw;
        SplittableRandom r = rnd(what);
        int n = 2, cIn = 3, cOut = 4;
        In xs = in("x", HostData.signed(r, n * cIn * h * w), n, cIn, h, w);
        In ws = in("w", HostData.signed(r, cOut * cIn * kh * kw), cOut, cIn, kh, kw);
        In bs = in("b", HostData.signed(r, cOut), cOut);
        if (bias) check(what, (g, v) -> g.conv2d(v[0], v[1], v[2], sh, sw, ph, pw, dh, dw), xs, ws, bs);
        else check(what, (g, v) -> g.conv2d(v[0], v[1], null, sh, sw, ph, pw, dh, dw), xs, ws);
    }

    @ParameterizedTest(name = "convTranspose2d {0}x{1} kernel {2}x{3} stride {4}x{5} pad {6}x{7} out-pad {8}x{9} dilation {10}")
    @CsvSource({
            "3, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1",  // the W3 decoder layer: doubles the size
            "3, 4, 3, 3, 1, 1, 0, 0, 0, 0, 1",  // stride 1
            "3, 2, 3, 2, 3, 2, 1, 0, 2, 1, 1",  // stride 3 with output padding 2, per-axis values
            "4, 3, 3, 3, 2, 2, 2, 1, 0, 1, 2",  // dilation 2
            "5, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1"}) // 1x1
    void convTranspose2d(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int oph, int opw, int dil) {
        String what = "convTranspose2d " + h + "x" + w + " k" + kh + "x" + kw + " s" + sh + "x" + sw + " p" + ph + "x" + pw
                + " op" + oph + "x" + opw + " d" + dil;
        SplittableRandom r = rnd(what);
        int n = 2, cIn = 3, cOut = 2;
        In xs = in("x", HostData.signed(r, n * cIn * h * w), n, cIn, h, w);
        In ws = in("w", HostData.signed(r, cIn * cOut * kh * kw), cIn, cOut, kh, kw);
        In bs = in("b", HostData.signed(r, cOut), cOut);
        int oh = (h - 1) * sh - 2 * ph + dil * (kh - 1) + oph + 1, ow = (w - 1) * sw - 2 * pw + dil * (kw - 1) + opw + 1;
        check(what, (g, v) -> {
            Var y = g.convTranspose2d(v[0], v[1], v[2], sh, sw, ph, pw, oph, opw, dil, dil);
            assertArrayEquals(new int[] {n, cOut, oh, ow}, y.shape(), "output shape of " + what);
            return y;
        }, xs, ws, bs);
        check(what + " no bias", (g, v) -> g.convTranspose2d(v[0], v[1], null, sh, sw, ph, pw, oph, opw, dil, dil), xs, ws);
    }

    @Test
    void convInputUsedTwice() {
        // x feeds a conv and a transposed conv whose outputs are added: both gradients must accumulate into x's
        SplittableRandom r = rnd("twice");
        In xs = in("x", HostData.signed(r, 2 * 3 * 5 * 5), 2, 3, 5, 5);
        In w1 = in("w1", HostData.signed(r, 3 * 3 * 9), 3, 3, 3, 3);
        In w2 = in("w2", HostData.signed(r, 3 * 3 * 9), 3, 3, 3, 3);
        check("conv(x) + convT(x)", (g, v) -> g.add(g.conv2d(v[0], v[1], null, 1, 1, 1), g.convTranspose2d(v[0], v[2], null, 1, 1, 0, 1)),
                xs, w1, w2);
    }

    // --------------------------------------------------------------------------------------------- pooling, up-sampling

    @ParameterizedTest(name = "maxPool2d {0}x{1} kernel {2} stride {3} pad {4}")
    @CsvSource({"7, 6, 3, 2, 1", "6, 6, 2, 2, 0", "5, 7, 2, 1, 1", "7, 5, 3, 3, 0"})
    void maxPool2d(int h, int w, int k, int s, int p) {
        String what = "maxPool2d " + h + "x" + w + " k" + k + " s" + s + " p" + p;
        check(what, (g, v) -> g.maxPool2d(v[0], k, s, p), x(what, 2, 3, h, w));
    }

    @ParameterizedTest(name = "avgPool2d {0}x{1} kernel {2} stride {3} pad {4} countIncludePad={5}")
    @CsvSource({"7, 6, 3, 2, 1, true", "7, 6, 3, 2, 1, false", "6, 6, 2, 2, 0, true", "5, 7, 2, 1, 1, false"})
    void avgPool2d(int h, int w, int k, int s, int p, boolean countPad) {
        String what = "avgPool2d " + h + "x" + w + " k" + k + " s" + s + " p" + p + " " + countPad;
        check(what, (g, v) -> g.avgPool2d(v[0], k, s, p, countPad), x(what, 2, 3, h, w));
    }

    @ParameterizedTest(name = "upsample2d {0} scale {1}x{2}")
    @CsvSource({"NEAREST, 2, 2", "NEAREST, 3, 2", "BILINEAR, 2, 2", "BILINEAR, 3, 2", "BILINEAR, 1, 3"})
    void upsample2d(Upsample mode, int sh, int sw) {
        String what = "upsample2d " + mode + " " + sh + "x" + sw;
        check(what, (g, v) -> g.upsample2d(v[0], mode, sh, sw), x(what, 2, 2, 3, 4));
    }

    // --------------------------------------------------------------------------------------------- batch norm

    @Test
    void batchNorm2dTraining() {
        SplittableRandom r = rnd("bn");
        int n = 3, c = 4, h = 3, w = 2;
        In xs = in("x", HostData.uniform(r, n * c * h * w, -2, 3), n, c, h, w);
        In gs = in("gamma", HostData.awayFromZero(r, c, 0.5, 1.5), c);
        In bs = in("beta", HostData.signed(r, c), c);
        try (TensorScope s = new TensorScope(be)) {
            Tensor rm = s.tensor(HostData.constant(c, 0), c), rv = s.tensor(HostData.constant(c, 1), c);
            check("batchNorm2d training", new Setup(null, true, SEED), (g, v) -> g.batchNorm2d(v[0], v[1], v[2], rm, rv, 0.1, 1e-5), xs, gs, bs);
            // a nonlinearity after it, so the output is not just a linear map of the normalised values
            check("tanh(batchNorm2d) training", new Setup(null, true, SEED),
                    (g, v) -> g.activation(Activation.TANH, g.batchNorm2d(v[0], v[1], v[2], rm, rv, 0.1, 1e-5)), xs, gs, bs);
            // 2-D input [n, c]
            In x2 = in("x", HostData.uniform(r, 5 * c, -1, 2), 5, c);
            check("batchNorm [n, c] training", new Setup(null, true, SEED), (g, v) -> g.batchNorm2d(v[0], v[1], v[2], rm, rv, 0.1, 1e-5), x2, gs, bs);
        }
    }

    @Test
    void batchNorm2dRecordedInEvaluationMode() {
        SplittableRandom r = rnd("bn-eval");
        int c = 3;
        In xs = in("x", HostData.signed(r, 2 * c * 5), 2, c, 5, 1);
        In gs = in("gamma", HostData.awayFromZero(r, c, 0.5, 1.5), c);
        In bs = in("beta", HostData.signed(r, c), c);
        try (TensorScope s = new TensorScope(be)) {
            Tensor rm = s.tensor(HostData.signed(r, c), c), rv = s.tensor(HostData.uniform(r, c, 0.5, 2), c);
            check("batchNorm2d with running statistics", (g, v) -> g.batchNorm2d(v[0], v[1], v[2], rm, rv, 0.1, 1e-5), xs, gs, bs);
        }
    }

    @Test
    void batchNormRunningStatisticsUpdate() {
        SplittableRandom r = rnd("bn-running");
        int n = 4, c = 2, sp = 3;
        double[] xv = HostData.signed(r, n * c * sp);
        try (TensorScope s = new TensorScope(be); Graph g = new Graph(be, true, false, 0)) {
            Tensor rm = s.tensor(new double[] {0.5, -1}, c), rv = s.tensor(new double[] {2, 1}, c);
            g.batchNorm2d(g.constant(s.tensor(xv, n, c, sp)), g.constant(s.tensor(new double[] {1, 1}, c)),
                    g.constant(s.tensor(new double[] {0, 0}, c)), rm, rv, 0.25, 1e-5);
            double[] em = {0.5, -1}, ev = {2, 1};
            for (int ch = 0; ch < c; ch++) {
                double sum = 0, sq = 0;
                for (int i = 0; i < n; i++) for (int j = 0; j < sp; j++) sum += xv[(i * c + ch) * sp + j];
                double mean = sum / (n * sp);
                for (int i = 0; i < n; i++) for (int j = 0; j < sp; j++) sq += Math.pow(xv[(i * c + ch) * sp + j] - mean, 2);
                em[ch] = 0.75 * em[ch] + 0.25 * mean;
                ev[ch] = 0.75 * ev[ch] + 0.25 * sq / (n * sp - 1); // unbiased, as PyTorch
            }
            assertClose(em, s.get(rm), 1e-12, 1e-14, "running mean");
            assertClose(ev, s.get(rv), 1e-12, 1e-14, "running variance");
        }
    }

    // --------------------------------------------------------------------------------------------- modules

    @Test
    void convModules() {
        Conv2d conv = new Conv2d(3, 4, 3, 2, 1, 1, true, Init.HE_UNIFORM);
        try (ParameterStore st = store(conv, 51)) {
            assertEquals(4 * 3 * 9 + 4, st.size());
            assertArrayEquals(new int[] {4, 4, 3}, conv.outputShape(new int[] {3, 7, 6}));
            check("Conv2d(3 -> 4, 3x3, s2, p1)", new Setup(st, false, SEED), (g, v) -> conv.forward(g, v[0]), x("Conv2d", 2, 3, 7, 6));
        }
        ConvTranspose2d convT = new ConvTranspose2d(3, 2, 3, 2, 1, 1, 1, true, Init.XAVIER_UNIFORM);
        try (ParameterStore st = store(convT, 52)) {
            assertEquals(3 * 2 * 9 + 2, st.size());
            assertArrayEquals(new int[] {2, 8, 6}, convT.outputShape(new int[] {3, 4, 3}));
            check("ConvTranspose2d(3 -> 2, 3x3, s2, p1, op1)", new Setup(st, false, SEED), (g, v) -> convT.forward(g, v[0]),
                    x("ConvT", 2, 3, 4, 3));
        }
    }

    @Test
    void poolingAndUpsampleModules() {
        Sequential seq = new Sequential(new MaxPool2d(3, 3, 2, 2, 1, 1), new UpsampleLayer(Upsample.BILINEAR, 2, 3),
                new AvgPool2d(2, 2, 1, 1, 1, 1, false), new UpsampleLayer(Upsample.NEAREST, 2, 1));
        assertArrayEquals(new int[] {3, 18, 10}, seq.outputShape(new int[] {3, 7, 6}));
        check("MaxPool2d -> bilinear -> AvgPool2d -> nearest", (g, v) -> {
            Var y = seq.forward(g, v[0]);
            assertArrayEquals(new int[] {2, 3, 18, 10}, y.shape());
            return y;
        }, x("pool modules", 2, 3, 7, 6));
    }

    @Test
    void batchNormModuleTrainingAndParameters() {
        BatchNorm2d bn = new BatchNorm2d(3, 0.1, 1e-5);
        Sequential seq = new Sequential(new Conv2d(2, 3, 3, 1, 1, 1, true, Init.HE_UNIFORM), bn, new ActivationLayer(Activation.TANH));
        try (ParameterStore st = store(seq, 53)) {
            assertEquals(List.of("m.0.weight", "m.0.bias", "m.1.weight", "m.1.bias", "m.1.running_mean", "m.1.running_var"),
                    List.copyOf(st.parameters().keySet()));
            // running variance must stay positive: the random values of store() are in [-1, 1)
            double[] v = TensorScope.download(be, st.values());
            for (int i = 0; i < 3; i++) v[(int) st.offsetOf("m.1.running_var") + i] = 0.5 + i;
            be.memory().upload(v, 0, st.values());
            check("Conv2d -> BatchNorm2d -> tanh (training)", new Setup(st, true, SEED), (g, x) -> seq.forward(g, x[0]), x("bn module", 3, 2, 4, 5));
            // evaluation mode: the output depends on the running statistics, which by design get no gradient, so only
            // the input gradient is checked here (gamma and beta in evaluation mode: batchNorm2dRecordedInEvaluationMode)
            check("Conv2d -> BatchNorm2d -> tanh (evaluation)", new Setup(null, false, SEED), (g, x) -> seq.forward(g, x[0]), x("bn module eval", 3, 2, 4, 5));
            // the running statistics never get a gradient
            st.zeroGrads();
            try (TensorScope s = new TensorScope(be); Graph g = new Graph(be, true, true, 0)) {
                g.backward(g.sum(seq.forward(g, g.constant(s.tensor(x("bn grads", 3, 2, 4, 5).data(), 3, 2, 4, 5)))));
            }
            double[] grads = TensorScope.download(be, st.grads());
            for (String name : List.of("m.1.running_mean", "m.1.running_var")) {
                for (int i = 0; i < 3; i++) assertEquals(0.0, grads[(int) st.offsetOf(name) + i], name + " gradient");
            }
        }
    }

    // --------------------------------------------------------------------------------------------- whole models

    private static Map<String, Object> layer(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private void checkAutoencoder(String what, ModelSpec spec, boolean training, int n, long seed) {
        Autoencoder model = new Autoencoder(spec).bind(be, seed);
        try {
            double[] v = HostData.signed(new SplittableRandom(seed), (int) model.params().size());
            // keep BatchNorm running variances positive
            for (Map.Entry<String, dev.bottleneck.nn.Parameter> e : model.params().parameters().entrySet()) {
                if (e.getKey().endsWith("running_var")) {
                    int off = (int) model.params().offsetOf(e.getKey());
                    for (int i = 0; i < e.getValue().size(); i++) v[off + i] = 0.5 + Math.abs(v[off + i]);
                }
            }
            be.memory().upload(v, 0, model.params().values());
            int[] shape = new int[spec.input().length + 1];
            shape[0] = n;
            System.arraycopy(spec.input(), 0, shape, 1, spec.input().length);
            int size = HostData.size(shape);
            SplittableRandom r = rnd(what);
            In xs = in("input", HostData.uniform(r, size, 0.05, 0.95), shape);
            In ts = constant("target", HostData.uniform(r, size, 0.05, 0.95), shape);
            int compared = check(what, new Setup(model.params(), training, SEED), (g, vs) -> model.forward(g, vs[0], vs[1], false).loss(), xs, ts);
            assertEquals(size + model.params().size(), compared);
        } finally {
            model.close();
        }
    }

    /** W3 in miniature: strided convs, a dense code, transposed convs back, sigmoid + BCE (logits path). */
    @Test
    void tinyW3LikeAutoencoder() {
        Map<String, Object> m = Json.object("name", "tiny-w3", "input", List.of(1, 8, 6));
        m.put("encoder", List.of(
                layer("type", "conv2d", "filters", 3, "kernel", 3, "stride", 2, "padding", 1, "activation", "relu"),
                layer("type", "conv2d", "filters", 4, "kernel", 3, "stride", 2, "padding", 1, "activation", "relu"),
                layer("type", "flatten"),
                layer("type", "linear", "units", 3)));
        m.put("decoder", List.of(
                layer("type", "linear", "units", 16, "activation", "relu"),
                layer("type", "reshape", "shape", List.of(4, 2, 2)),
                // per-axis output padding: [4,2,2] -> [3,4,3] -> [1,8,6]
                layer("type", "conv_transpose2d", "filters", 3, "kernel", 3, "stride", 2, "padding", 1, "output_padding", List.of(1, 0),
                        "activation", "relu"),
                layer("type", "conv_transpose2d", "filters", 1, "kernel", 3, "stride", 2, "padding", 1, "output_padding", 1, "activation", "sigmoid")));
        m.put("loss", "bce");
        ModelSpec spec = ModelSpec.fromMap(m, "tiny-w3");
        Autoencoder a = new Autoencoder(spec);
        assertArrayEquals(new int[] {3}, a.codeShape());
        assertTrue(a.summary().contains("computed from logits"), a.summary());
        checkAutoencoder("tiny W3-like conv autoencoder", spec, false, 3, 61);
    }

    /** Keras-blog style in miniature, with batch norm (training mode), max pooling and both up-sampling modes. */
    @Test
    void tinyPoolingAutoencoderWithBatchNorm() {
        Map<String, Object> m = Json.object("name", "tiny-keras", "input", List.of(1, 6, 5));
        m.put("encoder", List.of(
                layer("type", "conv2d", "filters", 3, "kernel", 3, "padding", "same", "activation", "tanh"),
                layer("type", "batch_norm2d", "momentum", 0.2),
                layer("type", "max_pool2d", "kernel", 2, "padding", "same"),
                layer("type", "conv2d", "filters", 2, "kernel", 3, "padding", "same", "dilation", 1, "activation", "elu"),
                layer("type", "avg_pool2d", "kernel", 2, "padding", "same")));
        m.put("decoder", List.of(
                layer("type", "conv2d", "filters", 2, "kernel", 3, "padding", "same", "activation", "tanh"),
                layer("type", "upsample", "scale", 2, "mode", "bilinear"),
                layer("type", "conv2d", "filters", 3, "kernel", 1, "activation", "tanh"),
                layer("type", "upsample", "scale", List.of(2, 2), "mode", "nearest"),
                layer("type", "conv2d", "filters", 1, "kernel", List.of(3, 4), "padding", List.of(0, 0), "activation", "sigmoid")));
        m.put("loss", "mse");
        ModelSpec spec = ModelSpec.fromMap(m, "tiny-keras");
        checkAutoencoder("tiny pooling conv autoencoder with batch norm", spec, true, 3, 62);
    }
}
