package dev.bottleneck.backend.cuda;

import dev.bottleneck.testing.RequireCuda;

import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Availability;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.BinaryOp;
import dev.bottleneck.backend.CounterRng;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A smoke test of the CUDA backend against the CPU backend (F32) on the same inputs. Skips, printing the
 * probe's reason, where no usable GPU is present. The full conformance suite lives elsewhere; this checks the
 * plumbing that only a GPU can: NVRTC compile + cache, launches and argument layouts, cuBLAS row-major
 * mapping, offsets into views, the allocator's reuse, and bit-exact counter-based random numbers.
 */
class CudaBackendGpuTest {
    private static Backend gpu;
    private static CpuBackend cpu;

    @BeforeAll
    static void open() {
        Availability a = new CudaBackendProvider().probe();
        RequireCuda.assume(a.available(), () -> "no usable GPU: " + a.reason());
        gpu = new CudaBackendProvider().create(BackendOptions.defaults());
        cpu = new CpuBackend(DType.F32);
        System.out.println("[cuda] " + gpu.describe());
    }

    @AfterAll
    static void close() {
        if (gpu != null) gpu.close();
        if (cpu != null) cpu.close();
    }

    private static float[] randn(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    private static Tensor put(Backend b, float[] data, int... shape) {
        Tensor t = b.memory().allocate(shape);
        b.memory().upload(data, t);
        return t;
    }

    private static void close(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) && Double.isNaN(a)) continue;
            assertTrue(Math.abs(e - a) <= tol * (1 + Math.abs(e)), what + " [" + i + "]: expected " + e + ", got " + a);
        }
    }

    @Test
    void describeNamesTheDevice() {
        String d = gpu.describe();
        assertTrue(d.startsWith("cuda: ") && d.contains("(sm_") && d.contains(" GiB), driver ") && d.contains("cuBLAS")
                && d.contains("cuDNN") && d.contains("NVRTC") && d.contains("FP32 (TF32 off)"), d);
    }

    @Test
    void uploadDownloadAndViews() {
        float[] x = randn(1000, 1);
        Tensor t = put(gpu, x, 10, 100);
        assertArrayEquals(x, gpu.memory().toFloatArray(t));
        Tensor row3 = t.rowSlice(3, 2);
        float[] back = gpu.memory().toFloatArray(row3);
        for (int i = 0; i < 200; i++) assertEquals(x[300 + i], back[i]);
        assertEquals(x[517], (float) gpu.memory().readScalar(t.view(517, 1)));
        gpu.memory().fill(row3, 2.5);
        assertEquals(2.5, gpu.memory().readScalar(t.view(350, 1)));
        assertEquals(x[299], (float) gpu.memory().readScalar(t.view(299, 1)));
        gpu.memory().release(t);
    }

    @Test
    void gemmMatchesCpuForAllTransposes() {
        int m = 37, n = 53, k = 29;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                float[] a = randn(m * k, 2), b = randn(k * n, 3), c = randn(m * n, 4);
                int lda = ta ? m : k, ldb = tb ? k : n;
                float[] expect, got;
                {
                    Tensor ta1 = put(cpu, a, m * k), tb1 = put(cpu, b, k * n), tc1 = put(cpu, c, m * n);
                    cpu.blas().gemm(ta, tb, m, n, k, 0.5, ta1, lda, tb1, ldb, 0.25, tc1, n);
                    expect = cpu.memory().toFloatArray(tc1);
                }
                {
                    Tensor ta1 = put(gpu, a, m * k), tb1 = put(gpu, b, k * n), tc1 = put(gpu, c, m * n);
                    gpu.blas().gemm(ta, tb, m, n, k, 0.5, ta1, lda, tb1, ldb, 0.25, tc1, n);
                    got = gpu.memory().toFloatArray(tc1);
                }
                close(expect, got, 1e-5, "gemm " + ta + " " + tb);
            }
        }
    }

    @Test
    void elementwiseActivationsAndBroadcasting() {
        float[] a = randn(6 * 5 * 4, 5), b = randn(5 * 1, 6), row = randn(4, 7);
        for (BinaryOp op : BinaryOp.values()) {
            for (float[][] pair : new float[][][] {{a, b}, {a, row}}) {
                int[] bs = pair[1] == b ? new int[] {5, 1} : new int[] {4};
                Tensor co = cpu.memory().allocate(6, 5, 4), go = gpu.memory().allocate(6, 5, 4);
                cpu.elementwise().binary(op, put(cpu, a, 6, 5, 4), put(cpu, pair[1], bs), co);
                gpu.elementwise().binary(op, put(gpu, a, 6, 5, 4), put(gpu, pair[1], bs), go);
                close(cpu.memory().toFloatArray(co), gpu.memory().toFloatArray(go), 0, op + " " + java.util.Arrays.toString(bs));
            }
        }
        for (UnaryOp op : UnaryOp.values()) {
            Tensor co = cpu.memory().allocate(120), go = gpu.memory().allocate(120);
            cpu.elementwise().unary(op, put(cpu, a, 120), co);
            gpu.elementwise().unary(op, put(gpu, a, 120), go);
            close(cpu.memory().toFloatArray(co), gpu.memory().toFloatArray(go), 1e-6, op.name());
        }
        for (Activation act : Activation.values()) {
            Tensor cx = put(cpu, a, 120), gx = put(gpu, a, 120);
            Tensor cy = cpu.memory().allocate(120), gy = gpu.memory().allocate(120);
            cpu.activations().forward(act, act.defaultAlpha, cx, cy);
            gpu.activations().forward(act, act.defaultAlpha, gx, gy);
            close(cpu.memory().toFloatArray(cy), gpu.memory().toFloatArray(gy), 1e-5, act + " forward");
            Tensor cdx = put(cpu, randn(120, 9), 120), gdx = put(gpu, randn(120, 9), 120);
            cpu.activations().backward(act, act.defaultAlpha, cx, cy, put(cpu, randn(120, 8), 120), cdx, true);
            gpu.activations().backward(act, act.defaultAlpha, gx, gy, put(gpu, randn(120, 8), 120), gdx, true);
            close(cpu.memory().toFloatArray(cdx), gpu.memory().toFloatArray(gdx), 1e-5, act + " backward");
        }
    }

    @Test
    void reductionsAreDeterministicAndMatch() {
        float[] x = randn(300_001, 10);
        Tensor gx = put(gpu, x, 300_001), out = gpu.memory().allocate(1);
        double ref = 0, sq = 0;
        for (float v : x) { ref += v; sq += (double) v * v; }
        gpu.reduce().sum(gx, out);
        double s1 = gpu.memory().readScalar(out);
        gpu.reduce().sum(gx, out);
        assertEquals(s1, gpu.memory().readScalar(out), 0.0, "same bits every run");
        assertEquals((float) ref, s1, 1e-6 * x.length);
        gpu.reduce().sumSquares(gx, out);
        assertEquals((float) sq, gpu.memory().readScalar(out), 1e-6 * sq);
        gpu.reduce().nonFinite(gx, out);
        assertEquals(0.0, gpu.memory().readScalar(out));
        gpu.memory().fill(gx.view(12345, 1), Double.NaN);
        gpu.reduce().nonFinite(gx, out);
        assertEquals(1.0, gpu.memory().readScalar(out));

        float[] m = randn(257 * 33, 11);
        int[][] targets = {{33}, {257, 1}, {1, 33}, {1}, {257, 33}};
        for (int[] ts : targets) {
            Tensor co = put(cpu, randn((int) Tensor.sizeOf(ts), 12), ts), go = put(gpu, randn((int) Tensor.sizeOf(ts), 12), ts);
            cpu.reduce().sumTo(put(cpu, m, 257, 33), 0.5, co);
            gpu.reduce().sumTo(put(gpu, m, 257, 33), 0.5, go);
            close(cpu.memory().toFloatArray(co), gpu.memory().toFloatArray(go), 1e-5, "sumTo " + java.util.Arrays.toString(ts));
        }
    }

    @Test
    void lossesMatch() {
        float[] p = randn(64 * 10, 13), t = new float[640];
        for (int i = 0; i < 640; i++) t[i] = i % 3 == 0 ? 1f : 0f;
        float[] prob = new float[640];
        for (int i = 0; i < 640; i++) prob[i] = (float) (1 / (1 + Math.exp(-p[i])));
        for (Loss kind : Loss.values()) {
            for (Loss.Reduction red : Loss.Reduction.values()) {
                float[] in = kind == Loss.BCE ? prob : p;
                Tensor co = cpu.memory().allocate(1), go = gpu.memory().allocate(1);
                Tensor cg = cpu.memory().allocate(64, 10), gg = gpu.memory().allocate(64, 10);
                cpu.losses().lossAndGrad(kind, red, put(cpu, in, 64, 10), put(cpu, t, 64, 10), co, cg, 1.5);
                gpu.losses().lossAndGrad(kind, red, put(gpu, in, 64, 10), put(gpu, t, 64, 10), go, gg, 1.5);
                assertEquals(cpu.memory().readScalar(co), gpu.memory().readScalar(go), 1e-5, kind + " " + red);
                close(cpu.memory().toFloatArray(cg), gpu.memory().toFloatArray(gg), 1e-6, kind + " grad");
            }
        }
    }

    @Test
    void randomNumbersReproduceCounterRng() {
        int n = 10_000;
        long seed = 0x1234_5678_9abcL, counter = (1L << 33) + 7;
        Tensor u = gpu.memory().allocate(n), z = gpu.memory().allocate(n), b = gpu.memory().allocate(n);
        gpu.random().uniform(u, seed, counter, -2, 3);
        gpu.random().normal(z, seed, counter, 1, 0.5);
        gpu.random().bernoulli(b, seed, counter, 0.3);
        float[] uf = gpu.memory().toFloatArray(u), zf = gpu.memory().toFloatArray(z), bf = gpu.memory().toFloatArray(b);
        for (int i = 0; i < n; i++) {
            assertEquals((float) (-2 + 5.0 * CounterRng.uniform(seed, counter + i)), uf[i], 0f, "uniform bit-exact at " + i);
            assertEquals((float) (1 + 0.5 * CounterRng.normal(seed, counter + i)), zf[i], 1e-6f, "normal at " + i);
            assertEquals(CounterRng.uniform(seed, counter + i) < 0.3 ? 1f : 0f, bf[i], 0f, "bernoulli at " + i);
        }
    }

    @Test
    void optimizersMatch() {
        int n = 5000;
        float[] p = randn(n, 20), g = randn(n, 21), s1 = randn(n, 22), s2 = new float[n];
        for (int i = 0; i < n; i++) s2[i] = Math.abs(s1[i]);
        for (int which = 0; which < 4; which++) {
            Tensor cp = put(cpu, p, n), cg = put(cpu, g, n), ca = put(cpu, s1, n), cb = put(cpu, s2, n);
            Tensor gp = put(gpu, p, n), gg = put(gpu, g, n), ga = put(gpu, s1, n), gb = put(gpu, s2, n);
            for (int step = 1; step <= 3; step++) {
                switch (which) {
                    case 0 -> { cpu.optimizer().sgd(cp, cg, ca, 0.1, 0.9, true, 1e-4); gpu.optimizer().sgd(gp, gg, ga, 0.1, 0.9, true, 1e-4); }
                    case 1 -> { cpu.optimizer().adam(cp, cg, ca, cb, 1e-3, 0.9, 0.999, 1e-8, 0.01, false, step);
                                gpu.optimizer().adam(gp, gg, ga, gb, 1e-3, 0.9, 0.999, 1e-8, 0.01, false, step); }
                    case 2 -> { cpu.optimizer().adam(cp, cg, ca, cb, 1e-3, 0.9, 0.999, 1e-8, 0.01, true, step);
                                gpu.optimizer().adam(gp, gg, ga, gb, 1e-3, 0.9, 0.999, 1e-8, 0.01, true, step); }
                    default -> { cpu.optimizer().rmsprop(cp, cg, cb, ca, 1e-2, 0.99, 1e-8, 0.0, 0.9);
                                 gpu.optimizer().rmsprop(gp, gg, gb, ga, 1e-2, 0.99, 1e-8, 0.0, 0.9); }
                }
            }
            close(cpu.memory().toFloatArray(cp), gpu.memory().toFloatArray(gp), 1e-6, "optimizer " + which);
        }
    }

    @Test
    void gatherRowsAndAllocatorReuse() {
        float[] data = randn(100 * 7, 30);
        Tensor src = put(gpu, data, 100, 7);
        int[] idx = {5, 99, 0, 42, 42, 17};
        Tensor dst = gpu.memory().allocate(4, 7);
        gpu.memory().gatherRows(src, idx, 2, dst);
        float[] got = gpu.memory().toFloatArray(dst);
        for (int i = 0; i < 4; i++) for (int c = 0; c < 7; c++) assertEquals(data[idx[2 + i] * 7 + c], got[i * 7 + c]);

        CudaBackend cb = (CudaBackend) gpu;
        for (int round = 0; round < 3; round++) {
            long before = cb.mallocCalls();
            Tensor[] ts = new Tensor[10];
            for (int i = 0; i < ts.length; i++) ts[i] = gpu.memory().allocate(1000 + 37 * i);
            for (Tensor t : ts) gpu.memory().release(t);
            if (round > 0) assertEquals(before, cb.mallocCalls(), "steady state must not call cudaMalloc");
        }
        assertTrue(gpu.memory().peakBytes() >= gpu.memory().bytesInUse());
    }
}
