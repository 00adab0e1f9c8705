package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.bottleneck.testing.Conformance.KERNEL_NAMES;
import static dev.bottleneck.testing.Conformance.NAN_RULE_X;
import static dev.bottleneck.testing.Conformance.andReference;
import static dev.bottleneck.testing.Conformance.assertNear;
import static dev.bottleneck.testing.Conformance.assertSameBits;
import static dev.bottleneck.testing.Conformance.compareElementwise;
import static dev.bottleneck.testing.Conformance.eval;
import static dev.bottleneck.testing.Conformance.map;
import static dev.bottleneck.testing.Conformance.randn;
import static dev.bottleneck.testing.Conformance.ref;
import static dev.bottleneck.testing.Conformance.rnd;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link ElementwiseOps} (binary ops with broadcasting, unary maths, affine, axpby, clamp) on every backend under test
 * against the float64 CPU reference, to the element-wise tolerance of {@link dev.bottleneck.testing.Tolerances}; the
 * clamp's NaN and signed-zero rule is checked bit for bit.
 */
class ElementwiseConformanceTest {
    static final int[][][] BROADCASTS = {
            {{37, 29}, {37, 29}}, {{37, 29}, {29}}, {{37, 29}, {1, 29}}, {{37, 29}, {37, 1}}, {{37, 29}, {1}},
            {{29}, {37, 29}}, {{37, 1}, {1, 29}}, {{2, 3, 5}, {3, 1}}, {{4, 3, 5}, {5}}, {{300, 257}, {257}},
            {{300, 257}, {300, 257}}, {{29, 29}, {29, 1}}};

    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void binaryWithBroadcasting(String name) {
        Backend be = BackendsUnderTest.get(name);
        for (BinaryOp op : BinaryOp.values()) {
            for (int[][] sh : BROADCASTS) {
                int[] as = sh[0], bs = sh[1], os = Shapes.broadcast(as, bs);
                String what = "binary " + op + " " + Arrays.toString(as) + " with " + Arrays.toString(bs);
                SplittableRandom r = rnd(what);
                double[] a = HostData.uniform(r, HostData.size(as), -3, 3);
                double[] b = op == BinaryOp.DIV ? HostData.awayFromZero(r, HostData.size(bs), 0.25, 2)
                        : HostData.uniform(r, HostData.size(bs), -3, 3);
                compareElementwise(be, what, s -> {
                    Tensor out = s.nan(os);
                    s.backend().elementwise().binary(op, s.tensor(a, as), s.tensor(b, bs), out);
                    return new Tensor[] {out};
                });
                if (Arrays.equals(as, os)) { // in place: out aliases a
                    compareElementwise(be, what + " in place (out = a)", s -> {
                        Tensor ta = s.tensor(a, as);
                        s.backend().elementwise().binary(op, ta, s.tensor(b, bs), ta);
                        return new Tensor[] {ta};
                    });
                }
                if (Arrays.equals(bs, os)) { // in place: out aliases b
                    compareElementwise(be, what + " in place (out = b)", s -> {
                        Tensor tb = s.tensor(b, bs);
                        s.backend().elementwise().binary(op, s.tensor(a, as), tb, tb);
                        return new Tensor[] {tb};
                    });
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void binaryOnViews(String name) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd("binary views");
        double[] a = HostData.signed(r, 100), b = HostData.signed(r, 100);
        compareElementwise(be, "binary MUL on views at offsets 3, 17 into view at 5", s -> {
            Tensor ta = s.tensor(a, 100), tb = s.tensor(b, 100), out = s.nan(100);
            s.backend().elementwise().binary(BinaryOp.MUL, ta.view(3, 6, 7), tb.view(17, 7), out.view(5, 6, 7));
            return new Tensor[] {out};
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void unary(String name) {
        Backend be = BackendsUnderTest.get(name);
        for (UnaryOp op : UnaryOp.values()) {
            SplittableRandom r = rnd("unary " + op);
            int n = 37 * 29;
            double[] x;
            switch (op) {
                case LOG: case SQRT: x = HostData.uniform(r, n, 0.01, 5); break;
                case RECIPROCAL: x = HostData.awayFromZero(r, n, 0.1, 3); break;
                case EXP: x = HostData.uniform(r, n, -10, 10); break;
                default: x = HostData.uniform(r, n, -3, 3);
            }
            if (op == UnaryOp.SIGN || op == UnaryOp.ABS) x[0] = x[7] = 0.0;
            double[] xs = x;
            compareElementwise(be, "unary " + op, s -> {
                Tensor out = s.nan(37, 29);
                s.backend().elementwise().unary(op, s.tensor(xs, 37, 29), out);
                return new Tensor[] {out};
            });
            compareElementwise(be, "unary " + op + " in place", s -> {
                Tensor t = s.tensor(xs, 37, 29);
                s.backend().elementwise().unary(op, t, t);
                return new Tensor[] {t};
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void affineAxpbyClamp(String name) {
        Backend be = BackendsUnderTest.get(name);
        SplittableRandom r = rnd("affine");
        int n = 1001;
        double[] x = HostData.uniform(r, n, -2, 2), y = HostData.uniform(r, n, -2, 2);
        compareElementwise(be, "affine 1.7x - 0.3", s -> {
            Tensor out = s.nan(n);
            s.backend().elementwise().affine(s.tensor(x, n), 1.7, -0.3, out);
            return new Tensor[] {out};
        });
        compareElementwise(be, "affine in place on a view", s -> {
            Tensor t = s.tensor(x, n);
            s.backend().elementwise().affine(t.view(10, 500), -0.5, 2.0, t.view(10, 500));
            return new Tensor[] {t};
        });
        compareElementwise(be, "axpby beta 0 ignores NaN y", s -> {
            Tensor ty = s.nan(n);
            s.backend().elementwise().axpby(1.3, s.tensor(x, n), 0.0, ty);
            return new Tensor[] {ty};
        });
        compareElementwise(be, "axpby 1.3x + 0.6y", s -> {
            Tensor ty = s.tensor(y, n);
            s.backend().elementwise().axpby(1.3, s.tensor(x, n), 0.6, ty);
            return new Tensor[] {ty};
        });
        compareElementwise(be, "axpby x aliases y", s -> {
            Tensor ty = s.tensor(y, n);
            s.backend().elementwise().axpby(2.0, ty, -1.0, ty);
            return new Tensor[] {ty};
        });
        double[][] clamped = compareElementwise(be, "clamp [-0.3, 0.5]", s -> {
            Tensor out = s.nan(n);
            s.backend().elementwise().clamp(s.tensor(x, n), -0.3, 0.5, out);
            return new Tensor[] {out};
        });
        for (int i = 0; i < n; i++) assertEquals(Math.min(Math.max(x[i], -0.3), 0.5), clamped[0][i], 0.0, "reference clamp at " + i);
    }

    /**
     * Binary ops on rank-3 broadcasts ({@code [6,5,4]} with {@code [5,1]} and {@code [4]}) and unary ops on Gaussian
     * inputs (negative ones too: LOG and SQRT give NaN) against the reference rounded to float32: the binary ops are
     * correctly rounded, so they must match exactly.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void elementwiseAndBroadcasting(String name) {
        Backend be = BackendsUnderTest.get(name);
        Backend cpu = ref();   // the float64 CPU reference
        float[] a = randn(6 * 5 * 4, 5), b = randn(5 * 1, 6), row = randn(4, 7);
        try (TensorScope c = new TensorScope(cpu); TensorScope s = new TensorScope(be)) {
            for (BinaryOp op : BinaryOp.values()) {
                for (float[][] pair : new float[][][] {{a, b}, {a, row}}) {
                    int[] bs = pair[1] == b ? new int[] {5, 1} : new int[] {4};
                    Tensor co = c.alloc(6, 5, 4), go = s.alloc(6, 5, 4);
                    cpu.elementwise().binary(op, c.tensor(a, 6, 5, 4), c.tensor(pair[1], bs), co);
                    be.elementwise().binary(op, s.tensor(a, 6, 5, 4), s.tensor(pair[1], bs), go);
                    assertNear(c.floats(co), s.floats(go), 0, op + " " + java.util.Arrays.toString(bs));
                }
            }
            for (UnaryOp op : UnaryOp.values()) {
                Tensor co = c.alloc(120), go = s.alloc(120);
                cpu.elementwise().unary(op, c.tensor(a, 120), co);
                be.elementwise().unary(op, s.tensor(a, 120), go);
                assertNear(c.floats(co), s.floats(go), 1e-6, op.name());
            }
        }
    }

    /**
     * clamp compares ({@code x < lo ? lo : x > hi ? hi : x}): NaN stays NaN and -0 stays -0 at {@code lo = 0}, on
     * every backend and the float64 reference, bit for bit.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(KERNEL_NAMES)
    void clampPropagatesNaNAndKeepsSignedZero(String name) {
        for (Backend be : andReference(name)) {
            for (double[] range : new double[][] {{0.0, 1.0}, {-1.0, 1.0}}) {
                double lo = range[0], hi = range[1];
                double[] want = map(NAN_RULE_X, v -> {
                    double r = v < lo ? lo : v;
                    return r > hi ? hi : r;
                });
                double[] got = eval(be, s -> {
                    Tensor out = s.nan(NAN_RULE_X.length);
                    s.backend().elementwise().clamp(s.tensor(NAN_RULE_X, NAN_RULE_X.length), lo, hi, out);
                    return new Tensor[] {out};
                })[0];
                assertSameBits(want, got, NAN_RULE_X, "clamp [" + lo + ", " + hi + "] on " + be.name() + " " + be.dtype());
            }
        }
        // the rule itself: -0 stays -0 at lo = 0 (Math.max(-0.0, 0.0) would give +0)
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(-0.0 < 0.0 ? 0.0 : -0.0));
    }
}
