package dev.bottleneck.backend.cuda;

import dev.bottleneck.testing.RequireCuda;

import dev.bottleneck.backend.Availability;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.Conv2dGeometry;
import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.backend.Upsample;
import dev.bottleneck.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cuDNN-backed ops (convolution, pooling, batch norm) and the up-sampling kernels of the CUDA backend
 * against float64 references written out in this test (independent of the CPU backend), on the same random
 * inputs. Skips, printing the probe's reason, where no usable GPU is present. Strict FP32 (TF32 off), so the
 * tolerances are those of float32 accumulation order, not of TF32.
 */
class CudnnOpsGpuTest {
    private static CudaBackend gpu;

    @BeforeAll
    static void open() {
        Availability a = new CudaBackendProvider().probe();
        RequireCuda.assume(a.available(), () -> "no usable GPU: " + a.reason());
        gpu = (CudaBackend) new CudaBackendProvider().create(BackendOptions.defaults());
        System.out.println("[cudnn] " + gpu.describe());
    }

    @AfterAll
    static void close() {
        if (gpu != null) gpu.close();
    }

    private static float[] randn(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    private static Tensor put(float[] data, int... shape) {
        Tensor t = gpu.memory().allocate(shape);
        gpu.memory().upload(data, t);
        return t;
    }

    private static float[] get(Tensor t) {
        return gpu.memory().toFloatArray(t);
    }

    private static void close(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            assertTrue(Math.abs(e - a) <= tol * (1 + Math.abs(e)), what + " [" + i + "]: expected " + e + ", got " + a);
        }
    }

    private static double[] plus(double[] a, float[] b) {
        double[] r = a.clone();
        for (int i = 0; i < r.length; i++) r[i] += b[i];
        return r;
    }

    // -------------------------------------------------------------------------------------------- convolution

    /** y[n, o, oy, ox] = sum_{c, ky, kx} x[n, c, oy*s - p + ky*d, ox*s - p + kx*d] * w[o, c, ky, kx] (+ b[o]). */
    private static double[] convRef(Conv2dGeometry g, float[] x, float[] w, float[] b) {
        int oh = g.outH(), ow = g.outW();
        double[] y = new double[g.n() * g.cOut() * oh * ow];
        for (int n = 0; n < g.n(); n++) for (int o = 0; o < g.cOut(); o++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            double s = b == null ? 0 : b[o];
            for (int c = 0; c < g.cIn(); c++) for (int ky = 0; ky < g.kh(); ky++) for (int kx = 0; kx < g.kw(); kx++) {
                int iy = oy * g.strideH() - g.padH() + ky * g.dilH(), ix = ox * g.strideW() - g.padW() + kx * g.dilW();
                if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) continue;
                s += (double) x[((n * g.cIn() + c) * g.h() + iy) * g.w() + ix] * w[((o * g.cIn() + c) * g.kh() + ky) * g.kw() + kx];
            }
            y[((n * g.cOut() + o) * oh + oy) * ow + ox] = s;
        }
        return y;
    }

    /** dx and dw of the convolution (the adjoints of convRef), computed by scattering. */
    private static double[][] convGradRef(Conv2dGeometry g, float[] x, float[] w, float[] dy) {
        int oh = g.outH(), ow = g.outW();
        double[] dx = new double[x.length], dw = new double[w.length];
        for (int n = 0; n < g.n(); n++) for (int o = 0; o < g.cOut(); o++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            double d = dy[((n * g.cOut() + o) * oh + oy) * ow + ox];
            for (int c = 0; c < g.cIn(); c++) for (int ky = 0; ky < g.kh(); ky++) for (int kx = 0; kx < g.kw(); kx++) {
                int iy = oy * g.strideH() - g.padH() + ky * g.dilH(), ix = ox * g.strideW() - g.padW() + kx * g.dilW();
                if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) continue;
                int xi = ((n * g.cIn() + c) * g.h() + iy) * g.w() + ix, wi = ((o * g.cIn() + c) * g.kh() + ky) * g.kw() + kx;
                dx[xi] += d * w[wi];
                dw[wi] += d * x[xi];
            }
        }
        return new double[][] {dx, dw};
    }

    @Test
    void convolutionMatchesTheReference() {
        List<Conv2dGeometry> shapes = List.of(
                new Conv2dGeometry(2, 3, 9, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1),
                new Conv2dGeometry(3, 2, 10, 11, 5, 3, 3, 2, 2, 1, 1, 1, 1),
                new Conv2dGeometry(1, 4, 12, 9, 3, 3, 2, 2, 1, 2, 0, 2, 1),
                new Conv2dGeometry(4, 1, 8, 8, 2, 1, 1, 1, 1, 0, 0, 1, 1),
                new Conv2dGeometry(2, 8, 16, 16, 16, 5, 5, 1, 1, 2, 2, 1, 1));
        long seed = 10;
        for (Conv2dGeometry g : shapes) {
            float[] x = randn(g.n() * g.cIn() * g.h() * g.w(), seed++), w = randn(g.cOut() * g.cIn() * g.kh() * g.kw(), seed++);
            float[] b = randn(g.cOut(), seed++), dy = randn(g.n() * g.cOut() * g.outH() * g.outW(), seed++);
            Tensor tx = put(x, g.inputShape()), tw = put(w, g.weightShape()), tb = put(b, g.cOut());
            Tensor ty = gpu.memory().allocate(g.outputShape()), tdy = put(dy, g.outputShape());
            gpu.conv().forward(g, tx, tw, tb, ty);
            close(convRef(g, x, w, b), get(ty), 1e-4, "conv forward " + g);
            gpu.conv().forward(g, tx, tw, null, ty);
            close(convRef(g, x, w, null), get(ty), 1e-4, "conv forward without bias " + g);

            double[][] ref = convGradRef(g, x, w, dy);
            Tensor tdx = gpu.memory().allocate(g.inputShape()), tdw = gpu.memory().allocate(g.weightShape());
            gpu.conv().backwardData(g, tdy, tw, tdx, false);
            close(ref[0], get(tdx), 1e-4, "conv backwardData " + g);
            float[] before = get(tdx);
            gpu.conv().backwardData(g, tdy, tw, tdx, true);
            close(plus(ref[0], before), get(tdx), 1e-4, "conv backwardData accumulate " + g);
            gpu.conv().backwardFilter(g, tx, tdy, tdw, false);
            close(ref[1], get(tdw), 1e-4, "conv backwardFilter " + g);
            before = get(tdw);
            gpu.conv().backwardFilter(g, tx, tdy, tdw, true);
            close(plus(ref[1], before), get(tdw), 1e-4, "conv backwardFilter accumulate " + g);

            double[] db = new double[g.cOut()];
            int plane = g.outH() * g.outW();
            for (int i = 0; i < dy.length; i++) db[i / plane % g.cOut()] += dy[i];
            Tensor tdb = gpu.memory().allocate(g.cOut());
            gpu.conv().backwardBias(tdy, tdb, false);
            close(db, get(tdb), 1e-5, "conv backwardBias " + g);
            before = get(tdb);
            gpu.conv().backwardBias(tdy, tdb, true);
            close(plus(db, before), get(tdb), 1e-5, "conv backwardBias accumulate " + g);
            System.out.println("[cudnn] " + g + ": " + gpu.convAlgorithms(g));
            for (Tensor t : new Tensor[] {tx, tw, tb, ty, tdy, tdx, tdw, tdb}) gpu.memory().release(t);
        }
    }

    @Test
    void plansAndWorkspaceAreCachedPerShape() {
        Conv2dGeometry g = new Conv2dGeometry(2, 3, 12, 12, 6, 3, 3, 1, 1, 1, 1, 1, 1);
        Tensor x = put(randn(2 * 3 * 144, 1), g.inputShape()), w = put(randn(6 * 27, 2), g.weightShape());
        Tensor y = gpu.memory().allocate(g.outputShape()), dx = gpu.memory().allocate(g.inputShape());
        Tensor dw = gpu.memory().allocate(g.weightShape());
        Runnable step = () -> {
            gpu.conv().forward(g, x, w, null, y);
            gpu.conv().backwardData(g, y, w, dx, false);
            gpu.conv().backwardFilter(g, x, y, dw, false);
        };
        step.run();
        gpu.synchronize();
        int plans = gpu.convPlanCount();
        long mallocs = gpu.mallocCalls();
        for (int i = 0; i < 5; i++) step.run();
        gpu.synchronize();
        assertEquals(plans, gpu.convPlanCount(), "a repeated shape must reuse its plan");
        assertEquals(mallocs, gpu.mallocCalls(), "a repeated step must not call cudaMalloc (workspace from the pool)");
        assertNotNull(gpu.convAlgorithms(g));
        for (Tensor t : new Tensor[] {x, w, y, dx, dw}) gpu.memory().release(t);
    }

    // -------------------------------------------------------------------------------------------- pooling

    @Test
    void poolingMatchesTheReference() {
        List<Pool2dGeometry> shapes = List.of(
                new Pool2dGeometry(2, 3, 8, 8, 2, 2, 2, 2, 0, 0, true),
                new Pool2dGeometry(1, 2, 9, 7, 3, 3, 2, 2, 1, 1, true),
                new Pool2dGeometry(1, 2, 9, 7, 3, 3, 2, 2, 1, 1, false),
                new Pool2dGeometry(3, 1, 6, 10, 3, 2, 1, 2, 1, 0, false));
        long seed = 50;
        for (Pool2dGeometry g : shapes) {
            int oh = g.outH(), ow = g.outW(), nIn = g.n() * g.c() * g.h() * g.w(), nOut = g.n() * g.c() * oh * ow;
            float[] x = randn(nIn, seed++), dy = randn(nOut, seed++);   // continuous random values: no ties
            double[] ymax = new double[nOut], yavg = new double[nOut], dxMax = new double[nIn], dxAvg = new double[nIn];
            for (int p = 0; p < g.n() * g.c(); p++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
                int o = (p * oh + oy) * ow + ox, arg = -1, count = 0;
                double best = Double.NEGATIVE_INFINITY, sum = 0;
                for (int ky = 0; ky < g.kh(); ky++) for (int kx = 0; kx < g.kw(); kx++) {
                    int iy = oy * g.strideH() - g.padH() + ky, ix = ox * g.strideW() - g.padW() + kx;
                    if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) continue;
                    int i = (p * g.h() + iy) * g.w() + ix;
                    if (x[i] > best) {
                        best = x[i];
                        arg = i;
                    }
                    sum += x[i];
                    count++;
                }
                int div = g.countIncludePad() ? g.kh() * g.kw() : count;
                ymax[o] = best;
                yavg[o] = sum / div;
                dxMax[arg] += dy[o];
                for (int ky = 0; ky < g.kh(); ky++) for (int kx = 0; kx < g.kw(); kx++) {
                    int iy = oy * g.strideH() - g.padH() + ky, ix = ox * g.strideW() - g.padW() + kx;
                    if (iy < 0 || iy >= g.h() || ix < 0 || ix >= g.w()) continue;
                    dxAvg[(p * g.h() + iy) * g.w() + ix] += dy[o] / div;
                }
            }
            Tensor tx = put(x, g.inputShape()), tdy = put(dy, g.outputShape());
            Tensor ty = gpu.memory().allocate(g.outputShape()), tdx = gpu.memory().allocate(g.inputShape());
            gpu.pool().maxForward(g, tx, ty);
            close(ymax, get(ty), 0, "max pool forward " + g);
            gpu.pool().maxBackward(g, tx, ty, tdy, tdx, false);
            close(dxMax, get(tdx), 1e-6, "max pool backward " + g);
            float[] before = get(tdx);
            gpu.pool().maxBackward(g, tx, ty, tdy, tdx, true);
            close(plus(dxMax, before), get(tdx), 1e-6, "max pool backward accumulate " + g);
            gpu.pool().avgForward(g, tx, ty);
            close(yavg, get(ty), 1e-5, "avg pool forward " + g);
            gpu.pool().avgBackward(g, tdy, tdx, false);
            close(dxAvg, get(tdx), 1e-5, "avg pool backward " + g);
            before = get(tdx);
            gpu.pool().avgBackward(g, tdy, tdx, true);
            close(plus(dxAvg, before), get(tdx), 1e-5, "avg pool backward accumulate " + g);
            for (Tensor t : new Tensor[] {tx, tdy, ty, tdx}) gpu.memory().release(t);
        }
    }

    // -------------------------------------------------------------------------------------------- up-sampling

    /** PyTorch's align_corners=False source coordinate, in float as PyTorch computes it. */
    private static double[] lerp(int dst, int scale, int size) {
        float src = (1.0f / scale) * (dst + 0.5f) - 0.5f;
        if (src < 0) src = 0;
        int i0 = Math.min((int) src, size - 1);
        int i1 = i0 + (i0 < size - 1 ? 1 : 0);
        float l1 = src - i0;
        return new double[] {i0, i1, 1 - l1, l1};
    }

    @Test
    void upsamplingMatchesTheReference() {
        int[][] cases = {{2, 3, 5, 4, 2, 2}, {1, 2, 3, 7, 3, 1}, {1, 1, 1, 1, 4, 4}, {2, 1, 6, 3, 1, 3}};
        long seed = 80;
        for (int[] c : cases) {
            int n = c[0], ch = c[1], h = c[2], w = c[3], sh = c[4], sw = c[5], oh = h * sh, ow = w * sw, planes = n * ch;
            float[] x = randn(planes * h * w, seed++), dy = randn(planes * oh * ow, seed++);
            Tensor tx = put(x, n, ch, h, w), tdy = put(dy, n, ch, oh, ow);
            Tensor ty = gpu.memory().allocate(n, ch, oh, ow), tdx = gpu.memory().allocate(n, ch, h, w);
            for (Upsample mode : Upsample.values()) {
                double[] y = new double[dy.length], dx = new double[x.length];
                for (int p = 0; p < planes; p++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
                    int o = (p * oh + oy) * ow + ox;
                    if (mode == Upsample.NEAREST) {
                        int i = (p * h + oy / sh) * w + ox / sw;
                        y[o] = x[i];
                        dx[i] += dy[o];
                    } else {
                        double[] ly = lerp(oy, sh, h), lx = lerp(ox, sw, w);
                        for (int a = 0; a < 2; a++) for (int b = 0; b < 2; b++) {
                            int i = (p * h + (int) ly[a]) * w + (int) lx[b];
                            double wgt = ly[2 + a] * lx[2 + b];
                            y[o] += wgt * x[i];
                            dx[i] += wgt * dy[o];
                        }
                    }
                }
                gpu.pool().upsampleForward(mode, sh, sw, tx, ty);
                close(y, get(ty), 1e-6, "upsample forward " + mode + " " + java.util.Arrays.toString(c));
                gpu.pool().upsampleBackward(mode, sh, sw, tdy, tdx, false);
                close(dx, get(tdx), 1e-5, "upsample backward " + mode + " " + java.util.Arrays.toString(c));
                float[] before = get(tdx);
                gpu.pool().upsampleBackward(mode, sh, sw, tdy, tdx, true);
                close(plus(dx, before), get(tdx), 1e-5, "upsample backward accumulate " + mode);
            }
            for (Tensor t : new Tensor[] {tx, tdy, ty, tdx}) gpu.memory().release(t);
        }
    }

    // -------------------------------------------------------------------------------------------- batch norm

    @Test
    void batchNormMatchesTheReference() {
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

        Tensor tx = put(x, n, c, h, w), tdy = put(dy, n, c, h, w), tg = put(gamma, c), tb = put(beta, c);
        Tensor trm = put(rm, c), trv = put(rv, c), ty = gpu.memory().allocate(n, c, h, w);
        Tensor sm = gpu.memory().allocate(c), sis = gpu.memory().allocate(c), tdx = gpu.memory().allocate(n, c, h, w);
        Tensor tdg = gpu.memory().allocate(c), tdb = gpu.memory().allocate(c);
        gpu.norm().batchNormTrainForward(tx, tg, tb, trm, trv, momentum, eps, ty, sm, sis);
        close(y, get(ty), 1e-4, "batch norm forward y");
        close(mean, get(sm), 1e-5, "batch norm saveMean");
        close(invStd, get(sis), 1e-4, "batch norm saveInvStd");
        close(newRm, get(trm), 1e-5, "batch norm running mean");
        close(newRv, get(trv), 1e-4, "batch norm running var (unbiased)");

        gpu.norm().batchNormBackward(tx, tdy, tg, sm, sis, eps, tdx, tdg, tdb, false);
        close(dx, get(tdx), 1e-4, "batch norm dx");
        close(dgamma, get(tdg), 1e-4, "batch norm dgamma");
        close(dbeta, get(tdb), 1e-4, "batch norm dbeta");
        float[] g0 = get(tdg), b0 = get(tdb);
        gpu.norm().batchNormBackward(tx, tdy, tg, sm, sis, eps, tdx, tdg, tdb, true);
        close(plus(dgamma, g0), get(tdg), 1e-4, "batch norm dgamma accumulate");
        close(plus(dbeta, b0), get(tdb), 1e-4, "batch norm dbeta accumulate");
        float[] g1 = get(tdg);
        gpu.norm().batchNormBackward(tx, tdy, tg, sm, sis, eps, tdx, tdg, null, true);   // a null gradient, as the CPU allows
        close(plus(dgamma, g1), get(tdg), 1e-4, "batch norm dgamma accumulate without dbeta");
        close(dx, get(tdx), 1e-4, "batch norm dx without dbeta");

        float[] rmNow = get(trm), rvNow = get(trv);
        double[] yi = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int k = i / (h * w) % c;
            yi[i] = gamma[k] * (x[i] - rmNow[k]) / Math.sqrt(rvNow[k] + eps) + beta[k];
        }
        gpu.norm().batchNormInference(tx, tg, tb, trm, trv, eps, ty);
        close(yi, get(ty), 1e-4, "batch norm inference");
        for (Tensor t : new Tensor[] {tx, tdy, tg, tb, trm, trv, ty, sm, sis, tdx, tdg, tdb}) gpu.memory().release(t);
    }
}
