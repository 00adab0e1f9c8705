package dev.bottleneck.model;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.nn.Sequential;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.GradCheck;
import dev.bottleneck.testing.TensorScope;
import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Float64 checks of the sparse and contractive regularizers and of {@link Graph#clamp}: gradients against central
 * differences (the shared harness {@link GradCheck}, as in GradientCheckTest), and penalty values against a Jacobian
 * computed numerically.
 */
class VariantRegularizerTest {
    private final Backend be = BackendsUnderTest.reference();

    /** A scalar function of one input tensor (and of the parameters of {@code store}, when not null). */
    private interface Fn {
        Var apply(Graph g, Var x);
    }

    private double value(Fn f, double[] x, int[] shape, long seed) {
        try (TensorScope s = new TensorScope(be); Graph g = new Graph(be, true, false, seed)) {
            return be.memory().readScalar(f.apply(g, g.constant(s.tensor(x, shape))).value());
        }
    }

    /**
     * Checks d f / d x (when checkInput) and d f / d parameters of store (when not null) against central differences:
     * {@link GradCheck} with f's scalar output as the objective, in a training graph of the given seed.
     */
    private void gradCheck(String what, Fn f, double[] x, int[] shape, ParameterStore store, boolean checkInput, long seed) {
        GradCheck.check(what, new GradCheck.Setup(store, true, seed).withScalarOutput(), (g, v) -> f.apply(g, v[0]),
                new GradCheck.In("input", x, shape, checkInput));
    }

    private Autoencoder bound(ModelSpec spec, long seed) {
        Autoencoder m = new Autoencoder(spec).bind(be, seed);
        // larger weights than the initialiser's so sigmoid derivatives vary across units
        double[] p = HostData.uniform(new SplittableRandom(seed), (int) m.params().size(), -0.9, 0.9);
        be.memory().upload(p, 0, m.params().values());
        return m;
    }

    @Test
    void referenceIsFloat64() {
        assertEquals(DType.F64, be.dtype());
    }

    @Test
    void clampGradient() {
        // values away from the bounds by more than GradCheck.EPS: inside they pass the gradient, outside they get none
        double[] x = {-0.8, -0.31, 0.05, 0.22, 0.47, 0.71, 1.3, -0.05, 0.9};
        double[] r = HostData.signed(new SplittableRandom(3), x.length);
        Fn f = (g, v) -> g.sum(g.mul(g.clamp(v, -0.3, 0.7), g.constant(tensorOf(g, r, 3, 3))));
        gradCheck("clamp(-0.3, 0.7)", f, x, new int[] {3, 3}, null, true, 0);
        // outside elements get exactly 0
        try (TensorScope s = new TensorScope(be); Graph g = new Graph(be, false, true, 0)) {
            Var v = g.leaf(s.tensor(x, 3, 3));
            g.backward(g.sum(g.clamp(v, -0.3, 0.7)));
            double[] gr = s.get(v.grad());
            assertClose(new double[] {0, 0, 1, 1, 1, 0, 0, 1, 0}, gr, 0, 0, "clamp mask");
        }
    }

    private static Tensor tensorOf(Graph g, double[] data, int... shape) {
        Tensor t = g.temp(shape);
        g.backend().memory().upload(data, 0, t);
        return t;
    }

    @Test
    void klSparsityValueAndGradient() {
        KlSparsity kl = new KlSparsity(0.1, 0.7);
        double[] code = HostData.uniform(new SplittableRandom(5), 5 * 4, 0.02, 0.9);
        // value against the formula
        double expect = 0;
        for (int j = 0; j < 4; j++) {
            double m = 0;
            for (int i = 0; i < 5; i++) m += code[i * 4 + j];
            m /= 5;
            expect += 0.1 * Math.log(0.1 / m) + 0.9 * Math.log(0.9 / (1 - m));
        }
        expect *= 0.7;
        assertEquals(expect, value((g, v) -> kl.penalty(g, v, v), code, new int[] {5, 4}, 0), 1e-12);
        gradCheck("kl_sparsity(0.1, 0.7) on the code", (g, v) -> kl.penalty(g, v, v), code, new int[] {5, 4}, null, true, 0);
        // at rho_hat == rho the penalty is 0
        double[] flat = HostData.constant(6, 0.1);
        assertEquals(0.0, value((g, v) -> kl.penalty(g, v, v), flat, new int[] {3, 2}, 0), 1e-12);
        // a code unit stuck at 0 or 1 stays finite (the clamp)
        double[] dead = {0, 1, 0, 1};
        assertTrue(Double.isFinite(value((g, v) -> kl.penalty(g, v, v), dead, new int[] {2, 2}, 0)));
    }

    @Test
    void klSparsityThroughAModel() {
        ModelSpec spec = ModelSpec.dense("6-4:sigmoid", "relu", "sigmoid", Loss.BCE)
                .withRegularizers(List.of(new KlSparsity(0.05, 0.5).spec()));
        try (Autoencoder m = bound(spec, 11)) {
            double[] x = HostData.uniform(new SplittableRandom(12), 5 * 6, 0.05, 0.95);
            gradCheck("784-style sigmoid AE + kl_sparsity", (g, v) -> m.forward(g, v, v, false).loss(), x, new int[] {5, 6},
                    m.params(), false, 0);
        }
    }

    /** ||J||_F^2 summed over samples, J by central differences of the encoder (inference), in float64. */
    private double numericJacobianNorm(Autoencoder m, double[] x, int n, int d) {
        double total = 0;
        double h = 1e-6;
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < d; i++) {
                double[] xp = java.util.Arrays.copyOfRange(x, s * d, (s + 1) * d), xm = xp.clone();
                xp[i] += h;
                xm[i] -= h;
                double[] cp = encode(m, xp, d), cm = encode(m, xm, d);
                for (int j = 0; j < cp.length; j++) {
                    double dj = (cp[j] - cm[j]) / (2 * h);
                    total += dj * dj;
                }
            }
        }
        return total;
    }

    private double[] encode(Autoencoder m, double[] x, int d) {
        try (TensorScope s = new TensorScope(be); Graph g = Graph.inference(be)) {
            return s.get(m.encode(g, g.constant(s.tensor(x, 1, d))).value());
        }
    }

    private static Map<String, Object> contractive(double w, String mode, int draws) {
        Map<String, Object> c = new java.util.LinkedHashMap<>(new Contractive(w, Contractive.Mode.EXACT).spec());
        c.put("mode", mode);
        c.put("draws", draws);
        return c;
    }

    @Test
    void contractiveExactMatchesNumericJacobian() {
        for (String act : new String[] {"sigmoid", "tanh", "linear"}) {
            ModelSpec spec = ModelSpec.dense("7-4:" + act, "relu", "sigmoid", Loss.MSE)
                    .withRegularizers(List.of(contractive(0.3, "exact", 1)));
            try (Autoencoder m = bound(spec, 21)) {
                int n = 3, d = 7;
                double[] x = HostData.uniform(new SplittableRandom(22), n * d, 0, 1);
                Regularizer r = Regularizer.fromSpec(contractive(0.3, "exact", 1));
                double pen = value((g, v) -> r.penalty(g, v, m.encode(g, v), m.encoder()), x, new int[] {n, d}, 0);
                double num = numericJacobianNorm(m, x, n, d);
                assertEquals(0.3 * num / n, pen, 1e-8 * Math.max(1, pen), act + ": exact penalty vs numeric ||J||_F^2");
                gradCheck("contractive exact (" + act + ") d/d W, b", (g, v) -> r.penalty(g, v, m.encode(g, v), m.encoder()),
                        x, new int[] {n, d}, m.params(), false, 0);
            }
        }
    }

    @Test
    void contractiveEstimateIsUnbiasedForTheJacobianNorm() {
        // a two-layer encoder: only the estimate applies
        ModelSpec spec = ModelSpec.dense("6-5:tanh-3:sigmoid", "relu", "sigmoid", Loss.MSE);
        try (Autoencoder m = bound(spec, 31)) {
            int n = 2, d = 6;
            double[] x = HostData.uniform(new SplittableRandom(32), n * d, 0, 1);
            double num = numericJacobianNorm(m, x, n, d) / n;
            Regularizer est = Regularizer.fromSpec(contractive(1.0, "estimate", 1));
            // the mean over many draws (graph seeds) converges to ||J||_F^2 (Hutchinson); with Rademacher v the
            // per-draw spread here is below 0.5 ||J||^2, so 10000 draws put the mean within ~1%: allow 3%
            int draws = 10000;
            double sum = 0;
            for (int k = 0; k < draws; k++) sum += value((g, v) -> est.penalty(g, v, null, m.encoder()), x, new int[] {n, d}, 1000 + k);
            double mean = sum / draws;
            System.out.printf("contractive estimate: mean of %d draws %.6f vs numeric ||J||_F^2 %.6f%n", draws, mean, num);
            assertEquals(num, mean, 0.03 * num, "mean of the stochastic estimate vs numeric ||J||_F^2");
            // with several draws per call it averages them
            Regularizer est8 = Regularizer.fromSpec(contractive(1.0, "estimate", 8));
            double v8 = value((g, v) -> est8.penalty(g, v, null, m.encoder()), x, new int[] {n, d}, 7);
            assertTrue(v8 > 0.3 * num && v8 < 3 * num, "8-draw estimate " + v8 + " vs " + num);
            // the estimate for a fixed v is differentiable on the tape (same seed: same v in every evaluation)
            gradCheck("contractive estimate d/d parameters", (g, v) -> est8.penalty(g, v, null, m.encoder()), x,
                    new int[] {n, d}, m.params(), false, 5);
        }
    }

    @Test
    void contractiveEstimateIsExactForALinearEncoder() {
        // f linear: J v = W v exactly for any step, and with draws the Rademacher estimate has E = ||W||_F^2
        ModelSpec spec = ModelSpec.dense("5-3:linear", "relu", "linear", Loss.MSE);
        try (Autoencoder m = bound(spec, 41)) {
            double[] x = HostData.uniform(new SplittableRandom(42), 2 * 5, 0, 1);
            Regularizer exact = Regularizer.fromSpec(contractive(1.0, "exact", 1));
            double e = value((g, v) -> exact.penalty(g, v, m.encode(g, v), m.encoder()), x, new int[] {2, 5}, 0);
            double sum = 0;
            int draws = 3000;
            Regularizer est = Regularizer.fromSpec(contractive(1.0, "estimate", 1));
            for (int k = 0; k < draws; k++) sum += value((g, v) -> est.penalty(g, v, null, m.encoder()), x, new int[] {2, 5}, k);
            System.out.printf("contractive estimate, linear encoder: mean %.6f vs exact %.6f%n", sum / draws, e);
            assertEquals(e, sum / draws, 0.03 * e);
        }
    }

    @Test
    void contractiveInTheObjectiveAndValidation() {
        ModelSpec spec = ModelSpec.dense("6-4:sigmoid", "relu", "sigmoid", Loss.BCE)
                .withRegularizers(List.of(contractive(0.2, "exact", 1)));
        try (Autoencoder m = bound(spec, 51)) {
            double[] x = HostData.uniform(new SplittableRandom(52), 4 * 6, 0.05, 0.95);
            gradCheck("sigmoid AE + contractive exact (whole objective)", (g, v) -> m.forward(g, v, v, false).loss(), x,
                    new int[] {4, 6}, m.params(), false, 0);
        }
        BottleneckException e = assertThrows(BottleneckException.class, () -> new Autoencoder(
                ModelSpec.dense("6-5-3:sigmoid", "relu", "sigmoid", Loss.BCE).withRegularizers(List.of(contractive(0.2, "exact", 1)))));
        assertTrue(e.getMessage().contains("estimate"), e.getMessage());
        // spec round trip
        Regularizer r = Regularizer.fromSpec(contractive(0.2, "estimate", 3));
        assertEquals(r, Regularizer.fromSpec(r.spec()));
        Regularizer k = Regularizer.fromSpec(new KlSparsity(0.05, 3).spec());
        assertEquals(new KlSparsity(0.05, 3), k);
        assertThrows(BottleneckException.class, () -> KlSparsity.parse("0.05"));
        assertThrows(BottleneckException.class, () -> KlSparsity.parse("1.5:3"));
    }
}
