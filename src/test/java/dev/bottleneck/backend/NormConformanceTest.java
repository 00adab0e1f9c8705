package dev.bottleneck.backend;

import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.Conformance.CONV_SEED;
import static dev.bottleneck.testing.Conformance.NAMES;
import static dev.bottleneck.testing.Conformance.assertNear;
import static dev.bottleneck.testing.Conformance.compareScaled;
import static dev.bottleneck.testing.Conformance.eval;
import static dev.bottleneck.testing.Conformance.onEveryBackend;
import static dev.bottleneck.testing.Conformance.plus;
import static dev.bottleneck.testing.Conformance.randn;
import static dev.bottleneck.testing.Conformance.ref;
import static dev.bottleneck.testing.Conformance.rnd;
import static dev.bottleneck.testing.Tolerances.AUTOGRAD_ATOL_SCALE;
import static dev.bottleneck.testing.Tolerances.AUTOGRAD_RTOL;

/**
 * {@link NormOps} (batch norm: training forward with running statistics, inference, backward) on every backend under
 * test against the float64 CPU reference and against the formulas written out in float64. Batch norm reduces over
 * n*h*w and divides by a standard deviation, so it gets the whole-pass tolerance {@code AUTOGRAD_RTOL} /
 * {@code AUTOGRAD_ATOL_SCALE}.
 */
class NormConformanceTest {
    @Test
    void referenceBatchNormMatchesFormulas() {
        int n = 3, c = 2, sp = 5;
        SplittableRandom r = rnd(CONV_SEED, "bn-ref()");
        double[] x = HostData.uniform(r, n * c * sp, -1, 3), gamma = {0.5, -1.5}, beta = {0.25, 1};
        double[][] got = eval(ref(), s -> {
            Tensor y = s.nan(n, c, sp), m = s.nan(c), inv = s.nan(c);
            Tensor rm = s.tensor(new double[] {0, 1}, c), rv = s.tensor(new double[] {1, 2}, c);
            ref().norm().batchNormTrainForward(s.tensor(x, n, c, sp), s.tensor(gamma, c), s.tensor(beta, c), rm, rv, 0.1, 1e-3, y, m, inv);
            return new Tensor[] {y, m, inv, rm, rv};
        });
        for (int ch = 0; ch < c; ch++) {
            double mean = 0, var = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < sp; j++) mean += x[(i * c + ch) * sp + j] / (n * sp);
            for (int i = 0; i < n; i++) for (int j = 0; j < sp; j++) var += Math.pow(x[(i * c + ch) * sp + j] - mean, 2) / (n * sp);
            double inv = 1 / Math.sqrt(var + 1e-3);
            assertClose(mean, got[1][ch], 1e-12, 1e-14, "batch mean");
            assertClose(inv, got[2][ch], 1e-12, 0, "batch inverse std");
            assertClose(0.9 * ch + 0.1 * mean, got[3][ch], 1e-12, 1e-14, "running mean");
            assertClose(0.9 * (1 + ch) + 0.1 * var * n * sp / (n * sp - 1), got[4][ch], 1e-12, 0, "running variance (unbiased)");
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < sp; j++) {
                    int at = (i * c + ch) * sp + j;
                    assertClose(gamma[ch] * (x[at] - mean) * inv + beta[ch], got[0][at], 1e-12, 1e-12, "normalised value");
                }
            }
        }
    }

    static Stream<Object[]> bnCases() {
        List<Object[]> out = new ArrayList<>();
        out.add(new Object[] {new int[] {4, 3, 5, 3}});
        out.add(new Object[] {new int[] {7, 5}});
        out.add(new Object[] {new int[] {32, 16, 14, 14}}); // threaded
        return onEveryBackend(out);
    }

    @ParameterizedTest(name = "batch norm on {0} {1}")
    @MethodSource("bnCases")
    void batchNorm(String name, int[] shape) {
        Backend be = BackendsUnderTest.get(name);
        int c = shape[1], size = HostData.size(shape);
        SplittableRandom r = rnd(CONV_SEED, "bn" + Arrays.toString(shape));
        double[] x = HostData.uniform(r, size, -1, 3), dy = HostData.signed(r, size);
        double[] gamma = HostData.awayFromZero(r, c, 0.5, 1.5), beta = HostData.signed(r, c);
        double[] rm0 = HostData.signed(r, c), rv0 = HostData.uniform(r, c, 0.5, 2), dgOld = HostData.signed(r, c), dbOld = HostData.signed(r, c);
        compareScaled(be, "batch norm " + Arrays.toString(shape), AUTOGRAD_RTOL, AUTOGRAD_ATOL_SCALE, s -> {
            Backend b = s.backend();
            Tensor xt = s.tensor(x, shape), g = s.tensor(gamma, c), bt = s.tensor(beta, c);
            Tensor rm = s.tensor(rm0, c), rv = s.tensor(rv0, c), y = s.nan(shape), m = s.nan(c), inv = s.nan(c);
            b.norm().batchNormTrainForward(xt, g, bt, rm, rv, 0.1, 1e-5, y, m, inv);
            Tensor yi = s.nan(shape);
            b.norm().batchNormInference(xt, g, bt, rm, rv, 1e-5, yi);
            Tensor dx = s.nan(shape), dg = s.nan(c), db = s.nan(c), dx2 = s.nan(shape);
            Tensor dgAcc = s.tensor(dgOld, c), dbAcc = s.tensor(dbOld, c);
            b.norm().batchNormBackward(xt, s.tensor(dy, shape), g, m, inv, 1e-5, dx, dg, db, false);
            b.norm().batchNormBackward(xt, s.tensor(dy, shape), g, m, inv, 1e-5, dx2, dgAcc, dbAcc, true);
            return new Tensor[] {y, m, inv, rm, rv, yi, dx, dg, db, dx2, dgAcc, dbAcc};
        });
    }

    /**
     * Training forward (y, saved mean and inverse std, running mean and unbiased variance), backward with and without
     * accumulation and with a null dbeta, and inference, against the batch-norm formulas written out here in float64.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(NAMES)
    void batchNormMatchesTheReference(String name) {
        Backend be = BackendsUnderTest.get(name);
        int n = 4, c = 3, h = 5, w = 6, m = n * h * w;
        double momentum = 0.1, eps = 1e-5;
        float[] x = randn(n * c * h * w, 90), dy = randn(n * c * h * w, 91);
        float[] gamma = randn(c, 92), beta = randn(c, 93), rm = randn(c, 94), rv = new float[c];
        for (int i = 0; i < c; i++) rv[i] = 0.5f + i;
        for (int i = 0; i < x.length; i++) x[i] = x[i] * (1 + i / (h * w) % c) + (i / (h * w) % c);   // per-channel scale/shift

        double[] mean = new double[c], var = new double[c], invStd = new double[c];
        for (int i = 0; i < x.length; i++) mean[i / (h * w) % c] += x[i] / m;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - mean[i / (h * w) % c];
            var[i / (h * w) % c] += d * d / m;
        }
        double[] y = new double[x.length], newRm = new double[c], newRv = new double[c];
        for (int k = 0; k < c; k++) {
            invStd[k] = 1 / Math.sqrt(var[k] + eps);
            newRm[k] = (1 - momentum) * rm[k] + momentum * mean[k];
            newRv[k] = (1 - momentum) * rv[k] + momentum * var[k] * m / (m - 1);   // unbiased, as PyTorch
        }
        double[] dgamma = new double[c], dbeta = new double[c], dx = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int k = i / (h * w) % c;
            double xhat = (x[i] - mean[k]) * invStd[k];
            y[i] = gamma[k] * xhat + beta[k];
            dgamma[k] += dy[i] * xhat;
            dbeta[k] += dy[i];
        }
        for (int i = 0; i < x.length; i++) {
            int k = i / (h * w) % c;
            double xhat = (x[i] - mean[k]) * invStd[k];
            dx[i] = gamma[k] * invStd[k] / m * (m * dy[i] - dbeta[k] - xhat * dgamma[k]);
        }

        try (TensorScope s = new TensorScope(be)) {
            Tensor tx = s.tensor(x, n, c, h, w), tdy = s.tensor(dy, n, c, h, w), tg = s.tensor(gamma, c), tb = s.tensor(beta, c);
            Tensor trm = s.tensor(rm, c), trv = s.tensor(rv, c), ty = s.alloc(n, c, h, w);
            Tensor sm = s.alloc(c), sis = s.alloc(c), tdx = s.alloc(n, c, h, w);
            Tensor tdg = s.alloc(c), tdb = s.alloc(c);
            be.norm().batchNormTrainForward(tx, tg, tb, trm, trv, momentum, eps, ty, sm, sis);
            assertNear(y, s.floats(ty), 1e-4, "batch norm forward y");
            assertNear(mean, s.floats(sm), 1e-5, "batch norm saveMean");
            assertNear(invStd, s.floats(sis), 1e-4, "batch norm saveInvStd");
            assertNear(newRm, s.floats(trm), 1e-5, "batch norm running mean");
            assertNear(newRv, s.floats(trv), 1e-4, "batch norm running var (unbiased)");

            be.norm().batchNormBackward(tx, tdy, tg, sm, sis, eps, tdx, tdg, tdb, false);
            assertNear(dx, s.floats(tdx), 1e-4, "batch norm dx");
            assertNear(dgamma, s.floats(tdg), 1e-4, "batch norm dgamma");
            assertNear(dbeta, s.floats(tdb), 1e-4, "batch norm dbeta");
            float[] g0 = s.floats(tdg), b0 = s.floats(tdb);
            be.norm().batchNormBackward(tx, tdy, tg, sm, sis, eps, tdx, tdg, tdb, true);
            assertNear(plus(dgamma, g0), s.floats(tdg), 1e-4, "batch norm dgamma accumulate");
            assertNear(plus(dbeta, b0), s.floats(tdb), 1e-4, "batch norm dbeta accumulate");
            float[] g1 = s.floats(tdg);
            be.norm().batchNormBackward(tx, tdy, tg, sm, sis, eps, tdx, tdg, null, true);   // a null gradient, as the CPU allows
            assertNear(plus(dgamma, g1), s.floats(tdg), 1e-4, "batch norm dgamma accumulate without dbeta");
            assertNear(dx, s.floats(tdx), 1e-4, "batch norm dx without dbeta");

            float[] rmNow = s.floats(trm), rvNow = s.floats(trv);
            double[] yi = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                int k = i / (h * w) % c;
                yi[i] = gamma[k] * (x[i] - rmNow[k]) / Math.sqrt(rvNow[k] + eps) + beta[k];
            }
            be.norm().batchNormInference(tx, tg, tb, trm, trv, eps, ty);
            assertNear(yi, s.floats(ty), 1e-4, "batch norm inference");
        }
    }
}
