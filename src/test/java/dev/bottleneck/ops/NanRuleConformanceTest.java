package dev.bottleneck.ops;

import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One NaN and signed-zero rule on every backend, checked bit for bit (every backend under test and the float64
 * reference) against the rule written out here on the host:
 * <ul>
 *   <li>RELU, LEAKY_RELU, ELU test {@code x <= 0} for the negative branch, so NaN (of either sign) takes the identity
 *       branch: the value is NaN and the derivative is 1 (dy passes); +0 and -0 take the negative branch.</li>
 *   <li>clamp compares ({@code x < lo ? lo : x > hi ? hi : x}): NaN stays NaN, -0 stays -0 at {@code lo = 0}.</li>
 *   <li>max pooling: the first maximum in row-major window order wins, a NaN wins over any number (the first NaN),
 *       so +0 and -0 tie and the first is kept; the gradient goes to the winner only.</li>
 * </ul>
 * With one rule a diverging run is caught by the NaN guard at the same step on every backend. The inputs are exact in
 * float and the chosen outputs are exact in every precision, so any difference is a rule difference, not rounding.
 */
class NanRuleConformanceTest {
    static final String NAMES = "dev.bottleneck.testing.BackendsUnderTest#names";

    /** NaN with the sign bit set, as x86 produces for 0/0. */
    private static final double NEG_NAN = Double.longBitsToDouble(0xfff8000000000000L);

    private static final double[] X = {Double.NaN, NEG_NAN, 0.0, -0.0, 2.0, -2.0, 0.5, -0.5,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    private static final double[] DY = {1.0, -1.0, 0.5, -2.0, 4.0, -0.25, 1.5, -3.0, 2.0, -1.0};

    private static double[][] eval(Backend be, java.util.function.Function<TensorScope, Tensor[]> op) {
        try (TensorScope s = new TensorScope(be)) {
            Tensor[] outs = op.apply(s);
            double[][] r = new double[outs.length][];
            for (int i = 0; i < outs.length; i++) r[i] = s.get(outs[i]);
            return r;
        }
    }

    /** Same bits, except that any NaN equals any NaN (payloads are not part of the rule). */
    private static void assertSameBits(double[] want, double[] got, double[] input, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            boolean ok = Double.isNaN(want[i]) ? Double.isNaN(got[i])
                    : Double.doubleToRawLongBits(want[i]) == Double.doubleToRawLongBits(got[i]);
            if (!ok) {
                fail(what + " at element " + i + (input == null ? "" : " (x = " + input[i] + ")") + ": expected " + want[i]
                        + " but was " + got[i]);
            }
        }
    }

    private static List<Backend> backends(String name) {
        List<Backend> out = new ArrayList<>();
        out.add(BackendsUnderTest.get(name));
        out.add(BackendsUnderTest.reference());
        return out;
    }

    private static double[] map(double[] x, DoubleUnaryOperator f) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = f.applyAsDouble(x[i]);
        return y;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void piecewiseActivationsPropagateNaN(String name) {
        for (Backend be : backends(name)) {
            for (Object[] k : new Object[][] {{Activation.RELU, 0.0}, {Activation.LEAKY_RELU, 0.25}, {Activation.ELU, 0.5}}) {
                Activation kind = (Activation) k[0];
                double alpha = (Double) k[1];
                // ELU's negative branch is exact only at -0 and -inf here; the other negative inputs stay out of it
                double[] x = kind == Activation.ELU ? X.clone() : X;
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
                for (int i = 0; i < x.length; i++) wantDx[i] = wantD[i] * DY[i];
                double[][] got = eval(be, s -> {
                    Tensor tx = s.tensor(x, x.length), y = s.nan(x.length), dx = s.nan(x.length);
                    s.backend().activations().forward(kind, alpha, tx, y);
                    s.backend().activations().backward(kind, alpha, tx, y, s.tensor(DY, DY.length), dx, false);
                    return new Tensor[] {y, dx};
                });
                String what = kind + " on " + be.name() + " " + be.dtype();
                assertSameBits(wantY, got[0], x, what + " forward");
                assertSameBits(wantDx, got[1], x, what + " backward");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void clampPropagatesNaNAndKeepsSignedZero(String name) {
        for (Backend be : backends(name)) {
            for (double[] range : new double[][] {{0.0, 1.0}, {-1.0, 1.0}}) {
                double lo = range[0], hi = range[1];
                double[] want = map(X, v -> {
                    double r = v < lo ? lo : v;
                    return r > hi ? hi : r;
                });
                double[] got = eval(be, s -> {
                    Tensor out = s.nan(X.length);
                    s.backend().elementwise().clamp(s.tensor(X, X.length), lo, hi, out);
                    return new Tensor[] {out};
                })[0];
                assertSameBits(want, got, X, "clamp [" + lo + ", " + hi + "] on " + be.name() + " " + be.dtype());
            }
        }
        // the rule itself: -0 stays -0 at lo = 0 (Math.max(-0.0, 0.0) would give +0)
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(-0.0 < 0.0 ? 0.0 : -0.0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void maxPoolingNaNWinsAndSignedZerosTie(String name) {
        // 4x4 plane, windows 2x2 stride 2 (disjoint) and 3x3 stride 1 (overlapping)
        double[] x = {
            0.0, -0.0, /**/ -0.0, 0.0,
            -1.0, -2.0, /**/ -3.0, -1.0,
            1.0, Double.NaN, /**/ 5.0, 5.0,
            NEG_NAN, 2.0, /**/ 5.0, Double.NEGATIVE_INFINITY};
        for (Pool2dGeometry g : new Pool2dGeometry[] {
            new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, true),
            new Pool2dGeometry(1, 1, 4, 4, 3, 3, 1, 1, 0, 0, true),
            new Pool2dGeometry(1, 1, 4, 4, 3, 3, 2, 2, 1, 1, true)}) {
            int oh = g.outH(), ow = g.outW();
            double[] dy = new double[oh * ow];
            for (int i = 0; i < dy.length; i++) dy[i] = 1 << i;   // powers of two: any routing error shows in the sums
            double[] wantY = new double[oh * ow], wantDx = new double[16];
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    int best = -1;
                    double bv = 0;
                    for (int iy = oy * g.strideH() - g.padH(); iy < oy * g.strideH() - g.padH() + g.kh(); iy++) {
                        for (int ix = ox * g.strideW() - g.padW(); ix < ox * g.strideW() - g.padW() + g.kw(); ix++) {
                            if (iy < 0 || ix < 0 || iy >= 4 || ix >= 4) continue;   // padding never wins
                            double v = x[iy * 4 + ix];
                            if (best < 0 || (Double.isNaN(v) && !Double.isNaN(bv)) || v > bv) {
                                best = iy * 4 + ix;
                                bv = v;
                            }
                        }
                    }
                    wantY[oy * ow + ox] = bv;
                    wantDx[best] += dy[oy * ow + ox];
                }
            }
            for (Backend be : backends(name)) {
                double[][] got = eval(be, s -> {
                    Tensor xt = s.tensor(x, 1, 1, 4, 4), y = s.nan(1, 1, oh, ow), dx = s.nan(1, 1, 4, 4);
                    s.backend().pool().maxForward(g, xt, y);
                    s.backend().pool().maxBackward(g, xt, y, s.tensor(dy, 1, 1, oh, ow), dx, false);
                    return new Tensor[] {y, dx};
                });
                String what = "max pool " + g + " on " + be.name() + " " + be.dtype();
                assertSameBits(wantY, got[0], null, what + " forward");
                assertSameBits(wantDx, got[1], x, what + " backward");
            }
        }
    }
}
