package dev.bottleneck.seg;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Asserts.assertExactly;

/**
 * The segmentation ops on every backend under test (F32; CUDA skips with the reason where it cannot load) against
 * the float64 CPU reference on the same float32-representable inputs: pooling values and indices exactly, scatters
 * and gathers exactly, the cross-entropy and its gradient to float32 rounding.
 */
class SegConformanceTest {
    private static final int N = 2, C = 5, H = 8, W = 6;

    private record Out(double[] y, double[] idx, double[] dx, double[] up, double[] back, double loss, double[] grad) { }

    private static Out run(Backend be, double[] x, double[] small, double[] dyBig, double[] logits, double[] target) {
        Pool2dGeometry g = new Pool2dGeometry(N, C, H, W, 2, 2, 2, 2, 0, 0, true);
        try (TensorScope s = new TensorScope(be)) {
            Tensor xt = s.tensor(x, N, C, H, W), y = s.alloc(g.outputShape()), idx = s.alloc(g.outputShape());
            be.pool().maxPoolIndicesForward(g, xt, y, idx);
            Tensor dy = s.tensor(small, g.outputShape()), dx = s.alloc(N, C, H, W);
            be.pool().maxPoolIndicesBackward(g, idx, dy, dx, false);
            be.pool().maxPoolIndicesBackward(g, idx, dy, dx, true); // accumulate: twice the routed gradient
            Tensor up = s.alloc(N, C, H, W);
            be.pool().maxUnpoolForward(dy, idx, up);
            Tensor back = s.alloc(g.outputShape());
            be.pool().maxUnpoolBackward(idx, s.tensor(dyBig, N, C, H, W), back, false);
            Tensor lt = s.tensor(logits, N, C, H, W), tt = s.tensor(target, N, H, W), l = s.alloc(1), gr = s.alloc(N, C, H, W);
            be.losses().softmaxCrossEntropy(lt, tt, l, gr, 0.5);
            return new Out(s.get(y), s.get(idx), s.get(dx), s.get(up), s.get(back), s.scalar(l), s.get(gr));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.bottleneck.testing.BackendsUnderTest#names")
    void matchesFloat64Reference(String name) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = new SplittableRandom(11);
        int big = N * C * H * W, small = big / 4;
        double[] x = HostData.f32(HostData.signed(r, big)), sm = HostData.f32(HostData.signed(r, small));
        double[] dyBig = HostData.f32(HostData.signed(r, big)), logits = HostData.f32(HostData.uniform(r, big, -4, 4));
        double[] target = new double[N * H * W];
        for (int i = 0; i < target.length; i++) target[i] = r.nextInt(C);
        Out ref = run(BackendsUnderTest.reference(), x, sm, dyBig, logits, target);
        Out got = run(be, x, sm, dyBig, logits, target);
        assertExactly(ref.y(), got.y(), name + " pooled values");
        assertExactly(ref.idx(), got.idx(), name + " pooling indices");
        assertExactly(ref.dx(), got.dx(), name + " pool backward (accumulated)");
        assertExactly(ref.up(), got.up(), name + " unpool forward");
        assertExactly(ref.back(), got.back(), name + " unpool backward");
        assertClose(ref.loss(), got.loss(), 1e-5, 1e-6, name + " cross-entropy");
        assertClose(ref.grad(), got.grad(), 1e-4, 1e-7, name + " cross-entropy gradient");
    }

    /**
     * A target that is not a class (255 as an "ignore" label, -1, 2.5, NaN, c itself) is never used as an index: the
     * pixel's loss and its c gradients are NaN on every backend (so the NaN guard stops training), and the other
     * pixels' gradients are untouched.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.bottleneck.testing.BackendsUnderTest#names")
    void badTargetsGiveNaNNotAnAddress(String name) {
        int n = 1, c = 3, h = 2, w = 3, hw = h * w;
        double[] logits = HostData.f32(HostData.uniform(new SplittableRandom(5), n * c * hw, -2, 2));
        for (double bad : new double[] {255, -1, 2.5, Double.NaN, c}) {
            double[] target = {0, 1, 2, bad, 1, 0};
            for (Backend be : new Backend[] {BackendsUnderTest.get(name), BackendsUnderTest.reference()}) {
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
