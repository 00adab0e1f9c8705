package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.io.Json;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.tensor.Tensor;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Trains an autoencoder: seeded shuffles per epoch, validation every epoch, progress, metrics, learning-rate
 * schedule, gradient clipping, early stopping, a NaN/Inf guard, and a checkpoint after every epoch from which
 * {@link #fit} resumes exactly where it stopped.
 *
 * <p>The training split lives in backend memory; each step gathers its shuffled batch there. On device
 * backends the loss is accumulated on the device and read back only every {@link #SYNC_EVERY} steps.
 */
public final class Trainer implements AutoCloseable {
    /** On device backends, the loss is read back (and checked for NaN) every this many steps. */
    public static final int SYNC_EVERY = 50;
    /** The loss-curve PNG written beside the metrics file after every epoch. */
    public static final String LOSS_CURVE = "loss.png";

    private final Autoencoder model;
    private final Backend be;
    private final FitConfig cfg;
    private final Consumer<String> log;
    private final Optimizer optimizer;
    private final PrintStream progressOut;
    private Map<String, Object> extraConfig = Map.of();

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

    public Optimizer optimizer() { return optimizer; }

    /** What {@link #fit} returns. */
    public record Result(TrainState state, double trainLoss, double valLoss, double samplesPerSecond, double seconds) { }

    /**
     * Trains on {@code train}, validating on {@code validation} (may be null) after each epoch.
     *
     * @param resume a state read by {@link Checkpoint#readState} from {@code cfg.outDir()}, or null to start fresh
     *               (the weights and optimizer state must already have been loaded by the caller)
     */
    public Result fit(Dataset train, Dataset validation, TrainState resume) {
        if (train.features() != model.inputFeatures()) {
            throw new BottleneckException("the data has " + train.features() + " values per sample "
                    + java.util.Arrays.toString(train.sampleShape()) + " but the model's input is "
                    + java.util.Arrays.toString(model.inputShape()) + ": choose a model spec that starts with " + train.features());
        }
        TrainState state = resume != null ? resume : new TrainState();
        int n = train.n();
        int d = train.features();
        int batch = Math.min(cfg.batch(), n);
        int steps = (n + batch - 1) / batch;
        Tensor data = be.memory().allocate(n, d);
        be.memory().upload(train.x(), 0, data);
        Tensor lossAcc = be.memory().zeros(1);
        Tensor gradNorm = be.memory().allocate(1);
        double[] noiseRange = cfg.noise() == null ? null : Noise.range(train.x());
        Progress progress = new Progress(progressOut, cfg.progress());
        double measuredSamples = 0, measuredSeconds = 0;
        int firstEpochThisRun = state.epochsDone;
        double lastTrain = Double.NaN, lastVal = Double.NaN;
        double totalSeconds = 0;
        try {
            for (int epoch = state.epochsDone; epoch < cfg.epochs() && !state.stoppedEarly; epoch++) {
                double lr = cfg.schedule().lr(cfg.optimizer().lr(), epoch);
                int[] perm = Dataset.epochPermutation(n, cfg.seed(), epoch);
                model.beginEpoch(epoch);
                be.memory().fill(lossAcc, 0.0);
                long t0 = System.nanoTime();
                double hostLoss = 0;
                long lastChecked = 0;
                for (int s = 0; s < steps; s++) {
                    int from = s * batch, b = Math.min(batch, n - from);
                    Tensor xb = be.memory().allocate(b, d);
                    try (Graph g = new Graph(be, true, true, Graph.streamSeed(cfg.seed(), state.globalStep))) {
                        be.memory().gatherRows(data, perm, from, xb);
                        model.params().zeroGrads();
                        Autoencoder.Forward f = model.forward(g, corrupt(g, xb, noiseRange), g.constant(xb), false);
                        g.backward(f.loss());
                        if (cfg.clipNorm() > 0) clip(gradNorm);
                        optimizer.step(lr);
                        be.elementwise().axpby(b, f.loss().value(), 1.0, lossAcc);
                        state.globalStep++;
                        boolean last = s == steps - 1;
                        if (be.cheapSync() || last || (s + 1) % SYNC_EVERY == 0) {
                            double acc = be.memory().readScalar(lossAcc);
                            if (!Double.isFinite(acc)) {
                                String where = be.cheapSync() ? "step " + (s + 1) : "steps " + (lastChecked + 1) + "-" + (s + 1);
                                throw new BottleneckException(String.format(Locale.ROOT,
                                        "training diverged: the loss became %s at epoch %d, %s of %d; lower the learning rate "
                                                + "(now %.3g) or set --clip-norm, and check the data for NaN/Inf",
                                        acc, epoch + 1, where, steps, lr));
                            }
                            hostLoss = acc;
                            lastChecked = s + 1;
                            double el = (System.nanoTime() - t0) / 1e9;
                            progress.update(epoch + 1, cfg.epochs(), (long) from + b, n, (from + b) / Math.max(el, 1e-9),
                                    hostLoss / (from + b), last);
                        }
                    } finally {
                        be.memory().release(xb);
                    }
                }
                be.synchronize();
                double seconds = (System.nanoTime() - t0) / 1e9;
                progress.endLine();
                totalSeconds += seconds;
                if (epoch > firstEpochThisRun || cfg.epochs() - firstEpochThisRun == 1) {
                    measuredSamples += n;
                    measuredSeconds += seconds;
                }
                lastTrain = hostLoss / n;
                lastVal = validation == null || validation.n() == 0 ? Double.NaN : evaluate(validation, cfg.batch()).loss();
                double codeAct = meanCodeActivation(model, validation == null || validation.n() == 0 ? train : validation, CODE_SAMPLES);
                EpochMetrics em = new EpochMetrics(epoch + 1, lastTrain, lastVal, lr, n / seconds, seconds, codeAct);
                state.history.add(em);
                state.epochsDone = epoch + 1;
                log.accept(String.format(Locale.ROOT, "epoch %d/%d  train %.5f%s  %,.0f samples/s  %.1fs", epoch + 1, cfg.epochs(),
                        lastTrain, (Double.isNaN(lastVal) ? "" : String.format(Locale.ROOT, "  val %.5f", lastVal))
                                + String.format(Locale.ROOT, "  code %.4f", codeAct), n / seconds, seconds));
                boolean improved = trackBest(state, Double.isNaN(lastVal) ? lastTrain : lastVal);
                if (cfg.patience() > 0 && state.badEpochs >= cfg.patience()) {
                    state.stoppedEarly = true;
                    log.accept("early stopping: no improvement for " + cfg.patience() + " epochs (best epoch " + state.bestEpoch + ")");
                }
                checkpoint(state, improved);
            }
            if (state.stoppedEarly && cfg.restoreBest() && cfg.outDir() != null && Files.isRegularFile(cfg.outDir().resolve(Checkpoint.BEST))) {
                Checkpoint.loadWeights(cfg.outDir().resolve(Checkpoint.BEST), model);
                log.accept("restored the weights of epoch " + state.bestEpoch);
                if (cfg.outDir() != null) Checkpoint.saveWeights(cfg.outDir().resolve(Checkpoint.MODEL), model);
            }
        } finally {
            be.memory().release(data);
            be.memory().release(lossAcc);
            be.memory().release(gradNorm);
        }
        double sps = measuredSeconds > 0 ? measuredSamples / measuredSeconds : Double.NaN;
        return new Result(state, lastTrain, lastVal, sps, totalSeconds);
    }

    /** Samples (the first ones of the validation split, else of the training split) behind mean_code_activation. */
    public static final int CODE_SAMPLES = 2000;

    /** The training input of a step: the clean batch, or its corruption under {@link FitConfig#noise()}. */
    private dev.bottleneck.autograd.Var corrupt(Graph g, Tensor xb, double[] range) {
        if (cfg.noise() == null) return g.constant(xb);
        Tensor noisy = g.temp(xb.shape());
        cfg.noise().apply(be, xb, noisy, Noise.streamFor(g.seed()), 0, range[0], range[1]);
        return g.constant(noisy);
    }

    /**
     * The mean code value over the first {@code max} samples of {@code data} (inference mode): for sigmoid codes,
     * the average activation a sparsity penalty drives down.
     */
    public static double meanCodeActivation(Autoencoder model, Dataset data, int max) {
        Backend be = model.params().backend();
        int n = Math.min(max, data.n()), d = data.features();
        if (n == 0) return Double.NaN;
        Tensor acc = be.memory().zeros(1);
        try {
            for (int from = 0; from < n; from += 500) {
                int b = Math.min(500, n - from);
                try (Graph g = Graph.inference(be)) {
                    Tensor xb = g.temp(b, d);
                    be.memory().upload(data.x(), from * d, xb);
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

    private boolean trackBest(TrainState state, double monitored) {
        if (monitored < state.best - cfg.minDelta()) {
            state.best = monitored;
            state.bestEpoch = state.epochsDone;
            state.badEpochs = 0;
            return true;
        }
        state.badEpochs++;
        return false;
    }

    /**
     * Scales the gradient arena by min(1, clip / ||g||) entirely on the backend (no host read inside the step):
     * ||g||² → ||g|| → clip / ||g|| → clamped to at most 1 (a zero norm gives +inf, clamped to 1) → broadcast multiply.
     */
    private void clip(Tensor gradNorm) {
        Tensor g = model.params().grads();
        be.reduce().sumSquares(g, gradNorm);
        be.elementwise().unary(dev.bottleneck.backend.UnaryOp.SQRT, gradNorm, gradNorm);
        be.elementwise().unary(dev.bottleneck.backend.UnaryOp.RECIPROCAL, gradNorm, gradNorm);
        be.elementwise().affine(gradNorm, cfg.clipNorm(), 0.0, gradNorm);
        be.elementwise().clamp(gradNorm, 0.0, 1.0, gradNorm);
        be.elementwise().binary(dev.bottleneck.backend.BinaryOp.MUL, g, gradNorm, g);
    }

    private void checkpoint(TrainState state, boolean improved) {
        Path dir = cfg.outDir();
        if (dir == null) return;
        Checkpoint.saveWeights(dir.resolve(Checkpoint.MODEL), model);
        if (improved && cfg.patience() > 0) Checkpoint.saveWeights(dir.resolve(Checkpoint.BEST), model);
        Checkpoint.saveOptimizer(dir.resolve(Checkpoint.OPTIMIZER), optimizer);
        Map<String, Object> config = new java.util.LinkedHashMap<>();
        config.put("format", "bottleneck");
        config.put("format_version", Checkpoint.FORMAT_VERSION);
        config.put("model", model.spec().toMap());
        config.put("training", cfg.toMap());
        config.put("backend", be.name());
        config.putAll(extraConfig);
        Checkpoint.saveConfig(dir, config);
        writeMetrics(dir, state.history);
        // the loss curve (train and validation per epoch) beside the metrics file, redrawn every epoch
        if (!curveUnavailable) {
            try {
                dev.bottleneck.io.LossCurvePlot.write(dir.resolve(LOSS_CURVE),
                        state.history.stream().mapToDouble(EpochMetrics::trainLoss).toArray(),
                        state.history.stream().mapToDouble(EpochMetrics::valLoss).toArray(), model.spec().name() + " loss per epoch");
            } catch (LinkageError e) { // a runtime without java.desktop (the slim GPU bundle): say so once, go on
                curveUnavailable = true;
                log.accept("note: " + LOSS_CURVE + " not drawn: this Java runtime lacks the java.desktop module (" + e.getMessage() + ")");
            }
        }
        Checkpoint.saveState(dir, state);
    }

    private boolean curveUnavailable;

    private void writeMetrics(Path dir, List<EpochMetrics> history) {
        StringBuilder b = new StringBuilder();
        if (cfg.metricsFormat().equals("jsonl")) {
            for (EpochMetrics e : history) b.append(Json.writeCompact(e.toMap())).append('\n');
            AtomicFiles.writeString(dir.resolve("metrics.jsonl"), b.toString());
        } else {
            b.append("epoch,train_loss,val_loss,lr,samples_per_s,seconds,mean_code_activation\n");
            for (EpochMetrics e : history) {
                b.append(String.format(Locale.ROOT, "%d,%.8g,%s,%.6g,%.1f,%.3f,%s%n", e.epoch(), e.trainLoss(),
                        Double.isNaN(e.valLoss()) ? "" : String.format(Locale.ROOT, "%.8g", e.valLoss()), e.lr(),
                        e.samplesPerSecond(), e.seconds(),
                        Double.isNaN(e.meanCodeActivation()) ? "" : String.format(Locale.ROOT, "%.6g", e.meanCodeActivation())));
            }
            AtomicFiles.writeString(dir.resolve("metrics.csv"), b.toString());
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
}
