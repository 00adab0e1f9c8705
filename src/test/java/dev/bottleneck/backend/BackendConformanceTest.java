package dev.bottleneck.backend;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.Presets;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Asserts.maxAbs;
import static dev.bottleneck.testing.Conformance.CONV_SEED;
import static dev.bottleneck.testing.Conformance.KERNEL_NAMES;
import static dev.bottleneck.testing.Conformance.NAMES;
import static dev.bottleneck.testing.Conformance.maxAbsFinite;
import static dev.bottleneck.testing.Conformance.ref;
import static dev.bottleneck.testing.Conformance.rnd;
import static dev.bottleneck.testing.Tolerances.AUTOGRAD_ATOL_SCALE;
import static dev.bottleneck.testing.Tolerances.AUTOGRAD_RTOL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What no single op group covers: the list of backends under test, the CUDA backend's description, and whole models
 * (an autoencoder training step, a W3 forward and backward pass) on every backend against the float64 CPU reference
 * from the same parameters, with the whole-pass tolerances {@code AUTOGRAD_RTOL} / {@code AUTOGRAD_ATOL_SCALE}.
 */
class BackendConformanceTest {
    @Test
    void backendListAlwaysNamesCpuAndCuda() {
        List<String> names = BackendsUnderTest.names().toList();
        assertEquals("cpu", names.get(0));
        assertTrue(names.contains("cuda"), "cuda must be listed so its skip (and why) shows: " + names);
        for (BackendsUnderTest.Candidate c : BackendsUnderTest.candidates()) {
            System.out.println("backend under test: " + c.name() + (c.available() ? " (available)" : " (skipped: " + c.reason() + ")"));
            if (!c.available()) assertTrue(c.reason() != null && !c.reason().isBlank(), c.name() + " unavailable without a reason");
        }
        assertEquals(DType.F64, ref().dtype());
    }

    /** The CUDA backend's description names the device, its memory, the driver and the libraries, and FP32 without TF32. */
    @Test
    void describeNamesTheDevice() {
        String d = BackendsUnderTest.get("cuda").describe();
        assertTrue(d.startsWith("cuda: ") && d.contains("(sm_") && d.contains(" GiB), driver ") && d.contains("cuBLAS")
                && d.contains("cuDNN") && d.contains("NVRTC") && d.contains("FP32 (TF32 off)"), d);
    }

    /**
     * One training step of a small autoencoder (BCE + sigmoid logits path, dropout, L1 activity, SGD momentum) on
     * the backend and on the F64 reference from the same float32-exact parameters and data: loss, reconstruction,
     * the gradient arena and the updated parameters must agree. This is the op groups working together through
     * autograd, as the trainer uses them.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void autoencoderTrainingStepMatchesReference(String name) {
        Backend be = BackendsUnderTest.get(name);
        double[][] exp = modelStep(ref()), act = modelStep(be);
        String[] what = {"loss", "reconstruction", "gradient arena", "parameters after SGD step"};
        for (int i = 0; i < exp.length; i++) {
            assertClose(exp[i], act[i], AUTOGRAD_RTOL, AUTOGRAD_ATOL_SCALE * maxAbsFinite(exp[i]),
                    "autoencoder step: " + what[i] + " on " + be.name() + " vs F64 reference");
        }
        assertTrue(maxAbsFinite(exp[2]) > 1e-4, "the reference gradient is not trivial");
    }

    private static double[][] modelStep(Backend b) {
        Autoencoder model = Autoencoder.builder(20).dense(13, "relu").dropout(0.1).dense(5, "tanh")
                .decoder().dense(13, "elu").dense(20, "sigmoid").l1Activity(0.01).build();
        model.bind(b, 5);
        SplittableRandom r = rnd("model step");
        int size = (int) model.params().size();
        double[] p = HostData.uniform(r, size, -0.6, 0.6);
        b.memory().upload(p, 0, model.params().values());
        double[] x = HostData.uniform(r, 17 * 20, 0, 1), t = HostData.uniform(r, 17 * 20, 0, 1);
        try (TensorScope s = new TensorScope(b); Graph g = new Graph(b, true, true, 7);
             Optimizer opt = new Optimizer(OptimizerConfig.sgd(0.1, 0.9, false), model.params())) {
            Autoencoder.Forward fw = model.forward(g, g.constant(s.tensor(x, 17, 20)), g.constant(s.tensor(t, 17, 20)), true);
            g.backward(fw.loss());
            double loss = b.memory().readScalar(fw.loss().value());
            double[] out = s.get(fw.output().value());
            double[] grads = s.get(model.params().grads());
            opt.step(0.1);
            double[] after = s.get(model.params().values());
            return new double[][] {{loss}, out, grads, after};
        } finally {
            model.close();
        }
    }

    /** A whole W3 forward and backward pass (batch 3) on each backend against the reference, same parameters. */
    @ParameterizedTest(name = "W3 forward and backward on {0}")
    @MethodSource(NAMES)
    void w3ForwardBackwardMatchesReference(String name) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd(CONV_SEED, "w3");
        double[] x = HostData.uniform(r, 3 * 784, 0, 1);
        double[][] exp = w3Pass(ref(), x), act = w3Pass(be, x);
        String[] what = {"loss", "reconstruction", "parameter gradients"};
        for (int i = 0; i < exp.length; i++) {
            // the parameter gradients pass through GEMMs with k up to 3136 and two 128-channel reductions: 1e-3
            double rtol = i == 2 ? 1e-3 : AUTOGRAD_RTOL;
            assertClose(exp[i], act[i], rtol, rtol * Math.max(maxAbs(exp[i]), 1e-30), "W3 " + what[i] + " on " + name + " vs F64 reference");
        }
    }

    private static double[][] w3Pass(Backend be, double[] x) {
        Autoencoder a = new Autoencoder(Presets.get("w3")).bind(be, 42);
        try (TensorScope s = new TensorScope(be); Graph g = new Graph(be, true, true, 1)) {
            a.params().zeroGrads();
            Tensor xt = s.tensor(x, 3, 784);
            Autoencoder.Forward fw = a.forward(g, g.constant(xt), g.constant(xt), true);
            g.backward(fw.loss());
            Var out = fw.output();
            return new double[][] {{be.memory().readScalar(fw.loss().value())}, s.get(out.value()), s.get(a.params().grads())};
        } finally {
            a.close();
        }
    }
}
