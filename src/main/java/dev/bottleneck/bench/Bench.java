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
            }
            if (!Double.isNaN(gemmSeconds)) {
                out.put("gemm_share", gemmSeconds / r.seconds());
                out.put("gemm_gflops_in_training", gemmFlop / gemmSeconds / 1e9);
                double raw = rawGemmGflops(be, workload, d.batch());
                out.put("raw_gemm_gflops", raw);
                out.put("pure_gemm_seconds", gemmFlop / (raw * 1e9));
                out.put("train_seconds", r.seconds());
                out.put("ratio_to_pure_gemm", r.seconds() / (gemmFlop / (raw * 1e9)));
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

    /** GFLOP/s of the forward and backward GEMMs of the workload's dense layers, called in a loop. */
    /** GFLOP/s of an n x n x n GEMM through the backend (the machine's practical GEMM rate). */
    static double rawSquareGemmGflops(Backend be, int n) {
        Tensor a = be.memory().allocate(n, n), b = be.memory().allocate(n, n), c = be.memory().allocate(n, n);
        be.random().uniform(a, 1, 0, -1, 1);
        be.random().uniform(b, 2, 0, -1, 1);
        long t0 = 0;
        for (int rep = 0; rep < 12; rep++) {
            if (rep == 2) {
                be.synchronize();
                t0 = System.nanoTime();
            }
            be.blas().gemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
        }
        be.synchronize();
        double s = (System.nanoTime() - t0) / 1e9;
        be.memory().release(a);
        be.memory().release(b);
        be.memory().release(c);
        return 10 * 2.0 * n * n * n / s / 1e9;
    }

    static double rawGemmGflops(Backend be, String workload, int batch) {
        int[] sizes = workload.equals("w2") ? new int[] {784, 1000, 500, 250, 30, 250, 500, 1000, 784}
                : workload.equals("w3") ? new int[] {3136, 16, 3136} : new int[] {784, 32, 784}; // w3: its dense layers only
        Tensor[] w = new Tensor[sizes.length - 1], x = new Tensor[sizes.length];
        for (int i = 0; i < sizes.length; i++) x[i] = be.memory().zeros(batch, sizes[i]);
        for (int i = 0; i < w.length; i++) {
            w[i] = be.memory().allocate(sizes[i + 1], sizes[i]);
            be.random().uniform(w[i], 1, 0, -0.1, 0.1);
        }
        Tensor dw = be.memory().allocate(1000 * 1000);
        double flop = 0;
        long t0 = 0;
        for (int rep = 0; rep < 25; rep++) {
            if (rep == 5) {
                be.synchronize();
                t0 = System.nanoTime();
                flop = 0;
            }
            for (int i = 0; i < w.length; i++) {
                int in = sizes[i], o = sizes[i + 1];
                be.blas().gemm(false, true, batch, o, in, 1, x[i], in, w[i], in, 0, x[i + 1], o);      // forward
                be.blas().gemm(false, false, batch, in, o, 1, x[i + 1], o, w[i], in, 0, x[i], in);    // input gradient
                be.blas().gemm(true, false, o, in, batch, 1, x[i + 1], o, x[i], in, 0, dw, in);        // weight gradient
                flop += 3.0 * 2.0 * batch * in * o;
            }
        }
        be.synchronize();
        double s = (System.nanoTime() - t0) / 1e9;
        for (Tensor t : x) be.memory().release(t);
        for (Tensor t : w) be.memory().release(t);
        be.memory().release(dw);
        return flop / s / 1e9;
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
