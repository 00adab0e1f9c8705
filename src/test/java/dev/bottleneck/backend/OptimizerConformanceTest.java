package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.Conformance.Op;
import dev.bottleneck.testing.HostData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Conformance.KERNEL_NAMES;
import static dev.bottleneck.testing.Conformance.eval;
import static dev.bottleneck.testing.Conformance.maxAbsFinite;
import static dev.bottleneck.testing.Conformance.ref;
import static dev.bottleneck.testing.Conformance.rnd;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_ATOL;
import static dev.bottleneck.testing.Tolerances.ELEMENTWISE_RTOL;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link OptimizerOps} (SGD with momentum, Nesterov and weight decay; Adam, AdamW; RMSprop with momentum) over several
 * steps on views into larger arenas, on every backend under test against the float64 CPU reference: parameters and
 * both state buffers, to the element-wise tolerance scaled by their magnitude.
 */
class OptimizerConformanceTest {
    interface Step {
        void run(Backend b, Tensor p, Tensor g, Tensor s1, Tensor s2, long t);
    }

    private void optimizerCase(Backend be, String what, int steps, Step step) {
        int n = 1001, off = 3;
        SplittableRandom r = rnd(what);
        double[] p0 = HostData.uniform(r, n, -2, 2);
        double[][] grads = new double[steps][];
        for (int t = 0; t < steps; t++) grads[t] = HostData.uniform(r, n, -1, 1);
        Op op = s -> {
            // parameters, gradients and state live at an offset in larger arenas, as views
            Tensor pa = s.nan(n + off + 2), ga = s.nan(n + off + 2), s1a = s.nan(n + off), s2a = s.nan(n + off);
            Tensor p = pa.view(off, n), g = ga.view(off, n), s1 = s1a.view(off, n), s2 = s2a.view(off, n);
            s.upload(p0, p);
            s.backend().memory().fill(s1, 0);
            s.backend().memory().fill(s2, 0);
            for (int t = 0; t < steps; t++) {
                s.upload(grads[t], g);
                step.run(s.backend(), p, g, s1, s2, t + 1);
            }
            return new Tensor[] {p, s1, s2};
        };
        double[][] exp = eval(ref(), op), act = eval(be, op);
        String[] outs = {"parameters", "state 1", "state 2"};
        for (int i = 0; i < 3; i++) {
            assertClose(exp[i], act[i], ELEMENTWISE_RTOL, ELEMENTWISE_ATOL * Math.max(1, maxAbsFinite(exp[i])),
                    what + " " + steps + " steps: " + outs[i] + " on " + be.name());
        }
        double moved = 0;
        for (int i = 0; i < n; i++) moved = Math.max(moved, Math.abs(exp[0][i] - p0[i]));
        assertTrue(moved > 1e-4, what + ": the parameters did not move");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void optimizers(String name) {
        Backend be = BackendsUnderTest.get(name);
        optimizerCase(be, "sgd lr 0.1", 5, (b, p, g, s1, s2, t) -> b.optimizer().sgd(p, g, null, 0.1, 0, false, 0));
        optimizerCase(be, "sgd momentum 0.9", 5, (b, p, g, s1, s2, t) -> b.optimizer().sgd(p, g, s1, 0.1, 0.9, false, 0));
        optimizerCase(be, "sgd nesterov 0.9 wd 0.01", 5, (b, p, g, s1, s2, t) -> b.optimizer().sgd(p, g, s1, 0.1, 0.9, true, 0.01));
        optimizerCase(be, "sgd weight decay 0.05", 5, (b, p, g, s1, s2, t) -> b.optimizer().sgd(p, g, null, 0.05, 0, false, 0.05));
        optimizerCase(be, "adam", 6, (b, p, g, s1, s2, t) -> b.optimizer().adam(p, g, s1, s2, 0.01, 0.9, 0.999, 1e-8, 0, false, t));
        optimizerCase(be, "adam L2 0.01", 6, (b, p, g, s1, s2, t) -> b.optimizer().adam(p, g, s1, s2, 0.01, 0.9, 0.999, 1e-8, 0.01, false, t));
        optimizerCase(be, "adamw 0.1", 6, (b, p, g, s1, s2, t) -> b.optimizer().adam(p, g, s1, s2, 0.01, 0.8, 0.99, 1e-8, 0.1, true, t));
        optimizerCase(be, "rmsprop", 5, (b, p, g, s1, s2, t) -> b.optimizer().rmsprop(p, g, s1, null, 0.01, 0.99, 1e-8, 0, 0));
        optimizerCase(be, "rmsprop momentum 0.9", 5, (b, p, g, s1, s2, t) -> b.optimizer().rmsprop(p, g, s1, s2, 0.01, 0.99, 1e-8, 0, 0.9));
        optimizerCase(be, "rmsprop wd 0.01 momentum 0.5", 5, (b, p, g, s1, s2, t) -> b.optimizer().rmsprop(p, g, s1, s2, 0.01, 0.9, 1e-6, 0.01, 0.5));
    }
}
