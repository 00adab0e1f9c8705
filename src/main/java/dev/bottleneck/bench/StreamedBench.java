package dev.bottleneck.bench;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.data.shard.ImageFolderSamples;
import dev.bottleneck.data.shard.Samples;
import dev.bottleneck.data.shard.ShardConverter;
import dev.bottleneck.data.shard.ShardManifest;
import dev.bottleneck.data.shard.ShardSet;
import dev.bottleneck.data.shard.StreamedModelOps;
import dev.bottleneck.data.shard.StreamingBatchSource;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.ReconstructionStep;
import dev.bottleneck.train.Trainer;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The streamed sources of {@link Bench}: the training split read from shards (written once with
 * {@link ShardConverter} under {@code target/bench-data/DATA-shards}) or decoded from PNG files (written once under
 * {@code target/bench-data/DATA-png}, one class folder per label), through a {@link StreamingBatchSource}. For the
 * folder it also measures how many images per second the loader threads decode on their own.
 */
final class StreamedBench implements AutoCloseable {
    private final ShardSet shards;
    private final Samples train;
    private final Samples test;
    private final int threads;
    private final int prefetch;
    /** Seconds the steps of the last {@link #fit} waited for the loaders. */
    private double lastWaitSeconds;

    private StreamedBench(ShardSet shards, Samples train, Samples test, int threads) {
        this.shards = shards;
        this.train = train;
        this.test = test;
        this.threads = threads;
        this.prefetch = Math.max(4, 2 * threads);
    }

    static StreamedBench open(String source, String data, int threads, Map<String, Object> out) {
        Path root = Path.of("target", "bench-data");
        out.put("loader_threads", threads);
        if (source.equals("shards")) {
            Path dir = root.resolve(data + "-shards");
            if (!ShardManifest.isShardDirectory(dir)) {
                ShardConverter.convert(data, dir, new ShardConverter.Options(256L << 20, null, 42, null, null, null, null),
                        s -> System.err.println(s));
            }
            ShardSet set = ShardSet.open(dir, ShardSet.Verify.FIRST_OPEN, s -> System.err.println(s));
            out.put("mapped", set.split("train").mapped());
            return new StreamedBench(set, set.split("train"), set.split("test"), threads);
        }
        if (source.equals("folder")) {
            Path dir = root.resolve(data + "-png");
            if (!Files.isRegularFile(dir.resolve(".complete"))) writePngs(data, dir);
            ImageFolderSamples all = ImageFolderSamples.open(dir, new dev.bottleneck.data.ImageFolderReader.Options(1, 0, 0));
            Dataset.IndexSplit sp = Dataset.splitIndices(all.size(), DataSources.CSV_HOLDOUT, 42);
            out.put("decode_images_per_s", Math.round(decodeRate(all, threads, Math.min(all.size(), 6000))));
            return new StreamedBench(null, all.rows(sp.train()), all.rows(sp.validation()), threads);
        }
        throw new BottleneckException("unknown bench source '" + source + "': expected memory, shards or folder");
    }

    /** Trains {@code t} on the streamed training split (no validation, like the in-memory bench). */
    Trainer.Result fit(Trainer t, Autoencoder model, Backend be, FitConfig cfg) {
        try (StreamingBatchSource src = new StreamingBatchSource(be, train, threads, prefetch)) {
            Trainer.Result r = t.fit(src, new ReconstructionStep(model, null, null), null,
                    () -> StreamedModelOps.meanCodeActivation(model, train, Trainer.CODE_SAMPLES), null);
            System.err.printf("loader: %d batches, the steps waited %.2f s for data%n", src.gathers(), src.waitSeconds());
            lastWaitSeconds = src.waitSeconds();
            return r;
        }
    }

    Trainer.Evaluation evaluateTest(Autoencoder model) {
        return StreamedModelOps.evaluate(model, test, 1000, new StreamedModelOps.Loading(threads, prefetch));
    }

    /**
     * Alternates epochs: one on the training split in memory, one streamed from {@code source} (shards or folder),
     * {@code pairs} times, each from the same initial weights after a warm-up epoch of each; returns every epoch's
     * samples/s and the median of the pairs' ratios (streamed / memory).
     */
    static Map<String, Object> interleaved(String workload, String data, int pairs, String backendName, String source, int threads) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        StreamedBench streamed = open(source, data, threads, out);
        TrainTest tt = source.equals("folder") ? null : DataSources.resolve(data, null, null, 42);
        Dataset memory = tt != null ? tt.train() : streamed.train.materialize("folder-in-memory");
        java.util.List<Double> mem = new java.util.ArrayList<>(), str = new java.util.ArrayList<>(), ratio = new java.util.ArrayList<>();
        java.util.List<Double> waits = new java.util.ArrayList<>();
        try (Backend be = dev.bottleneck.backend.Backends.create(backendName, dev.bottleneck.backend.BackendOptions.defaults(),
                s -> System.err.println(s))) {
            Autoencoder model = new Autoencoder(dev.bottleneck.model.Presets.get(workload)).bind(be, 42);
            dev.bottleneck.model.Presets.TrainingDefaults d = dev.bottleneck.model.Presets.defaults(workload);
            FitConfig cfg = new FitConfig().epochs(1).batch(d.batch()).seed(42).validation(0)
                    .optimizer(dev.bottleneck.optim.OptimizerConfig.of(d.optimizer(), d.lr())).progress(false);
            for (int k = -1; k < pairs; k++) {   // k = -1: warm-up of both paths
                double[] rate = new double[2];
                for (int which = 0; which < 2; which++) {
                    model.bind(be, 42);
                    try (Trainer t = new Trainer(model, cfg, s -> { })) {
                        long t0 = System.nanoTime();
                        Trainer.Result r = which == 0 ? t.fit(memory, null, null) : streamed.fit(t, model, be, cfg);
                        rate[which] = r.samplesPerSecond();
                        if (!(rate[which] > 0)) rate[which] = (which == 0 ? memory.n() : streamed.train.size()) / ((System.nanoTime() - t0) / 1e9);
                    }
                }
                if (k < 0) continue;
                mem.add((double) Math.round(rate[0]));
                str.add((double) Math.round(rate[1]));
                ratio.add(Math.round(rate[1] / rate[0] * 1000) / 1000.0);
                waits.add(Math.round(streamed.lastWaitSeconds * 1000) / 1000.0);
            }
            out.put("workload", workload);
            out.put("data", data);
            out.put("source", "vs-" + source);
            out.put("backend", be.name());
            out.put("memory_samples_per_s", mem);
            out.put(source + "_samples_per_s", str);
            out.put("ratios", ratio);
            out.put("loader_wait_s", waits);
            java.util.List<Double> sorted = new java.util.ArrayList<>(ratio);
            java.util.Collections.sort(sorted);
            int m = sorted.size();
            out.put("median_ratio", m == 0 ? null : m % 2 == 1 ? sorted.get(m / 2) : (sorted.get(m / 2 - 1) + sorted.get(m / 2)) / 2);
            out.put("peak_rss_mib", Bench.peakRssMiB());
        } finally {
            streamed.close();
        }
        return out;
    }

    /** Images per second that {@code threads} threads decode (resize and convert included), nothing else running. */
    static double decodeRate(Samples s, int threads, int count) {
        int t = Math.max(1, threads);
        ExecutorService pool = Executors.newFixedThreadPool(t);
        try {
            AtomicInteger next = new AtomicInteger();
            float[][] bufs = new float[t][s.features()];
            // warm-up: the decoders' classes and JIT
            for (int i = 0; i < Math.min(200, count); i++) s.read(i, bufs[0], 0);
            long t0 = System.nanoTime();
            Future<?>[] fs = new Future<?>[t];
            for (int k = 0; k < t; k++) {
                float[] b = bufs[k];
                fs[k] = pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < count; ) s.read(i, b, 0);
                });
            }
            for (Future<?> f : fs) f.get();
            return count / ((System.nanoTime() - t0) / 1e9);
        } catch (Exception e) {
            throw new BottleneckException("decoding the bench images failed: " + e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The training split of {@code data} as gray PNGs in one folder per label. */
    static void writePngs(String data, Path dir) {
        TrainTest tt = DataSources.resolve(data, null, null, 42);
        Dataset d = tt.train();
        int[] s = d.sampleShape();
        int h = s[1], w = s[2];
        System.err.println("writing " + d.n() + " PNG files to " + dir + " (once)");
        try {
            for (int i = 0; i < d.n(); i++) {
                Path cls = dir.resolve(String.valueOf(d.hasLabels() ? d.label(i) : 0));
                if (i < 10 || !Files.isDirectory(cls)) Files.createDirectories(cls);
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) img.getRaster().setSample(x, y, 0, Math.round(d.x()[i * h * w + y * w + x] * 255));
                }
                ImageIO.write(img, "png", cls.resolve(String.format("%05d.png", i)).toFile());
            }
            Files.writeString(dir.resolve(".complete"), "");
        } catch (IOException e) {
            throw new BottleneckException("cannot write the bench images to " + dir + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (shards != null) shards.close();
    }
}
