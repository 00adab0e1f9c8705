package dev.bottleneck.autograd;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.CounterRng;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.io.Json;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.model.VariationalSpec;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.GradCheck;
import dev.bottleneck.testing.GradCheck.Setup;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.GradCheck.check;
import static dev.bottleneck.testing.GradCheck.constant;
import static dev.bottleneck.testing.GradCheck.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Float64 finite-difference gradient checks for the variational pieces: the column-slice op, the N(0, 1) noise op
 * inside the reparameterisation {@code z = μ + exp(logvar/2) ε}, and the whole VAE objective (reconstruction +
 * β KL) with respect to the input and every parameter. The graph seed is fixed, so ε is the same in every
 * evaluation of the objective and the function being differentiated is deterministic.
 *
 * <p>The shared harness {@link GradCheck} (method and tolerance as in {@link GradientCheckTest}); smooth activations
 * (tanh, sigmoid) so no kink lies within eps.
 */
class VariationalGradientCheckTest {
    private final Backend be = BackendsUnderTest.reference();

    // ------------------------------------------------------------------------------------------ ops

    @Test
    void columnSliceGradient() {
        SplittableRandom r = new SplittableRandom(1);
        double[] x = HostData.signed(r, 7 * 6);
        check("columns(x[7,6], 2, 3)", (g, v) -> g.columns(v[0], 2, 3), in("x", x, 7, 6));
        check("columns at the edges", (g, v) -> g.columns(v[0], 5, 1), in("x", x, 7, 6));
    }

    @Test
    void twoSlicesOfOneMatrixAccumulate() {
        // mu * exp(logvar) + mu: both halves and a reused half, so gradients accumulate into one input gradient
        SplittableRandom r = new SplittableRandom(2);
        double[] h = HostData.signed(r, 5 * 8);
        check("mu/logvar halves", (g, v) -> {
            Var mu = g.columns(v[0], 0, 4), lv = g.columns(v[0], 4, 4);
            return g.add(g.mul(mu, g.unary(UnaryOp.EXP, lv)), mu);
        }, in("h", h, 5, 8));
    }

    @Test
    void columnSliceForwardValuesAndBadRanges() {
        try (TensorScope s = new TensorScope(be); Graph g = Graph.inference(be)) {
            double[] x = new double[3 * 5];
            for (int i = 0; i < x.length; i++) x[i] = i;
            Var y = g.columns(g.constant(s.tensor(x, 3, 5)), 1, 3);
            assertEquals(List.of(3, 3), List.of(y.shape()[0], y.shape()[1]));
            assertClose(new double[] {1, 2, 3, 6, 7, 8, 11, 12, 13}, s.get(y.value()), 0, 0, "columns 1..3 of a 3x5 ramp");
            Var x2 = g.constant(s.tensor(x, 3, 5));
            assertThrows(IllegalArgumentException.class, () -> g.columns(x2, 3, 3));
            assertThrows(IllegalArgumentException.class, () -> g.columns(x2, -1, 2));
        }
    }

    @Test
    void reparameterisationGradientWithFixedNoise() {
        SplittableRandom r = new SplittableRandom(3);
        double[] mu = HostData.signed(r, 6 * 3), lv = HostData.uniform(r, 6 * 3, -1.5, 1.0);
        check("z = mu + exp(lv/2) * eps", new Setup(null, true, 77), (g, v) -> {
            Var std = g.unary(UnaryOp.EXP, g.scale(v[1], 0.5));
            return g.add(v[0], g.mul(std, g.normal(6, 3)));
        }, in("mu", mu, 6, 3), in("logvar", lv, 6, 3));
    }

    @Test
    void noiseIsTheCounterStreamInTrainingAndInference() {
        for (boolean training : new boolean[] {true, false}) {
            try (Graph g = new Graph(be, training, false, 1234)) {
                double[] a = TensorScope.download(be, g.normal(4, 5).value());
                double[] b = TensorScope.download(be, g.normal(2, 3).value());
                for (int i = 0; i < a.length; i++) assertEquals(CounterRng.normal(1234, i), a[i], 0.0);
                for (int i = 0; i < b.length; i++) assertEquals(CounterRng.normal(1234, 20 + i), b[i], 0.0, "second draw continues the stream");
                assertNotEquals(a[0], b[0]);
                assertTrue(!g.normal(1).requiresGrad(), "noise is a constant");
            }
        }
    }

    // ------------------------------------------------------------------------------------------ whole objective

    private static Map<String, Object> linear(int units, String act) {
        return Json.object("type", "linear", "units", units, "activation", act);
    }

    /** 6 -> 5 tanh -> 2·2 (mu, logvar); 2 -> 5 tanh -> 6 with the given output and loss; reduction sum. */
    static ModelSpec smallVae(String output, Loss loss, double beta, int warmup) {
        return new ModelSpec("vae-small", new int[] {6}, List.of(linear(5, "tanh"), linear(4, "linear")),
                List.of(linear(5, "tanh"), linear(6, output)), loss, Loss.Reduction.SUM_PER_SAMPLE, List.of(),
                new VariationalSpec(2, beta, warmup));
    }

    private void checkVae(String what, ModelSpec spec, int epoch, long seed) {
        Autoencoder model = new Autoencoder(spec).bind(be, seed);
        try {
            double[] p = HostData.signed(new SplittableRandom(seed + 1), (int) model.params().size());
            for (int i = 0; i < p.length; i++) p[i] *= 0.8;
            be.memory().upload(p, 0, model.params().values());
            model.beginEpoch(epoch);
            SplittableRandom r = new SplittableRandom(seed + 2);
            double[] x = HostData.uniform(r, 5 * 6, 0.05, 0.95), t = HostData.uniform(r, 5 * 6, 0.05, 0.95);
            check(what, new Setup(model.params(), true, seed + 3), (g, v) -> model.forward(g, v[0], v[1], false).loss(),
                    in("input", x, 5, 6), constant("target", t, 5, 6));
        } finally {
            model.close();
        }
    }

    @Test
    void vaeObjectiveBernoulliDecoder() {
        checkVae("VAE BCE (logits path) + KL, beta 1", smallVae("sigmoid", Loss.BCE, 1.0, 0), 0, 50);
    }

    @Test
    void vaeObjectiveGaussianDecoderWithBetaAndWarmup() {
        // beta 2, warm-up over 4 epochs, epoch 1: the KL weight is 0.5
        checkVae("VAE MSE + 0.5 KL", smallVae("linear", Loss.MSE, 2.0, 4), 1, 60);
    }

    @Test
    void klTermMatchesTheClosedFormAndBetaWeightsIt() {
        Autoencoder model = new Autoencoder(smallVae("sigmoid", Loss.BCE, 3.0, 2)).bind(be, 5);
        try (TensorScope s = new TensorScope(be)) {
            double[] x = HostData.uniform(new SplittableRandom(9), 4 * 6, 0.05, 0.95);
            double[] h, kl, rec, lossTrain, lossEval;
            model.beginEpoch(1); // beta_e = 3 * 1/2
            try (Graph g = new Graph(be, true, false, 11)) {
                Var xv = g.constant(s.tensor(x, 4, 6));
                Autoencoder.Forward f = model.forward(g, xv, xv, false);
                kl = s.get(f.kl().value());
                rec = s.get(f.reconstructionLoss().value());
                lossTrain = s.get(f.loss().value());
                h = s.get(model.encoder().forward(g, xv).value());
            }
            try (Graph g = new Graph(be, false, false, 11)) {
                Var xv = g.constant(s.tensor(x, 4, 6));
                lossEval = s.get(model.forward(g, xv, xv, false).loss().value());
            }
            double expect = 0;
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 2; j++) {
                    double mu = h[i * 4 + j], lv = h[i * 4 + 2 + j];
                    expect += -0.5 * (1 + lv - mu * mu - Math.exp(lv));
                }
            }
            expect /= 4;
            assertEquals(expect, kl[0], 1e-12, "KL per sample, averaged over the batch");
            assertEquals(rec[0] + 1.5 * kl[0], lossTrain[0], 1e-12, "training loss = rec + beta_e KL");
            assertEquals(rec[0] + kl[0], lossEval[0], 1e-12, "inference loss = rec + KL (the negative ELBO)");
        } finally {
            model.close();
        }
    }
}
