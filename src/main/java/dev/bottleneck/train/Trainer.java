package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.tensor.Tensor;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Trains an autoencoder: a {@link TrainingLoop} with the {@link ReconstructionStep} objective and the
 * {@link StandardListeners} of its {@link FitConfig} (seeded shuffles per epoch, validation every epoch, progress,
 * metrics, learning-rate schedule, gradient clipping, early stopping, a NaN/Inf guard, and a checkpoint after every
 * epoch from which {@link #fit} resumes exactly where it stopped).
 *
 * <p>The training split lives in backend memory; each step gathers its shuffled batch there. On device
 * backends the loss is accumulated on the device and read back only every {@link #SYNC_EVERY} steps.
 */
public final class Trainer implements AutoCloseable {
    /** On device backends, the loss is read back (and checked for NaN) every this many steps. */
    public static final int SYNC_EVERY = TrainingLoop.SYNC_EVERY;
    /** The loss-curve PNG written beside the metrics file after every epoch. */
    public static final String LOSS_CURVE = LossCurve.FILE;

    private final Autoencoder model;
    private final Backend be;
    private final FitConfig cfg;
    private final Consumer<String> log;
    private final Optimizer optimizer;
    private final PrintStream progressOut;
    private final List<TrainingListener> extraListeners = new ArrayList<>();
    private final List<GradientHook> gradientHooks = new ArrayList<>();
    private Map<String, Object> extraConfig = Map.of();
    private EventSink events = EventSink.NONE;
    private DataParallel parallel;

    public Trainer(Autoencoder model, FitConfig cfg, Consumer<String> log) {
        this(model, cfg, log, System.err);
    }

    public Trainer(Autoencoder model, FitConfig cfg, Consumer<String> log, PrintStream progressOut) {
        this.model = model;
        this.be = model.params().backend();
        this.cfg = cfg;
        this.log = log;
        this.progressOut = progressOut;
        this.optimizer = new Optimizer(cfg.optimizer(), model.params());
    }

    /** Extra sections for config.json (data source, preprocessing), written with each checkpoint. */
    public Trainer extraConfig(Map<String, Object> extra) {
        this.extraConfig = Map.copyOf(extra);
        return this;
    }

    /** A listener run after the standard ones in every {@link #fit}. */
    public Trainer listener(TrainingListener l) {
        extraListeners.add(l);
        return this;
    }

    /** A gradient hook run after every backward pass, before clipping and the optimizer step. */
    public Trainer gradientHook(GradientHook h) {
        gradientHooks.add(h);
        return this;
    }

    /**
     * Trains as one rank of a data-parallel job (null: alone); {@link FitConfig#batch()} is then the global batch.
     * See {@link TrainingLoop#dataParallel}.
     */
    public Trainer dataParallel(DataParallel p) {
        this.parallel = p;
        return this;
    }

    public Optimizer optimizer() { return optimizer; }

    /** Where machine-readable events of {@link #fit} go (epochs, steps, checkpoints); none by default. */
    public Trainer events(EventSink sink) {
        this.events = sink == null ? EventSink.NONE : sink;
        return this;
    }

    /** What {@link #fit} returns. */
    public record Result(TrainState state, double trainLoss, double valLoss, double samplesPerSecond, double seconds) { }

    /**
     * Trains on {@code train}, validating on {@code validation} (may be null) after each epoch.
     *
     * @param resume a state from {@link Resume#load} (or {@link Checkpoint#readState}) of {@code cfg.outDir()}, or null
     *               to start fresh (the weights and optimizer state must already have been loaded by the caller)
     */
    public Result fit(Dataset train, Dataset validation, TrainState resume) {
        if (train.features() != model.inputFeatures()) {
            throw new BottleneckException("the data has " + train.features() + " values per sample "
                    + java.util.Arrays.toString(train.sampleShape()) + " but the model's input is "
                    + java.util.Arrays.toString(model.inputShape()) + ": choose a model spec that starts with " + train.features());
        }
        boolean validate = validation != null && validation.n() > 0;
        Dataset codeProbe = validate ? validation : train;
        try (AlignedArrays data = AlignedArrays.of(be, train)) {
            return fit(data, ReconstructionStep.of(model, cfg, train), validate ? () -> evaluate(validation, cfg.batch()).loss() : null,
                    () -> meanCodeActivation(model, codeProbe, CODE_SAMPLES), resume);
        }
    }

    /**
     * Trains on any batch source (for example one streamed from shards on disk) with the same loop, listeners and
     * checkpoints as {@link #fit(Dataset, Dataset, TrainState)}; the source's batches hold one array, the samples as
     * rows of {@link Autoencoder#inputFeatures()} values. The caller keeps ownership of {@code train}.
     *
     * @param step           the objective (see {@link ReconstructionStep})
     * @param validator      the validation loss after every epoch, or null
     * @param codeActivation the per-epoch mean code activation, or null
     */
    public Result fit(BatchSource train, ReconstructionStep step, Validator validator, java.util.function.DoubleSupplier codeActivation,
                      TrainState resume) {
        TrainingLoop loop = new TrainingLoop(model.params(), optimizer, step, cfg)
                .validator(validator)
                .codeActivation(codeActivation)
                .listeners(StandardListeners.builder(cfg, log).progressOut(progressOut).epochLine(Trainer::epochLine)
                        .curveTitle(model.spec().name() + " loss per epoch").curveLossLabel(lossLabel(model.spec()))
                        .checkpoint(model.params(), model.spec().toMap(), optimizer, this::checkpointConfig).build())
                .listeners(extraListeners)
                .events(events)
                .dataParallel(parallel);
        gradientHooks.forEach(loop::gradientHook);
        TrainingLoop.Result r = loop.fit(train, resume);
        return new Result(r.state(), r.trainLoss(), r.valLoss(), r.samplesPerSecond(), r.seconds());
    }

    /** The log line of an epoch: losses, mean code activation, throughput, time. */
    static String epochLine(EpochMetrics m, int epochs) {
        return String.format(Locale.ROOT, "epoch %d/%d  train %.5f%s  %,.0f samples/s  %.1fs", m.epoch(), epochs,
                m.trainLoss(), (Double.isNaN(m.valLoss()) ? "" : String.format(Locale.ROOT, "  val %.5f", m.valLoss()))
                        + String.format(Locale.ROOT, "  code %.4f", m.meanCodeActivation()), m.samplesPerSecond(), m.seconds());
    }

    /**
     * config.json of a checkpoint: format, model spec, training settings, backend and the extra sections (what
     * {@link Resume#load} compares with a checkpoint's).
     */
    public Map<String, Object> config() {
        return checkpointConfig();
    }

    private Map<String, Object> checkpointConfig() {
        Map<String, Object> config = new java.util.LinkedHashMap<>();
        config.put("format", "bottleneck");
        config.put("format_version", Checkpoint.FORMAT_VERSION);
        config.put("model", model.spec().toMap());
        config.put("training", cfg.toMap());
        config.put("backend", be.name());
        config.putAll(extraConfig);
        return config;
    }

    /** Samples (the first ones of the validation split, else of the training split) behind mean_code_activation. */
    public static final int CODE_SAMPLES = 2000;

    /**
     * The mean code value over the first {@code max} samples of {@code data} (inference mode): for sigmoid codes,
     * the average activation a sparsity penalty drives down.
     */
    public static double meanCodeActivation(Autoencoder model, Dataset data, int max) {
        int d = data.features();
        return meanCodeActivation(model, Math.min(max, data.n()), d,
                (from, xb) -> model.params().backend().memory().upload(data.x(), from * d, xb));
    }

    /** Puts samples {@code from ... from + rows - 1} into the [rows, features] tensor {@code xb}. */
    @FunctionalInterface
    public interface SampleLoader {
        void load(int from, Tensor xb);
    }

    /**
     * The mean code value over samples {@code 0 ... n - 1} of {@code d} features each, which {@code loader} uploads in
     * batches of 500 (the batches fix the order of the sums).
     */
    public static double meanCodeActivation(Autoencoder model, int n, int d, SampleLoader loader) {
        Backend be = model.params().backend();
        if (n == 0) return Double.NaN;
        Tensor acc = be.memory().zeros(1);
        try {
            for (int from = 0; from < n; from += 500) {
                int b = Math.min(500, n - from);
                try (Graph g = Graph.inference(be)) {
                    Tensor xb = g.temp(b, d);
                    loader.load(from, xb);
                    Tensor code = model.encode(g, g.constant(xb)).value();
                    Tensor s = g.temp(1);
                    be.reduce().sum(code, s);
                    be.elementwise().axpby(1.0 / ((double) n * (code.size() / b)), s, 1.0, acc);
                }
            }
            return be.memory().readScalar(acc);
        } finally {
            be.memory().release(acc);
        }
    }

    /**
     * Loss values of a whole data set: the objective and its reconstruction part, sample-weighted means; for a
     * variational autoencoder also the KL part ({@code loss = reconstruction + kl}, the negative ELBO), else NaN.
     */
    public record Evaluation(double loss, double reconstruction, int samples, double kl) {
        public Evaluation(double loss, double reconstruction, int samples) {
            this(loss, reconstruction, samples, Double.NaN);
        }
    }

    /**
     * Random stream of evaluation graphs (the ε of a variational autoencoder): sample i of a data set always gets
     * counters {@code i * codeFeatures ...}, so an evaluation does not depend on the batch size.
     */
    public static final long EVAL_SEED = 0x5EED_E7A1L;

    /** Evaluates the objective on a data set in inference mode (no dropout), batch by batch. */
    public Evaluation evaluate(Dataset data, int batch) {
        return evaluate(model, data, batch);
    }

    public static Evaluation evaluate(Autoencoder model, Dataset data, int batch) {
        Backend be = model.params().backend();
        int n = data.n(), d = data.features();
        if (d != model.inputFeatures()) {
            throw new BottleneckException("the data has " + d + " values per sample, the model expects " + model.inputFeatures());
        }
        Tensor acc = be.memory().zeros(3);
        Tensor accLoss = acc.view(0, 1), accRec = acc.view(1, 1), accKl = acc.view(2, 1);
        boolean variational = model.spec().variational() != null;
        try {
            for (int from = 0; from < n; from += batch) {
                int b = Math.min(batch, n - from);
                try (Graph g = new Graph(be, false, false, EVAL_SEED)) {
                    g.nextCounter((long) from * model.codeFeatures());
                    Tensor xb = g.temp(b, d);
                    be.memory().upload(data.x(), from * d, xb);
                    Autoencoder.Forward f = model.forward(g, g.constant(xb), g.constant(xb), false);
                    be.elementwise().axpby(b, f.loss().value(), 1.0, accLoss);
                    be.elementwise().axpby(b, f.reconstructionLoss().value(), 1.0, accRec);
                    if (f.kl() != null) be.elementwise().axpby(b, f.kl().value(), 1.0, accKl);
                }
            }
            double[] h = be.memory().toDoubleArray(acc);
            return new Evaluation(h[0] / n, h[1] / n, n, variational ? h[2] / n : Double.NaN);
        } finally {
            be.memory().release(acc);
        }
    }

    @Override
    public void close() {
        optimizer.close();
    }

    /** What the training loss is, for the loss axis of loss.png: e.g. "loss: bce, mean per value" or "...sum per sample + KL". */
    static String lossLabel(dev.bottleneck.model.ModelSpec spec) {
        String l = "loss: " + spec.loss().specName() + (spec.reduction() == dev.bottleneck.backend.Loss.Reduction.MEAN
                ? ", mean per value" : ", sum per sample");
        return spec.variational() != null ? l + " + KL" : l;
    }
}
