package dev.bottleneck.testing;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.nn.Module;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The float64 finite-difference gradient check shared by the gradient-check tests (every backward pass is verified
 * against central differences of its forward pass), on the F64 CPU reference backend ({@link BackendsUnderTest#reference()}).
 *
 * <p>A check evaluates the scalar objective {@code L = sum(f(inputs) * R)} with a fixed random R (so every output
 * element matters; by default drawn from the check's name with {@code |R| >= 0.25}), back-propagates it, and compares
 * every gradient element (inputs AND parameters, the latter read from the {@link ParameterStore}'s gradient arena)
 * with the central difference {@code (L(x + eps) - L(x - eps)) / (2 eps)}, {@code eps = 1e-6}, perturbing each input
 * element and each element of the store's value arena in turn. Every evaluation builds a fresh graph with the same
 * mode and seed, so dropout masks and noise are identical in all of them and the function is deterministic.
 *
 * <p>Tolerance: {@code |analytic - numeric| <= 1e-6 * |numeric| + 1e-8}. Truncation error of the central difference
 * is ~eps^2 f'''/6 ~ 1e-12 and rounding ~1e-16 * |L| / eps ~ 1e-9 for the sizes used, so a wrong gradient (a dropped
 * term, a missing factor, a wrong transpose) is orders of magnitude above it. Each compared set must also have some
 * numeric gradient above 1e-6, else the check would prove nothing.
 */
public final class GradCheck {
    /** Central-difference step. */
    public static final double EPS = 1e-6;
    /** {@code |analytic - numeric| <= RTOL * |numeric| + ATOL}. */
    public static final double RTOL = 1e-6, ATOL = 1e-8;
    /** The largest |numeric gradient| of a compared set must exceed this. */
    public static final double NON_TRIVIAL = 1e-6;

    private GradCheck() {}

    /** The function under check: its output (any shape) from the graph variables of the inputs, in order. */
    public interface Fn {
        Var apply(Graph g, Var[] in);
    }

    /** An input of the function; {@code grad} says whether its gradient is checked (else it is a constant). */
    public record In(String name, double[] data, int[] shape, boolean grad) { }

    public static In in(String name, double[] data, int... shape) { return new In(name, data, shape, true); }

    public static In constant(String name, double[] data, int... shape) { return new In(name, data, shape, false); }

    /**
     * Options of one check.
     *
     * @param store    a parameter store whose value arena is perturbed and whose gradient arena is compared (or null)
     * @param training the mode of every graph of the check
     * @param seed     the seed of every graph of the check (dropout masks, noise)
     * @param scalar   the function's output is the objective itself (one element; no R weighting)
     * @param weights  R, of the output's size (null: drawn from the check's name, {@code |R| >= 0.25})
     */
    public record Setup(ParameterStore store, boolean training, long seed, boolean scalar, double[] weights) {
        public static final Setup PLAIN = new Setup(null, false, 0);

        public Setup(ParameterStore store, boolean training, long seed) {
            this(store, training, seed, false, null);
        }

        /** The same, with the function's single-element output as the objective. */
        public Setup withScalarOutput() {
            return new Setup(store, training, seed, true, null);
        }

        /** The same, with the given R. */
        public Setup withWeights(double[] r) {
            return new Setup(store, training, seed, false, r);
        }
    }

    private static Backend be() {
        return BackendsUnderTest.reference();
    }

    public static int check(String what, Fn f, In... ins) {
        return check(what, Setup.PLAIN, f, ins);
    }

    /** Runs the gradient check; returns the number of gradient elements compared. */
    public static int check(String what, Setup setup, Fn f, In... ins) {
        Backend be = be();
        double[] r = setup.scalar() ? null : setup.weights() != null ? setup.weights() : weights(what, setup, f, ins);

        // analytic gradients
        int compared = 0;
        double[][] analytic = new double[ins.length][];
        double[] paramGrads = null;
        ParameterStore store = setup.store();
        if (store != null) store.zeroGrads();
        try (TensorScope s = new TensorScope(be); Graph g = new Graph(be, setup.training(), true, setup.seed())) {
            Var[] vs = vars(g, s, ins, true);
            Var out = f.apply(g, vs);
            assertTrue(out.requiresGrad(), what + ": output does not require a gradient");
            if (setup.scalar()) assertEquals(1, out.value().size(), what + ": scalar output");
            g.backward(objective(g, s, out, r));
            for (int i = 0; i < ins.length; i++) {
                if (!ins[i].grad()) continue;
                assertNotNull(vs[i].grad(), what + ": no gradient reached input " + ins[i].name());
                analytic[i] = TensorScope.download(be, vs[i].grad());
            }
            if (store != null) paramGrads = TensorScope.download(be, store.grads()).clone();
        }

        // numeric gradients w.r.t. inputs
        for (int i = 0; i < ins.length; i++) {
            if (!ins[i].grad()) continue;
            double[] x = ins[i].data().clone();
            double[] num = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                double x0 = x[j];
                x[j] = x0 + EPS;
                double fp = eval(setup, f, ins, i, x, r);
                x[j] = x0 - EPS;
                double fm = eval(setup, f, ins, i, x, r);
                x[j] = x0;
                num[j] = (fp - fm) / (2 * EPS);
            }
            assertClose(num, analytic[i], RTOL, ATOL, what + ": d/d " + ins[i].name() + " (numeric vs analytic)");
            assertNonTrivial(num, what + ": d/d " + ins[i].name());
            compared += num.length;
        }

        // numeric gradients w.r.t. every parameter, perturbing the value arena element by element
        if (store != null) {
            Tensor values = store.values();
            double[] p = TensorScope.download(be, values);
            double[] num = new double[(int) store.size()];
            for (int j = 0; j < num.length; j++) {
                double p0 = p[j];
                p[j] = p0 + EPS;
                be.memory().upload(p, 0, values);
                double fp = eval(setup, f, ins, -1, null, r);
                p[j] = p0 - EPS;
                be.memory().upload(p, 0, values);
                double fm = eval(setup, f, ins, -1, null, r);
                p[j] = p0;
                num[j] = (fp - fm) / (2 * EPS);
            }
            be.memory().upload(p, 0, values);
            assertClose(num, Arrays.copyOf(paramGrads, num.length), RTOL, ATOL,
                    what + ": d/d parameters " + store.parameters().keySet() + " (numeric vs gradient arena)");
            assertNonTrivial(num, what + ": d/d parameters");
            compared += num.length;
        }
        assertTrue(compared > 0, what + ": nothing compared");
        return compared;
    }

    /** The default R: seeded by the check's name, of the output's shape, each |R| >= 0.25 so no output is ignored. */
    private static double[] weights(String what, Setup setup, Fn f, In[] ins) {
        int[] outShape;
        try (TensorScope s = new TensorScope(be()); Graph g = new Graph(be(), setup.training(), false, setup.seed())) {
            outShape = f.apply(g, vars(g, s, ins, false)).shape();
        }
        double[] r = HostData.signed(new SplittableRandom(what.hashCode()), HostData.size(outShape));
        for (int i = 0; i < r.length; i++) r[i] += Math.copySign(0.25, r[i]);
        return r;
    }

    private static void assertNonTrivial(double[] g, String what) {
        assertTrue(Asserts.maxAbs(g) > NON_TRIVIAL, what + ": every numeric gradient is ~0, the check would prove nothing");
    }

    private static Var[] vars(Graph g, TensorScope s, In[] ins, boolean recording) {
        Var[] vs = new Var[ins.length];
        for (int i = 0; i < ins.length; i++) {
            Tensor t = s.tensor(ins[i].data(), ins[i].shape());
            vs[i] = ins[i].grad() && recording ? g.leaf(t) : g.constant(t);
        }
        return vs;
    }

    /** sum(out * R), or out itself when r is null (a scalar objective). */
    private static Var objective(Graph g, TensorScope s, Var out, double[] r) {
        if (r == null) return out;
        return g.sum(g.mul(out, g.constant(s.tensor(r, out.shape()))));
    }

    /** The objective with input {@code which} replaced by {@code x} (which = -1: inputs as given). */
    private static double eval(Setup setup, Fn f, In[] ins, int which, double[] x, double[] r) {
        Backend be = be();
        In[] use = ins.clone();
        if (which >= 0) use[which] = new In(ins[which].name(), x, ins[which].shape(), false);
        try (TensorScope s = new TensorScope(be); Graph g = new Graph(be, setup.training(), false, setup.seed())) {
            Var out = f.apply(g, vars(g, s, use, false));
            return be.memory().readScalar(objective(g, s, out, r).value());
        }
    }

    // --------------------------------------------------------------------------------------------- parameters

    /** A store holding one module under the root name "m", initialised with {@code seed}, then {@link #randomize}d. */
    public static ParameterStore store(Module m, long seed) {
        Map<String, Module> roots = new LinkedHashMap<>();
        roots.put("m", m);
        ParameterStore st = new ParameterStore(be(), roots);
        st.initialize(seed);
        randomize(st, seed);
        return st;
    }

    /** Random values in [-1, 1) (not the initialiser's: biases start at zero) so every parameter matters. */
    public static void randomize(ParameterStore st, long seed) {
        double[] v = HostData.signed(new SplittableRandom(seed), (int) st.size());
        be().memory().upload(v, 0, st.values());
    }
}
