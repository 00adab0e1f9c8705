package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Conformance.KERNEL_NAMES;
import static dev.bottleneck.testing.Conformance.NAN_RULE_DY;
import static dev.bottleneck.testing.Conformance.NAN_RULE_X;
import static dev.bottleneck.testing.Conformance.andReference;
import static dev.bottleneck.testing.Conformance.assertSameBits;
import static dev.bottleneck.testing.Conformance.compareElementwise;
import static dev.bottleneck.testing.Conformance.eval;
import static dev.bottleneck.testing.Conformance.map;
import static dev.bottleneck.testing.Conformance.ref;
import static dev.bottleneck.testing.Conformance.rnd;

/**
 * {@link ActivationOps} forward and backward, for every activation, on every backend under test against the float64
 * CPU reference (whose GELU is pinned to published values), to the element-wise tolerance of
 * {@link dev.bottleneck.testing.Tolerances}; the NaN and signed-zero rule of the piecewise activations is exact.
 */
class ActivationConformanceTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void activations(String name) {
        Backend be = BackendsUnderTest.get(name);
        List<Object[]> kinds = new ArrayList<>();
        for (Activation a : Activation.values()) kinds.add(new Object[] {a, a.defaultAlpha});
        kinds.add(new Object[] {Activation.LEAKY_RELU, 0.2});
        kinds.add(new Object[] {Activation.ELU, 0.5});
        for (Object[] k : kinds) {
            Activation kind = (Activation) k[0];
            double alpha = (Double) k[1];
            String what = "activation " + kind + " alpha " + alpha;
            SplittableRandom r = rnd(what);
            int n = 37 * 29;
            double[] x = HostData.awayFromZero(r, n, 0.01, 4);
            x[3] = 25; x[4] = -25; x[5] = 19.5; x[6] = 21; x[7] = -30; // the far tails (softplus switch at 20, sigmoid)
            // [-6, -3]: GELU's 0.5 x (1 + tanh u) cancels there (about -4 loses most float digits if evaluated in float)
            for (int i = 0; i < 25; i++) x[8 + i] = -6 + 3.0 * i / 24;
            double[] dy = HostData.signed(r, n), dx0 = HostData.signed(r, n);
            compareElementwise(be, what + " forward", s -> {
                Tensor y = s.nan(37, 29);
                s.backend().activations().forward(kind, alpha, s.tensor(x, 37, 29), y);
                return new Tensor[] {y};
            });
            compareElementwise(be, what + " forward in place", s -> {
                Tensor t = s.tensor(x, 37, 29);
                s.backend().activations().forward(kind, alpha, t, t);
                return new Tensor[] {t};
            });
            for (boolean acc : new boolean[] {false, true}) {
                compareElementwise(be, what + " backward accumulate=" + acc, s -> {
                    Tensor tx = s.tensor(x, 37, 29), y = s.alloc(37, 29);
                    s.backend().activations().forward(kind, alpha, tx, y);
                    Tensor dx = acc ? s.tensor(dx0, 37, 29) : s.nan(37, 29);
                    s.backend().activations().backward(kind, alpha, tx, y, s.tensor(dy, 37, 29), dx, acc);
                    return new Tensor[] {dx};
                });
            }
        }
    }

    @Test
    void referenceActivationsMatchTheirDefinitions() {
        double[] x = {-2.5, -0.3, 0.4, 3.0};
        double[] y = eval(ref(), s -> {
            Tensor t = s.tensor(x, 4), out = s.alloc(4);
            s.backend().activations().forward(Activation.GELU, 0, t, out);
            return new Tensor[] {out};
        })[0];
        // GELU, tanh approximation (PyTorch approximate='tanh'), produced by:
        //   python3 -c "import math; c=math.sqrt(2/math.pi); [print('%.9f' % (0.5*x*(1+math.tanh(c*(x+0.044715*x**3)))))
        //               for x in (-2.5, -0.3, 0.4, 3.0)]"
        // (the exact erf GELU would give -0.0155, -0.1146, 0.2621, 2.9960: the first value tells them apart)
        assertClose(new double[] {-0.015084266, -0.114629076, 0.262161169, 2.996362608}, y, 1e-8, 1e-9, "GELU reference values");
    }

    /**
     * RELU, LEAKY_RELU and ELU test {@code x <= 0} for the negative branch, so NaN (of either sign) takes the identity
     * branch: the value is NaN and the derivative is 1 (dy passes); +0 and -0 take the negative branch. Checked bit for
     * bit on every backend and the float64 reference, so a diverging run trips the NaN guard at the same step on all.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void piecewiseActivationsPropagateNaN(String name) {
        for (Backend be : andReference(name)) {
            for (Object[] k : new Object[][] {{Activation.RELU, 0.0}, {Activation.LEAKY_RELU, 0.25}, {Activation.ELU, 0.5}}) {
                Activation kind = (Activation) k[0];
                double alpha = (Double) k[1];
                // ELU's negative branch is exact only at -0 and -inf here; the other negative inputs stay out of it
                double[] x = kind == Activation.ELU ? NAN_RULE_X.clone() : NAN_RULE_X;
                if (kind == Activation.ELU) { x[5] = 3.0; x[7] = 0.25; }
                double[] wantY = map(x, v -> Double.isNaN(v) ? Double.NaN : v <= 0 ? switch (kind) {
                    case RELU -> 0.0;
                    case LEAKY_RELU -> alpha * v;
                    default -> v == Double.NEGATIVE_INFINITY ? -alpha : alpha * v;   // alpha * expm1(v): expm1(-0) = -0
                } : v);
                double[] wantD = map(x, v -> Double.isNaN(v) || v > 0 ? 1.0 : switch (kind) {
                    case RELU -> 0.0;
                    case LEAKY_RELU -> alpha;
                    default -> (v == Double.NEGATIVE_INFINITY ? -alpha : alpha * v) + alpha;   // y + alpha
                });
                double[] wantDx = new double[x.length];
                for (int i = 0; i < x.length; i++) wantDx[i] = wantD[i] * NAN_RULE_DY[i];
                double[][] got = eval(be, s -> {
                    Tensor tx = s.tensor(x, x.length), y = s.nan(x.length), dx = s.nan(x.length);
                    s.backend().activations().forward(kind, alpha, tx, y);
                    s.backend().activations().backward(kind, alpha, tx, y, s.tensor(NAN_RULE_DY, NAN_RULE_DY.length), dx, false);
                    return new Tensor[] {y, dx};
                });
                String what = kind + " on " + be.name() + " " + be.dtype();
                assertSameBits(wantY, got[0], x, what + " forward");
                assertSameBits(wantDx, got[1], x, what + " backward");
            }
        }
    }
}
