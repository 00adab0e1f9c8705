package dev.bottleneck.bench;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.Backends;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.io.Json;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.Presets;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.Trainer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Benchmark of one reference workload (docs/WORKLOADS.md#throughput) in this process: samples/s over epochs 2..N, test loss,
 * peak resident memory, and for CPU backends the share of step time spent in GEMM plus the raw GEMM rate of the
 * same layer shapes. {@code scripts/bench.sh} runs it once per workload in a fresh JVM and prints the table.
 *
 * <p>Usage: {@code Bench WORKLOAD DATA EPOCHS BACKEND [SOURCE [LOADER_THREADS]]} — prints one JSON line. SOURCE is
 * {@code memory} (the training split uploaded whole, the default), {@code shards} (streamed from a shard directory
 * written once under target/bench-data) or {@code folder} (PNG files written once under target/bench-data, decoded
 * by LOADER_THREADS background threads while training); see {@link StreamedBench}. {@code vs-shards} and
 * {@code vs-folder} alternate one epoch in memory and one streamed, EPOCHS times each, in this one process, and
 * report each pair's ratio: adjacent epochs see the same machine, so the ratio holds on a busy one.
 */
public final class Bench {
    private Bench() {}

    public static void main(String[] args) throws Exception {
        String workload = args.length > 0 ? args[0] : "w1";
        String data = args.length > 1 ? args[1] : "fashion-mnist";
        int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        String backendName = args.length > 3 ? args[3] : "cpu";
        String source = args.length > 4 ? args[4] : "memory";
        int loaderThreads = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        Map<String, Object> out = new LinkedHashMap<>();
        if (source.startsWith("vs-")) {   // memory and a streamed source, epoch by epoch in this one process
            System.out.println(Json.writeCompact(StreamedBench.interleaved(workload, data, epochs, backendName, source.substring(3), loaderThreads)));
            return;
        }
        StreamedBench streamed = source.equals("memory") ? null : StreamedBench.open(source, data, loaderThreads, out);
        TrainTest tt = streamed == null ? DataSources.resolve(data, null, null, 42) : null;
        try (Backend be = Backends.create(backendName, BackendOptions.defaults(), s -> System.err.println(s))) {
            Autoencoder model = new Autoencoder(Presets.get(workload)).bind(be, 42);
            Presets.TrainingDefaults d = Presets.defaults(workload);
            FitConfig cfg = new FitConfig().epochs(epochs).batch(d.batch()).seed(42).validation(0)
                    .optimizer(OptimizerConfig.of(d.optimizer(), d.lr())).progress(false);
            // epoch 1 is warm-up (JIT, pools); profile GEMM only over epochs 2..N
            Trainer.Result r;
            double gemmSeconds;
            double gemmFlop;
            try (Trainer t = new Trainer(model, cfg.epochs(1), s -> System.err.println(s))) {
                if (streamed == null) t.fit(tt.train(), null, null);
                else streamed.fit(t, model, be, cfg);
            }
            model.bind(be, 42);
            try (Trainer t = new Trainer(model, cfg.epochs(epochs), s -> System.err.println(s))) {
                // re-run from scratch so the reported loss is that of exactly `epochs` epochs; warm JIT now
                be.profile(true);
                r = streamed == null ? t.fit(tt.train(), null, null) : streamed.fit(t, model, be, cfg);
                be.profile(false);
                Map<String, Double> c = be.profileCounters();
                Map<java.util.List<Integer>, Long> calls = be instanceof dev.bottleneck.backend.cpu.CpuBackend
                        ? ((dev.bottleneck.backend.cpu.CpuBackend) be).gemmCalls() : Map.of();
                gemmSeconds = c.getOrDefault("gemm_seconds", Double.NaN);
                gemmFlop = c.getOrDefault("gemm_flop", Double.NaN);
                out.put("workload", workload);
                out.put("data", data);
                out.put("source", source);
                out.put("backend", be.name());
                out.put("device", be.describe());
                out.put("epochs", epochs);
                out.put("samples_per_s", Math.round(r.samplesPerSecond())); // epochs 2..N of this run
                // the whole objective (for the VAE: reconstruction + KL, the negative ELBO the peers report)
                var test = streamed == null ? t.evaluate(tt.test(), 1000) : streamed.evaluateTest(model);
                out.put("test_loss", test.loss());
                out.put("test_reconstruction", test.reconstruction());
                // convolution calls (forward, backward data, backward filter: im2col + their own GEMMs), CPU backend
                double convSeconds = c.getOrDefault("conv_seconds", 0.0), convFlop = c.getOrDefault("conv_flop", 0.0);
                if (convSeconds > 0) {
                    out.put("conv_seconds", convSeconds);
                    out.put("conv_share", convSeconds / r.seconds());
                    out.put("conv_gflops_in_training", convFlop / convSeconds / 1e9);
                    // the machine's GEMM ceiling, for comparing the convolutions' rate with it
                    out.put("raw_gemm_gflops_1024", rawSquareGemmGflops(be, 1024));
                }
                // where the step time goes: op groups as timed by the backend (outermost calls of the training thread)
                Map<String, Object> shares = new LinkedHashMap<>();
                double grouped = 0;
                for (var e : c.entrySet()) {
                    if (!e.getKey().startsWith("group_seconds_")) continue;
                    shares.put(e.getKey().substring("group_seconds_".length()), e.getValue() / r.seconds());
                    grouped += e.getValue();
                }
                if (!shares.isEmpty()) {
                    shares.put("other", Math.max(0, r.seconds() - grouped) / r.seconds()); // data, graph, JIT, copies
                    out.put("shares", shares);
                }
                if (!calls.isEmpty()) {
                    double pure = pureGemmSeconds(be, calls);
                    out.put("pure_gemm_seconds", pure);
                    out.put("gemm_shapes", calls.size());
                    out.put("ratio_to_pure_gemm", r.seconds() / pure);
                }
            }
            if (!Double.isNaN(gemmSeconds)) {
                out.put("gemm_share", gemmSeconds / r.seconds());
                out.put("gemm_gflops_in_training", gemmFlop / gemmSeconds / 1e9);
                out.put("train_seconds", r.seconds());
                if (out.containsKey("pure_gemm_seconds")) {
                    // the rate of the workload's own GEMM shapes, each timed alone
                    out.put("raw_gemm_gflops", gemmFlop / (double) out.get("pure_gemm_seconds") / 1e9);
                }
            }
            out.put("peak_rss_mib", peakRssMiB());
            out.put("backend_peak_mib", be.memory().peakBytes() / (1024.0 * 1024.0));
        } finally {
            if (streamed != null) streamed.close();
        }
        out.put("OPENBLAS_CORETYPE", String.valueOf(System.getenv("OPENBLAS_CORETYPE")));
        out.put("OPENBLAS_L2_SIZE", String.valueOf(System.getenv("OPENBLAS_L2_SIZE")));
        System.out.println(Json.writeCompact(out));
    }

    /**
     * GFLOP/s of an n x n x n GEMM through the backend (the machine's practical GEMM rate): the fastest of 15 timed
     * calls after 3 warm-up calls. The fastest, not the total: on a shared machine the total swings with the other
     * load (217-324 GFLOP/s over 10 runs on 2 cores), the fastest of several is what the hardware does.
     */
    static double rawSquareGemmGflops(Backend be, int n) {
        Tensor a = be.memory().allocate(n, n), b = be.memory().allocate(n, n), c = be.memory().allocate(n, n);
        be.random().uniform(a, 1, 0, -1, 1);
        be.random().uniform(b, 2, 0, -1, 1);
        double best = Double.MAX_VALUE;
        for (int rep = 0; rep < 18; rep++) {
            be.synchronize();
            long t0 = System.nanoTime();
            be.blas().gemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
            be.synchronize();
            if (rep >= 3) best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        be.memory().release(a);
        be.memory().release(b);
        be.memory().release(c);
        return 2.0 * n * n * n / best / 1e9;
    }

    /**
     * The pure GEMM time of a training run: every GEMM shape it called, timed alone on the same backend (the fastest
     * of 9 calls after 2 warm-up calls, on operands of that shape), times the number of calls of that shape. The
     * fastest, as for the 1024³ reference: a median still moved with the other load of a shared machine.
     */
    static double pureGemmSeconds(Backend be, Map<java.util.List<Integer>, Long> calls) {
        double total = 0;
        for (var e : calls.entrySet()) {
            var s = e.getKey();
            boolean ta = s.get(0) == 1, tb = s.get(1) == 1;
            int m = s.get(2), n = s.get(3), k = s.get(4);
            Tensor a = be.memory().allocate(Math.max(1, m * k)), b = be.memory().allocate(Math.max(1, k * n));
            Tensor c = be.memory().allocate(Math.max(1, m * n));
            be.random().uniform(a, 1, 0, -1, 1);
            be.random().uniform(b, 2, 0, -1, 1);
            double[] t = new double[9];
            for (int rep = 0; rep < t.length + 2; rep++) {
                be.synchronize();
                long t0 = System.nanoTime();
                be.blas().gemm(ta, tb, m, n, k, 1, a, ta ? m : k, b, tb ? k : n, 0, c, n);
                be.synchronize();
                if (rep >= 2) t[rep - 2] = (System.nanoTime() - t0) / 1e9;
            }
            java.util.Arrays.sort(t);
            total += t[0] * e.getValue();
            be.memory().release(a);
            be.memory().release(b);
            be.memory().release(c);
        }
        return total;
    }

    static double peakRssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return Double.NaN;
    }

}
