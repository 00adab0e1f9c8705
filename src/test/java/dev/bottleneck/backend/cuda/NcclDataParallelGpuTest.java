package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.Availability;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.CollectiveSupport;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.dist.DistEnv;
import dev.bottleneck.dist.DistributedRun;
import dev.bottleneck.dist.Timeouts;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.Presets;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.testing.RequireCuda;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.TrainState;
import dev.bottleneck.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Data-parallel training on a GPU, as far as one GPU allows: NCCL with a world of one rank (the whole path: id
 * through the store, non-blocking init, all-reduce and broadcast on the backend's stream, finalize), the CUDA step
 * against the CPU step, and two ranks sharing the GPU through the host ring (NCCL refuses two ranks on one device).
 * Skips without a GPU; fails instead with BOTTLENECK_REQUIRE_CUDA=1.
 */
class NcclDataParallelGpuTest {
    private static final String HOST = "127.0.0.1";

    static Backend cuda() {
        Availability a = new CudaBackendProvider().probe();
        RequireCuda.assume(a.available(), () -> "cuda: " + a.reason());
        return new CudaBackendProvider().create(new BackendOptions(DType.F32, false, 0));
    }

    static int freePort() {
        return dev.bottleneck.dist.RanksForTests.freePort();
    }

    static Dataset digits(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 784];
        for (int i = 0; i < n; i++) {
            double cx = 6 + r.nextDouble(16), cy = 6 + r.nextDouble(16), w = 1 + r.nextDouble(3);
            for (int p = 0; p < 784; p++) {
                double dx = (p % 28) - cx, dy = (p / 28) - cy;
                x[i * 784 + p] = (float) Math.exp(-(dx * dx + dy * dy) / (2 * w * w));
            }
        }
        return new Dataset(x, n, new int[] {1, 28, 28}, null, "digits");
    }

    static FitConfig config(int epochs, int batch) {
        return new FitConfig().epochs(epochs).batch(batch).seed(11).validation(0).optimizer(OptimizerConfig.adam(1e-3)).progress(false);
    }

    /** Trains W1; with {@code run} non-null as one rank of that job. Returns the weights. */
    static float[] train(Backend be, Dataset data, int epochs, int batch, DistributedRun run, List<String> log) {
        Autoencoder ae = new Autoencoder(Presets.get("w1")).bind(be, 5);
        try (Trainer t = new Trainer(ae, config(epochs, run == null ? batch : run.globalBatch(batch)), s -> { })) {
            TrainState start = null;
            if (run != null) {
                run.join(log::add);
                start = run.start(be, ae.params(), t.optimizer(), null, log::add);
                t.dataParallel(run.dataParallel());
            }
            t.fit(data, null, start);
            float[] w = ae.params().valuesToHost();
            ae.params().close();
            return w;
        }
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @Test
    void ncclWithOneRankTrainsExactlyAsOneProcess() throws Exception {
        try (Backend be = cuda()) {
            CollectiveSupport s = be.collectives();
            RequireCuda.assume(s != null && s.unavailable() == null, () -> "NCCL: " + (s == null ? "none" : s.unavailable()));
            Dataset data = digits(1001, 3);
            float[] alone = train(be, data, 4, 128, null, new ArrayList<>());
            List<String> log = new ArrayList<>();
            float[] nccl;
            try (DistributedRun run = DistributedRun.of(DistEnv.local(0, 1, HOST, freePort()), Timeouts.ofSeconds(60, 60))) {
                nccl = train(be, data, 4, 128, run, log);
                assertTrue(run.describe(128).get("collective").toString().startsWith("NCCL 2."), log.toString());
            }
            System.out.println("[nccl] " + log);
            assertArrayEquals(alone, nccl, "one rank's sum is its own gradient: the same bits");
        }
    }

    @Test
    void aCudaStepMatchesTheCpuStep() throws Exception {
        Dataset data = digits(256, 4);
        float[] cpuW;
        try (CpuBackend cpu = new CpuBackend(DType.F32)) {
            cpuW = train(cpu, data, 1, 256, null, new ArrayList<>()); // one step of 256
        }
        try (Backend be = cuda()) {
            List<String> log = new ArrayList<>();
            float[] gpuW;
            try (DistributedRun run = DistributedRun.of(DistEnv.local(0, 1, HOST, freePort()), Timeouts.ofSeconds(60, 60))) {
                gpuW = train(be, data, 1, 256, run, log);
            }
            double d = maxDiff(cpuW, gpuW);
            System.out.printf(Locale.ROOT, "[nccl] one W1 step, CUDA (%s) vs CPU: max |dw| = %.3g%n", log, d);
            // one Adam step moves each weight by about lr = 1e-3, whatever the gradient's size; FP32 GEMMs agree to ~1e-6 relative
            assertTrue(d < 2e-5, "max |dw| " + d);
        }
    }

    @Test
    void twoRanksOnOneGpuThroughTheHostRingMatchOneProcess() throws Exception {
        Dataset data = digits(1001, 5);
        float[] alone;
        try (Backend be = cuda()) {
            alone = train(be, data, 4, 128, null, new ArrayList<>());
        }
        int port = freePort();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<float[]>> fs = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                fs.add(pool.submit(() -> {
                    try (Backend be = cuda();
                         DistributedRun run = DistributedRun.of(DistEnv.local(rank, 2, HOST, port), Timeouts.ofSeconds(60, 60),
                                 Map.of(DistributedRun.COLLECTIVE_ENV, "tcp"))) {
                        return train(be, data, 4, 64, run, new ArrayList<>());
                    }
                }));
            }
            float[] r0 = fs.get(0).get(300, TimeUnit.SECONDS), r1 = fs.get(1).get(300, TimeUnit.SECONDS);
            assertArrayEquals(r0, r1, "both ranks end with the same bits");
            double d = maxDiff(alone, r0);
            System.out.printf(Locale.ROOT, "[nccl] 2 ranks x 64 on one GPU (host ring) vs 1 x 128: max |dw| = %.3g after 32 steps%n", d);
            assertTrue(d < 1e-5, "max |dw| " + d);
        } finally {
            pool.shutdownNow();
        }
    }
}
