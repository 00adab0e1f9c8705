package dev.bottleneck.optim;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.nn.Init;
import dev.bottleneck.nn.Module;
import dev.bottleneck.nn.Parameter;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.bottleneck.testing.Asserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Optimizer steps against values worked out by hand, through {@link Optimizer} over a {@link ParameterStore} arena
 * (two parameters, {@code a} of 3 values and {@code b} of 1, so the arena holds [a0, a1, a2, b0]) on the CPU
 * backend in F32 and F64.
 *
 * <p>Every case starts from p = [1, -2, 0.5, 3] with gradient g = [0.5, -1, 2, 0] (the last parameter has a zero
 * gradient: only weight decay may move it). Tolerance: F64 absolute 5e-8 (the hand values below drop the eps = 1e-8
 * terms, worth at most lr * eps / |g| = 2e-9 for Adam and lr * eps / (sqrt(1 - alpha) |g|) = 2e-8 for RMSprop);
 * F32 absolute 2e-6 (a few float32 roundings of values ~1). A wrong formula moves values by 1e-3 or more.
 */
class OptimizerStepTest {
    static final double[] P0 = {1, -2, 0.5, 3};
    static final double[] G = {0.5, -1, 2, 0};

    /** Holds two parameters and computes nothing. */
    static final class Holder extends Module {
        final Parameter a = new Parameter(Init.ZEROS, 1, 1, 3), b = new Parameter(Init.ZEROS, 1, 1, 1);

        @Override public Var forward(Graph g, Var x) { return x; }
        @Override public List<Parameter> ownParameters() { return List.of(a, b); }
        @Override public List<String> ownParameterNames() { return List.of("a", "b"); }
        @Override public List<Parameter> parameters() { return ownParameters(); }
        @Override public int[] outputShape(int[] in) { return in; }
        @Override public String describe() { return "Holder"; }
        @Override public Map<String, Object> spec() { return Map.of(); }
    }

    private CpuBackend be;
    private ParameterStore store;
    private Holder holder;

    private void setUp(DType dtype) {
        be = new CpuBackend(dtype);
        holder = new Holder();
        Map<String, Module> roots = new LinkedHashMap<>();
        roots.put("h", holder);
        store = new ParameterStore(be, roots);
        assertEquals(4, store.size());
        assertEquals(3, store.offsetOf("h.b"), "arena order: a then b");
        be.memory().upload(P0, 0, store.values());
    }

    @AfterEach
    void tearDown() {
        if (store != null) store.close();
        if (be != null) be.close();
    }

    private void grads(double... g) {
        be.memory().upload(g, 0, store.grads());
    }

    private double tol() {
        return be.dtype() == DType.F64 ? 5e-8 : 2e-6;
    }

    /** Checks the arena and the parameters' own views (a = first 3, b = last). */
    private void expect(double[] want, String what) {
        double[] arena = TensorScope.download(be, store.values());
        assertClose(want, arena, 0, tol(), what + " (" + be.dtype() + ")");
        double[] a = TensorScope.download(be, holder.a.value()), b = TensorScope.download(be, holder.b.value());
        assertClose(new double[] {want[0], want[1], want[2], want[3]}, new double[] {a[0], a[1], a[2], b[0]}, 0, tol(),
                what + " through the parameter views (" + be.dtype() + ")");
    }

    /** The fixture in {@code dtype}, with an optimizer of {@code cfg} over its store. */
    private Optimizer optimizer(DType dtype, OptimizerConfig cfg) {
        setUp(dtype);
        return new Optimizer(cfg, store);
    }

    /** Sets the gradient to G and steps with {@code lr} once per entry of {@code after}, checking the values after each. */
    private void stepsOnG(Optimizer opt, double lr, String what, double[]... after) {
        grads(G);
        for (int i = 0; i < after.length; i++) {
            opt.step(lr);
            expect(after[i], what + " step " + (i + 1));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void sgdPlainUsesTheLrPassedToStep(DType dt) {
        try (Optimizer opt = optimizer(dt, OptimizerConfig.sgd(0.5, 0, false))) {
            assertEquals(Set.of(), opt.state().keySet(), "plain SGD keeps no state");
            // the schedule's lr (0.1), not the config's 0.5: p - 0.1 g = [1 - 0.05, -2 + 0.1, 0.5 - 0.2, 3 - 0]
            stepsOnG(opt, 0.1, "sgd lr 0.1", new double[] {0.95, -1.9, 0.3, 3.0});
            assertEquals(1, opt.steps());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void sgdMomentumTwoSteps(DType dt) {
        try (Optimizer opt = optimizer(dt, OptimizerConfig.sgd(0.1, 0.9, false))) {
            // step 1: v = g, p = p - 0.1 g            -> [0.95, -1.9, 0.3, 3]
            // step 2: v = 0.9 g + g = 1.9 g, p = p1 - 0.19 g = p0 - 0.29 g -> [0.855, -1.71, -0.08, 3]
            stepsOnG(opt, 0.1, "sgd momentum", new double[] {0.95, -1.9, 0.3, 3.0}, new double[] {0.855, -1.71, -0.08, 3.0});
            assertClose(new double[] {0.95, -1.9, 3.8, 0}, TensorScope.download(be, opt.state().get("velocity")), 0, tol(),
                    "velocity after two steps = 1.9 g");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void sgdNesterovTwoSteps(DType dt) {
        try (Optimizer opt = optimizer(dt, OptimizerConfig.sgd(0.1, 0.9, true))) {
            // step 1: v = g; update g + 0.9 v = 1.9 g; p = p0 - 0.19 g          -> [0.905, -1.81, 0.12, 3]
            // step 2: v = 1.9 g; update g + 0.9 * 1.9 g = 2.71 g; p = p0 - 0.461 g -> [0.7695, -1.539, -0.422, 3]
            stepsOnG(opt, 0.1, "nesterov", new double[] {0.905, -1.81, 0.12, 3.0}, new double[] {0.7695, -1.539, -0.422, 3.0});
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void sgdWeightDecay(DType dt) {
        try (Optimizer opt = optimizer(dt, OptimizerConfig.sgd(0.1, 0, false).withWeightDecay(0.1))) {
            // g' = g + 0.1 p = [0.6, -1.2, 2.05, 0.3]; p - 0.1 g' = [0.94, -1.88, 0.295, 2.97]
            stepsOnG(opt, 0.1, "sgd weight decay 0.1", new double[] {0.94, -1.88, 0.295, 2.97});
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void adamFirstStepMovesByLrTimesSign(DType dt) {
        try (Optimizer opt = optimizer(dt, OptimizerConfig.adam(0.1))) {
            // step 1: m = 0.1 g, v = 0.001 g^2; m^ = g, v^ = g^2; p -= 0.1 g / (|g| + 1e-8) = 0.1 sign(g)
            //   -> [0.9, -1.9, 0.4, 3]  (g = 0: m = v = 0, no move)
            stepsOnG(opt, 0.1, "adam", new double[] {0.9, -1.9, 0.4, 3.0});
            assertClose(new double[] {0.05, -0.1, 0.2, 0}, TensorScope.download(be, opt.state().get("m")), 0, tol(), "adam m = 0.1 g");
            assertClose(new double[] {0.00025, 0.001, 0.004, 0}, TensorScope.download(be, opt.state().get("v")), 0, tol() * 1e-3,
                    "adam v = 0.001 g^2");
            // step 2 with g2 = [-0.5, -1, 2, 0.25]:
            //   a0: m = 0.9*0.05 - 0.05 = -0.005, m^ = -0.005/0.19 = -0.0263157895;
            //       v = 0.999*0.00025 + 0.001*0.25 = 0.00049975, v^ = 0.00049975/0.001999 = 0.25 -> sqrt 0.5;
            //       p = 0.9 + 0.1 * 0.0526315789 = 0.9052631579
            //   a1, a2: same gradient twice -> m^ = g, v^ = g^2 -> another 0.1 sign(g): -1.8, 0.3
            //   b0: m = 0.025, m^ = 0.1315789474; v = 0.0000625, v^ = 0.0312656328, sqrt 0.1768209061;
            //       p = 3 - 0.1 * 0.7441367812 = 2.9255863219
            grads(-0.5, -1, 2, 0.25);
            opt.step(0.1);
            expect(new double[] {0.9052631579, -1.8, 0.3, 2.9255863219}, "adam step 2");
            assertEquals(2, opt.steps());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void adamWithL2PenaltyIsCoupled(DType dt) {
        try (Optimizer opt = optimizer(dt, OptimizerConfig.adam(0.1).withWeightDecay(0.1))) {
            // g' = g + 0.1 p = [0.6, -1.2, 2.05, 0.3]; step 1 moves by 0.1 sign(g'): b0 moves too (g = 0, g' = 0.3)
            //   -> [0.9, -1.9, 0.4, 2.9]
            stepsOnG(opt, 0.1, "adam + L2 0.1", new double[] {0.9, -1.9, 0.4, 2.9});
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void adamwDecaysDecoupled(DType dt) {
        try (Optimizer opt = optimizer(dt, OptimizerConfig.adamw(0.1, 0.01))) {
            // p *= 1 - lr wd = 0.999 first -> [0.999, -1.998, 0.4995, 2.997]; then 0.1 sign(g) (Adam on the raw g)
            //   -> [0.899, -1.898, 0.3995, 2.997]
            stepsOnG(opt, 0.1, "adamw", new double[] {0.899, -1.898, 0.3995, 2.997});
            assertEquals(OptimizerConfig.adamw(0.1, 0.01), OptimizerConfig.of("adamw", 0.1), "adamw default decay 0.01");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void rmspropTwoSteps(DType dt) {
        try (Optimizer opt = optimizer(dt, OptimizerConfig.rmsprop(0.01))) {
            assertEquals(Set.of("square_avg"), opt.state().keySet());
            // step 1: s = (1 - 0.99) g^2 = 0.01 g^2; p - lr g / (sqrt(s) + eps) = p - 0.01 g / (0.1 |g|) = p - 0.1 sign(g)
            //   -> [0.9, -1.9, 0.4, 3]
            // step 2: s = 0.99 * 0.01 g^2 + 0.01 g^2 = 0.0199 g^2; g / sqrt(s) = sign(g) / 0.1410673598 = 7.0888120501 sign(g)
            //   p2 = p1 - 0.070888120501 sign(g) -> [0.8291118795, -1.8291118795, 0.3291118795, 3]
            stepsOnG(opt, 0.01, "rmsprop", new double[] {0.9, -1.9, 0.4, 3.0},
                    new double[] {0.8291118795, -1.8291118795, 0.3291118795, 3.0});
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void rmspropWithMomentum(DType dt) {
        OptimizerConfig cfg = new OptimizerConfig("rmsprop", 0.01, 0.9, false, 0.9, 0.999, 1e-8, 0.99, 0);
        try (Optimizer opt = optimizer(dt, cfg)) {
            assertEquals(Set.of("square_avg", "momentum_buffer"), opt.state().keySet());
            // step 1: b = g / sqrt(0.01 g^2) = 10 sign(g); p - 0.01 b = p - 0.1 sign(g)
            // step 2: b = 0.9 * 10 + 7.0888120501 = 16.0888120501 (times sign g); p2 = p1 - 0.160888120501 sign(g)
            //   -> [0.7391118795, -1.7391118795, 0.2391118795, 3]
            stepsOnG(opt, 0.01, "rmsprop momentum", new double[] {0.9, -1.9, 0.4, 3.0},
                    new double[] {0.7391118795, -1.7391118795, 0.2391118795, 3.0});
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void resumedAdamContinuesTheBiasCorrection(DType dt) {
        setUp(dt);
        double[] afterOne;
        double[] m, v;
        try (Optimizer opt = new Optimizer(OptimizerConfig.adam(0.1), store)) {
            grads(G);
            opt.step(0.1);
            afterOne = TensorScope.download(be, store.values());
            m = TensorScope.download(be, opt.state().get("m"));
            v = TensorScope.download(be, opt.state().get("v"));
        }
        // a fresh optimizer restored to step 1 with the saved moments must take exactly the uninterrupted step 2
        try (Optimizer opt = new Optimizer(OptimizerConfig.adam(0.1), store)) {
            be.memory().upload(m, 0, opt.state().get("m"));
            be.memory().upload(v, 0, opt.state().get("v"));
            opt.restoreSteps(1);
            be.memory().upload(afterOne, 0, store.values());
            grads(-0.5, -1, 2, 0.25);
            opt.step(0.1);
            expect(new double[] {0.9052631579, -1.8, 0.3, 2.9255863219}, "resumed adam step 2 (same as adam step 2)");
        }
    }

    // --------------------------------------------------------------------------------------------- schedules

    @Test
    void constantSchedule() {
        LrSchedule s = LrSchedule.constant();
        assertEquals(0.1, s.lr(0.1, 0), 0);
        assertEquals(0.1, s.lr(0.1, 1000), 0);
    }

    @Test
    void stepSchedule() {
        LrSchedule s = LrSchedule.step(10, 0.5);
        // lr * 0.5^(epoch / 10) with integer division
        assertEquals(0.1, s.lr(0.1, 0), 1e-15);
        assertEquals(0.1, s.lr(0.1, 9), 1e-15);
        assertEquals(0.05, s.lr(0.1, 10), 1e-15);
        assertEquals(0.05, s.lr(0.1, 19), 1e-15);
        assertEquals(0.025, s.lr(0.1, 25), 1e-15);
        assertEquals(s, LrSchedule.parse("step:10:0.5", 100));
        assertEquals(LrSchedule.step(10, 0.1), LrSchedule.parse("step", 100), "step defaults: every 10, gamma 0.1");
    }

    @Test
    void cosineSchedule() {
        LrSchedule s = LrSchedule.cosine(11, 0.001);
        // minLr + (lr - minLr) (1 + cos(pi t)) / 2 with t = epoch / (epochs - 1)
        assertEquals(0.1, s.lr(0.1, 0), 1e-15, "cosine starts at lr");
        assertEquals(0.001, s.lr(0.1, 10), 1e-15, "cosine ends at minLr on the last epoch");
        assertEquals(0.001, s.lr(0.1, 50), 1e-15, "and stays there");
        assertEquals(0.0505, s.lr(0.1, 5), 1e-15, "midpoint (lr + minLr) / 2");
        // t = 0.2: 0.001 + 0.0495 (1 + cos(0.2 pi)) = 0.001 + 0.0495 * 1.8090169944 = 0.0905463412
        assertEquals(0.0905463412, s.lr(0.1, 2), 1e-10);
        assertEquals(0.1, LrSchedule.cosine(1, 0.0).lr(0.1, 0), 0, "one epoch: no annealing");
        assertEquals(LrSchedule.cosine(30, 0.0), LrSchedule.parse("cosine", 30));
        assertEquals(LrSchedule.cosine(30, 1e-4), LrSchedule.parse("cosine:1e-4", 30));
    }

    @Test
    void scheduleRoundTripsThroughItsMap() {
        LrSchedule s = LrSchedule.cosine(12, 0.002);
        assertEquals(s, LrSchedule.fromMap(s.toMap()));
    }

    /** Sanity of the fixture: the store's arenas are what the optimizer sees. */
    @Test
    void arenaViewsShareTheBuffer() {
        setUp(DType.F64);
        Tensor vals = store.values();
        assertEquals(4, vals.size());
        assertEquals(vals.buffer(), holder.b.value().buffer());
        assertEquals(3, holder.b.value().offset() - vals.offset());
    }
}
