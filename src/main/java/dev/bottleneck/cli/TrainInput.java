package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.ImageFolderReader;
import dev.bottleneck.data.shard.Samples;
import dev.bottleneck.data.shard.StreamedModelOps;
import dev.bottleneck.data.shard.StreamingBatchSource;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.ReconstructionStep;
import dev.bottleneck.train.TrainState;
import dev.bottleneck.train.Trainer;

import java.nio.file.Path;
import java.util.Map;

/**
 * What {@code train} trains on, split the way it always is (--limit, then the seeded --validation hold-out):
 * {@link InMemory} data uploaded to the backend whole, or {@link Streamed} data read from disk batch by batch. Both
 * give the model the same samples in the same order.
 */
abstract class TrainInput implements AutoCloseable {
    /** Loads or opens {@code data} and splits it. */
    static TrainInput load(String data, Path dataDir, CsvReader.Options csv, ImageFolderReader.Options images, long seed, String scale,
                           Integer limit, double validation, StreamOptionsMixin stream, Log log) {
        if (limit != null && limit < 2) throw new BottleneckException("--limit must be at least 2");
        StreamOptionsMixin so = stream == null ? StreamOptionsMixin.defaults() : stream;
        if (StreamedData.applies(data, dataDir, so.stream)) {
            StreamedData sd = StreamedData.forTraining(data, dataDir, images, seed, scale, so, log);
            if (!sd.hasTest()) {
                sd.close();
                throw new BottleneckException("shard directory '" + data + "' has no test split, which train reports its test loss on;"
                        + " add one to the manifest (see the README, 'Shards')");
            }
            return new Streamed(sd, limit, validation, seed, so, log);
        }
        return new InMemory(PreparedData.load(data, dataDir, csv, images, seed, scale), limit, validation, seed);
    }

    abstract int[] sampleShape();

    /** Values per sample. */
    int features() {
        long p = 1;
        for (int d : sampleShape()) p *= d;
        return (int) p;
    }

    /** Samples after --limit, before the validation hold-out. */
    abstract int allSamples();

    abstract int trainSamples();

    abstract int validationSamples();

    abstract int testSamples();

    /** config.json's data section. */
    abstract Map<String, Object> describe(long seed);

    abstract Trainer.Result fit(Trainer trainer, Autoencoder model, FitConfig cfg, TrainState state);

    abstract Trainer.Evaluation evaluateTest(Trainer trainer, Autoencoder model, int batch);

    /** The first {@code count} test samples in memory (for reconstruction.png). */
    abstract Dataset testHead(int count);

    boolean isImage() {
        return sampleShape().length == 3;
    }

    @Override
    public void close() {
    }

    /** The whole training split in memory, uploaded to the backend for training. */
    static final class InMemory extends TrainInput {
        private final PreparedData pd;
        private final Dataset all;
        private final Dataset.Split split;

        InMemory(PreparedData pd, Integer limit, double validation, long seed) {
            this.pd = pd;
            Dataset a = pd.train();
            if (limit != null) a = a.head(Math.min(limit, a.n()), a.name());
            this.all = a;
            this.split = validation > 0 ? a.split(validation, seed) : new Dataset.Split(a, null);
        }

        @Override int[] sampleShape() { return all.sampleShape(); }
        @Override int allSamples() { return all.n(); }
        @Override int trainSamples() { return split.train().n(); }
        @Override int validationSamples() { return split.validation() == null ? 0 : split.validation().n(); }
        @Override int testSamples() { return pd.test().n(); }
        @Override Map<String, Object> describe(long seed) { return pd.describe(seed); }

        @Override
        Trainer.Result fit(Trainer trainer, Autoencoder model, FitConfig cfg, TrainState state) {
            return trainer.fit(split.train(), split.validation(), state);
        }

        @Override
        Trainer.Evaluation evaluateTest(Trainer trainer, Autoencoder model, int batch) {
            return trainer.evaluate(pd.test(), batch);
        }

        @Override
        Dataset testHead(int count) {
            return pd.test();
        }
    }

    /**
     * Samples read from disk: the training split through a {@link StreamingBatchSource} (loader threads, read-ahead),
     * validation and test scored batch by batch, so memory does not depend on the size of the data.
     */
    static final class Streamed extends TrainInput {
        private final StreamedData sd;
        private final StreamOptionsMixin so;
        private final Samples all;
        private final Samples train;
        private final Samples validation;
        private final Log log;

        Streamed(StreamedData sd, Integer limit, double validation, long seed, StreamOptionsMixin so, Log log) {
            this.sd = sd;
            this.log = log;
            this.so = so;
            Samples a = limit == null ? sd.train() : sd.train().head(limit);
            this.all = a;
            // the rows Dataset.split picks (for a positive fraction), or all of them in order
            Dataset.IndexSplit sp = Dataset.splitIndices(a.size(), validation, seed);
            this.train = validation > 0 ? a.rows(sp.train()) : a;
            this.validation = sp.validation().length > 0 ? a.rows(sp.validation()) : null;
        }

        @Override int[] sampleShape() { return all.sampleShape(); }
        @Override int allSamples() { return all.size(); }
        @Override int trainSamples() { return train.size(); }
        @Override int validationSamples() { return validation == null ? 0 : validation.size(); }
        @Override int testSamples() { return sd.hasTest() ? sd.test().size() : 0; }
        @Override Map<String, Object> describe(long seed) { return sd.describe(seed); }

        @Override
        Trainer.Result fit(Trainer trainer, Autoencoder model, FitConfig cfg, TrainState state) {
            StreamedModelOps.Loading loading = so.loading();
            ReconstructionStep step = new ReconstructionStep(model, cfg.noise(), cfg.noise() == null ? null : sd.noiseRange());
            Samples v = validation;
            // the mean code activation is measured on the first samples of validation (else training), as in memory
            Samples probe = v != null ? v : train;
            try (StreamingBatchSource source = new StreamingBatchSource(model.params().backend(), train, loading.threads(), loading.prefetch())) {
                Trainer.Result r = trainer.fit(source, step, v == null ? null : () -> StreamedModelOps.evaluate(model, v, cfg.batch(), loading).loss(),
                        () -> StreamedModelOps.meanCodeActivation(model, probe, Trainer.CODE_SAMPLES), state);
                log.info(String.format(java.util.Locale.ROOT, "loader: %d batches on %d thread%s, the steps waited %.2f s for data in all",
                        source.gathers(), loading.threads(), loading.threads() == 1 ? "" : "s", source.waitSeconds()));
                return r;
            }
        }

        @Override
        Trainer.Evaluation evaluateTest(Trainer trainer, Autoencoder model, int batch) {
            if (!sd.hasTest()) return null;
            return StreamedModelOps.evaluate(model, sd.test(), batch, so.loading());
        }

        @Override
        Dataset testHead(int count) {
            return sd.hasTest() ? sd.test().head(count).materialize("test") : null;
        }

        @Override
        public void close() {
            sd.close();
        }
    }
}
