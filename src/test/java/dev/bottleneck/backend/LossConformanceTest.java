package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.Conformance.Op;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;

import static dev.bottleneck.backend.SegInputs.C;
import static dev.bottleneck.backend.SegInputs.H;
import static dev.bottleneck.backend.SegInputs.N;
import static dev.bottleneck.backend.SegInputs.W;
import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Conformance.KERNEL_NAMES;
import static dev.bottleneck.testing.Conformance.andReference;
import static dev.bottleneck.testing.Conformance.compare;
import static dev.bottleneck.testing.Conformance.eval;
import static dev.bottleneck.testing.Conformance.maxAbsFinite;
import static dev.bottleneck.testing.Conformance.ref;
import static dev.bottleneck.testing.Conformance.rnd;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_ATOL;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_RTOL;

/**
 * {@link LossOps} (every loss and reduction, value and gradient, and the per-pixel softmax cross-entropy) on every
 * backend under test against the float64 CPU reference, which is itself checked against the element formulas of
 * {@link Loss}; element-wise tolerances of {@link dev.bottleneck.testing.Tolerances}.
 */
class LossConformanceTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void losses(String name) {
        Backend be = BackendsUnderTest.get(name);
        int rows = 37, cols = 11, n = rows * cols;
        for (Loss kind : Loss.values()) {
            for (Loss.Reduction red : Loss.Reduction.values()) {
                String what = "loss " + kind + " " + red;
                SplittableRandom r = rnd(what);
                double[] t = HostData.uniform(r, n, 0, 1);
                for (int i = 0; i < n; i += 2) t[i] = t[i] < 0.5 ? 0 : 1; // half the targets binary
                double[] p;
                switch (kind) {
                    case BCE: p = HostData.uniform(r, n, 0.02, 0.98); break;
                    case BCE_WITH_LOGITS: p = HostData.uniform(r, n, -6, 6); break;
                    case L1: {
                        double[] d = HostData.awayFromZero(r, n, 0.01, 1);
                        p = new double[n];
                        for (int i = 0; i < n; i++) p[i] = (float) (t[i] + d[i]);
                        break;
                    }
                    default: p = HostData.uniform(r, n, -1.5, 2.5);
                }
                double[] pf = p;
                Op withGrad = s -> {
                    Tensor out = s.nan(3), g = s.nan(rows, cols);
                    s.backend().losses().lossAndGrad(kind, red, s.tensor(pf, rows, cols), s.tensor(t, rows, cols), out.view(1, 1), g, 0.7);
                    return new Tensor[] {out, g};
                };
                double[][] exp = eval(ref(), withGrad), act = eval(be, withGrad);
                assertClose(exp[0], act[0], ELEMENTWISE_RTOL, 0, what + " value (one-element view at offset 1) on " + be.name());
                assertClose(exp[1], act[1], ELEMENTWISE_RTOL, ELEMENTWISE_ATOL * maxAbsFinite(exp[1]), what + " gradient x0.7 on " + be.name());
                // the reference against the element formulas of Loss
                double sum = 0;
                double denom = red == Loss.Reduction.MEAN ? n : rows;
                double[] g = new double[n];
                for (int i = 0; i < n; i++) {
                    sum += kind.value(p[i], t[i]);
                    g[i] = 0.7 * kind.derivative(p[i], t[i]) / denom;
                }
                assertClose(sum / denom, exp[0][1], 1e-12, 0, what + ": reference value vs Loss.value");
                assertClose(g, exp[1], 1e-12, 1e-15, what + ": reference gradient vs Loss.derivative");
                // value only (grad == null)
                compare(be, what + " without gradient", ELEMENTWISE_RTOL, 0, s -> {
                    Tensor out = s.nan(1);
                    s.backend().losses().lossAndGrad(kind, red, s.tensor(pf, rows, cols), s.tensor(t, rows, cols), out, null, 1.0);
                    return new Tensor[] {out};
                });
            }
        }
    }

    private record CrossEntropy(double loss, double[] grad) { }

    /** softmaxCrossEntropy of the {@link SegInputs} batch, gradient scaled by 0.5. */
    private static CrossEntropy crossEntropy(Backend be, SegInputs in) {
        try (TensorScope s = new TensorScope(be)) {
            Tensor lt = s.tensor(in.logits(), N, C, H, W), tt = s.tensor(in.target(), N, H, W), l = s.alloc(1), gr = s.alloc(N, C, H, W);
            be.losses().softmaxCrossEntropy(lt, tt, l, gr, 0.5);
            return new CrossEntropy(s.scalar(l), s.get(gr));
        }
    }

    /** The per-pixel softmax cross-entropy of {@link SegInputs} and its gradient, to float32 rounding. */
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void softmaxCrossEntropyMatchesFloat64Reference(String name) {
        Backend be = BackendsUnderTest.get(name);
        SegInputs in = SegInputs.draw();
        CrossEntropy ref = crossEntropy(BackendsUnderTest.reference(), in);
        CrossEntropy got = crossEntropy(be, in);
        assertClose(ref.loss(), got.loss(), 1e-5, 1e-6, name + " cross-entropy");
        assertClose(ref.grad(), got.grad(), 1e-4, 1e-7, name + " cross-entropy gradient");
    }

    /**
     * A target that is not a class (255 as an "ignore" label, -1, 2.5, NaN, c itself) is never used as an index: the
     * pixel's loss and its c gradients are NaN on every backend (so the NaN guard stops training), and the other
     * pixels' gradients are untouched.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void badTargetsGiveNaNNotAnAddress(String name) {
        int n = 1, c = 3, h = 2, w = 3, hw = h * w;
        double[] logits = HostData.f32(HostData.uniform(new SplittableRandom(5), n * c * hw, -2, 2));
        for (double bad : new double[] {255, -1, 2.5, Double.NaN, c}) {
            double[] target = {0, 1, 2, bad, 1, 0};
            for (Backend be : andReference(name)) {
                try (TensorScope s = new TensorScope(be)) {
                    Tensor l = s.alloc(1), gr = s.alloc(n, c, h, w);
                    be.losses().softmaxCrossEntropy(s.tensor(logits, n, c, h, w), s.tensor(target, n, h, w), l, gr, 1.0);
                    double loss = s.scalar(l);
                    double[] g = s.get(gr);
                    String what = "target " + bad + " on " + be.name() + " " + be.dtype();
                    org.junit.jupiter.api.Assertions.assertTrue(Double.isNaN(loss), what + ": loss " + loss + " is not NaN");
                    for (int j = 0; j < c; j++) {
                        for (int i = 0; i < hw; i++) {
                            double v = g[j * hw + i];
                            org.junit.jupiter.api.Assertions.assertEquals(i == 3, Double.isNaN(v),
                                    what + ": gradient of class " + j + " at pixel " + i + " is " + v);
                        }
                    }
                }
            }
        }
    }
}
