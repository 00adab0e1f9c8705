package dev.bottleneck.autograd;

import dev.bottleneck.backend.Activation;
import dev.bottleneck.testing.GradCheck;
import dev.bottleneck.testing.HostData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static dev.bottleneck.testing.GradCheck.constant;
import static dev.bottleneck.testing.GradCheck.in;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Float64 finite-difference gradient checks (shared harness {@link GradCheck}) of the segmentation ops of the graph:
 * max pooling with indices, max un-pooling at those indices, per-pixel softmax cross-entropy, and a tiny SegNet
 * chain of all three. Random inputs make ties in max pooling vanishingly unlikely.
 */
class SegGradientCheckTest {
    private static double[] signed(String what, int n) {
        return HostData.signed(new SplittableRandom(0x5E6 ^ what.hashCode()), n);
    }

    /** Class numbers 0..c-1 as doubles. */
    private static double[] classes(String what, int n, int c) {
        SplittableRandom r = new SplittableRandom(0xC1A55 ^ what.hashCode());
        double[] t = new double[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(c);
        return t;
    }

    @ParameterizedTest(name = "maxPool2dWithIndices {0}x{1} kernel {2} stride {3}")
    @CsvSource({"6, 8, 2, 2", "7, 5, 2, 2", "7, 6, 3, 2", "5, 5, 2, 1"})
    void maxPoolWithIndices(int h, int w, int k, int s) {
        String what = "maxPoolIdx " + h + "x" + w + " k" + k + " s" + s;
        assertTrue(GradCheck.check(what, (g, v) -> g.maxPool2dWithIndices(v[0], k, s).out(),
                in("x", signed(what, 2 * 3 * h * w), 2, 3, h, w)) > 0);
    }

    @ParameterizedTest(name = "maxUnpool2d {0}x{1}")
    @CsvSource({"6, 8", "7, 5"})
    void maxUnpool(int h, int w) {
        String what = "unpool " + h + "x" + w;
        int oh = h / 2, ow = w / 2;
        double[] src = signed(what + "src", 2 * 3 * h * w);
        // indices come from pooling a constant source; the gradient is checked w.r.t. the pooled-size input
        GradCheck.check(what, (g, v) -> {
            Graph.Pooled p = g.maxPool2dWithIndices(v[1], 2, 2);
            return g.maxUnpool2d(v[0], p.indices(), h, w);
        }, in("x", signed(what, 2 * 3 * oh * ow), 2, 3, oh, ow), constant("src", src, 2, 3, h, w));
    }

    @ParameterizedTest(name = "softmaxCrossEntropy n {0} c {1} {2}x{3}")
    @CsvSource({"2, 3, 4, 5", "1, 11, 3, 3", "3, 2, 1, 4"})
    void softmaxCrossEntropy(int n, int c, int h, int w) {
        String what = "softmaxCE " + n + " " + c + " " + h + "x" + w;
        double[] logits = signed(what, n * c * h * w);
        for (int i = 0; i < logits.length; i++) logits[i] *= 3;
        GradCheck.check(what, new GradCheck.Setup(null, false, 0).withScalarOutput(),
                (g, v) -> g.softmaxCrossEntropy(v[0], v[1].value()),
                in("logits", logits, n, c, h, w), constant("target", classes(what, n * h * w, c), n, h, w));
    }

    /** The SegNet chain: pool with indices, ReLU, pool, unpool, unpool, scaled cross-entropy (upstream gradient != 1). */
    @Test
    void segNetChain() {
        String what = "segnet chain";
        int n = 2, c = 4, h = 8, w = 8;
        GradCheck.check(what, new GradCheck.Setup(null, false, 0).withScalarOutput(), (g, v) -> {
            Graph.Pooled p1 = g.maxPool2dWithIndices(v[0], 2, 2);
            Graph.Pooled p2 = g.maxPool2dWithIndices(g.activation(Activation.TANH, p1.out()), 2, 2);
            Var2 u = new Var2(g.maxUnpool2d(p2.out(), p2.indices(), h / 2, w / 2));
            Var2 logits = new Var2(g.maxUnpool2d(g.affine(u.v, 2.0, 0.1), p1.indices(), h, w));
            return g.scale(g.softmaxCrossEntropy(logits.v, v[1].value()), 1.7);
        }, in("x", signed(what, n * c * h * w), n, c, h, w), constant("target", classes(what, n * h * w, c), n, h, w));
    }

    private record Var2(dev.bottleneck.autograd.Var v) { }
}
