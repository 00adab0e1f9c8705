package dev.bottleneck.backend;

import dev.bottleneck.backend.RnnGeometry.Cell;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Conformance.NAMES;

/**
 * {@link RnnOps} (LSTM and GRU, two layers, bidirectional, odd sizes) on every backend under test against the float64
 * CPU reference on the same inputs: y, hy, dx with a dhy, dw accumulated onto a non-zero start, and the inference
 * forward. Tolerance rtol 1e-4, atol 1e-5: float32 rounding through 7 steps of 2 layers stays near 1e-6.
 */
class RnnConformanceTest {
    private static double[][] run(Backend be, RnnGeometry geo, int n, int t, double[] x, double[] w, double[] dy, double[] dhy,
                                  double[] dw0) {
        try (TensorScope s = new TensorScope(be)) {
            int ld = geo.layers() * geo.directions();
            Tensor xt = s.tensor(x, n, t, geo.input()), wt = s.tensor(w, (int) geo.weightCount());
            Tensor y = s.alloc(n, t, geo.outputSize()), hy = s.alloc(ld, n, geo.hidden());
            Tensor reserve = s.alloc((int) be.rnn().reserveSize(geo, n, t));
            be.rnn().forward(geo, xt, wt, y, hy, reserve);
            Tensor dx = s.nan(n, t, geo.input()), dw = s.tensor(dw0, (int) geo.weightCount());
            be.rnn().backwardData(geo, wt, y, s.tensor(dy, n, t, geo.outputSize()), s.tensor(dhy, ld, n, geo.hidden()), dx, reserve);
            be.rnn().backwardWeights(geo, xt, y, dw, reserve);
            // inference pass gives the same y
            Tensor y2 = s.alloc(n, t, geo.outputSize());
            be.rnn().forward(geo, xt, wt, y2, null, null);
            return new double[][] {s.get(y), s.get(hy), s.get(dx), s.get(dw), s.get(y2)};
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void lstmAndGruMatchTheF64Reference(String name) {
        Backend be = BackendsUnderTest.get(name);
        for (Cell cell : Cell.values()) {
            RnnGeometry geo = new RnnGeometry(cell, 5, 7, 2, true);
            int n = 3, t = 7, ld = 4;
            SplittableRandom r = HostData.rng(11 + cell.ordinal());
            double[] x = HostData.f32(HostData.uniform(r, n * t * 5, -1, 1));
            double[] w = HostData.f32(HostData.uniform(r, (int) geo.weightCount(), -0.4, 0.4));
            double[] dy = HostData.f32(HostData.uniform(r, n * t * geo.outputSize(), -1, 1));
            double[] dhy = HostData.f32(HostData.uniform(r, ld * n * 7, -1, 1));
            double[] dw0 = HostData.f32(HostData.uniform(r, w.length, -1, 1));
            double[][] exp = run(BackendsUnderTest.reference(), geo, n, t, x, w, dy, dhy, dw0);
            double[][] act = run(be, geo, n, t, x, w, dy, dhy, dw0);
            String[] what = {"y", "hy", "dx", "dw", "y (inference)"};
            for (int i = 0; i < exp.length; i++) assertClose(exp[i], act[i], 1e-4, 1e-5, cell + " " + what[i] + " on " + name);
            assertClose(exp[0], exp[4], 0, 0, cell + " training and inference forward agree");
            // hy of the top layer = the matching steps of y
            int h = 7, dh = 14;
            for (int b = 0; b < n; b++) {
                for (int j = 0; j < h; j++) {
                    assertClose(exp[0][(b * t + t - 1) * dh + j], exp[1][(2 * n + b) * h + j], 0, 0, "hy forward");
                    assertClose(exp[0][(b * t) * dh + h + j], exp[1][(3 * n + b) * h + j], 0, 0, "hy backward");
                }
            }
        }
    }
}
