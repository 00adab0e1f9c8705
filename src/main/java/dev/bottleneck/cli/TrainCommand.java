package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.LabelFilter;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.dist.DistributedRun;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.model.Presets;
import dev.bottleneck.model.Regularizer;
import dev.bottleneck.optim.LrSchedule;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.train.Checkpoint;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.Resume;
import dev.bottleneck.train.RunDirectory;
import dev.bottleneck.train.TrainState;
import dev.bottleneck.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, defaultValueProvider = CommandDefaults.class,
        description = {"Train an autoencoder and write its model directory (weights, config, optimizer state, metrics, reconstruction picture).",
                "Examples:",
                "  bottleneck train mnist --model w1 --epochs 10 --out runs/w1",
                "  bottleneck train fashion-mnist --model 784-128-64-32 --loss bce --epochs 20",
                "  bottleneck train table.csv --csv-label class --model 30-16-8:linear --loss mse"})
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DATA", description = "mnist, fashion-mnist, an IDX images file, a folder of images or of text documents (class sub-folders give labels), a CSV file, or a shard directory (bottleneck shard).")
    String data;

    @Option(names = {"-m", "--model"}, paramLabel = "SPEC", defaultValue = "w1",
            description = "Preset (w1, w2, w4 = VAE), dense spec like 784-128-64-32 (sizes may carry :activation), or a .json/.yaml spec file. Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--activation", paramLabel = "FN", description = "Hidden activation for dense specs such as 784-128-32 (default: relu).")
    String activation;

    @Option(names = "--output-activation", paramLabel = "FN", description = "Output activation for dense specs (default: sigmoid; "
            + "linear with --scale standard, whose values are not confined to [0, 1], and a loss other than bce).")
    String outputActivation;

    @Option(names = "--loss", paramLabel = "mse|bce|l1", description = "Reconstruction loss (default: the spec's; for dense specs bce, "
            + "or mse with --scale standard). bce needs training values in [0, 1].")
    String loss;

    @Option(names = "--reduction", paramLabel = "mean|sum", description = "mean over elements or sum per sample (default: the spec's; "
            + "mean for dense specs).")
    String reduction;

    @Range(min = 0)
    @Option(names = "--l1", paramLabel = "WEIGHT", description = "L1 activity penalty on the code (sparse autoencoder), e.g. 1e-5.")
    Double l1;

    @Option(names = "--kl-sparsity", paramLabel = "RHO:BETA",
            description = "KL sparsity penalty on the mean code activation (sigmoid codes), target RHO, weight BETA, e.g. 0.05:3.")
    String klSparsity;

    @Option(names = "--contractive", paramLabel = "LAMBDA[:exact|estimate]",
            description = "Contractive penalty LAMBDA * ||d code / d input||_F^2: exact for a one-layer sigmoid/tanh/linear encoder "
                    + "(the default where it applies), else a stochastic estimate.")
    String contractive;

    @Option(names = "--noise", paramLabel = "KIND:LEVEL",
            description = "Denoising: corrupt the training inputs (targets stay clean): gaussian:SIGMA, mask:FRACTION or saltpepper:FRACTION.")
    String noise;

    @Range(min = 1)
    @Option(names = {"-b", "--batch"}, description = "Batch size (default: the preset's, else 256).")
    Integer batch;

    @Range(min = 0, minExclusive = true)
    @Option(names = "--lr", description = "Learning rate (default: the preset's, else 1e-3).")
    Double lr;

    @Option(names = "--optimizer", paramLabel = "adam|adamw|sgd|rmsprop", description = "Optimizer (default: adam).")
    String optimizer;

    @Range(min = 0)
    @Option(names = "--momentum", defaultValue = "0", description = "Momentum for sgd/rmsprop.")
    double momentum;

    @Option(names = "--nesterov", description = "Nesterov momentum (sgd).")
    boolean nesterov;

    @Range(min = 0)
    @Option(names = "--weight-decay", description = "Weight decay (L2 for adam/sgd/rmsprop, decoupled for adamw; adamw default 0.01).")
    Double weightDecay;

    @Option(names = "--schedule", defaultValue = "constant", paramLabel = "SCHED", description = "constant, step:EVERY:GAMMA or cosine[:MIN_LR] (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Range(min = 0)
    @Option(names = "--clip-norm", defaultValue = "0", description = "Clip the global gradient norm (0: off).")
    double clipNorm;

    @Range(min = 0)
    @Option(names = "--patience", defaultValue = "0", description = "Early stopping after this many epochs without improvement (0: off).")
    int patience;

    @Range(min = 0)
    @Option(names = "--min-delta", defaultValue = "0", description = "Smallest improvement that counts for early stopping.")
    double minDelta;

    @Range(min = 2)
    @Option(names = "--limit", description = "Use only the first N training samples (of the classes kept; quick runs).")
    Integer limit;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", description = "Model directory (default: runs/<model>-<data>).")
    Path out;

    @Option(names = "--metrics", defaultValue = "csv", paramLabel = "csv|jsonl", description = "Metrics file format (default: ${DEFAULT-VALUE}).")
    String metrics;

    @Option(names = "--scale", defaultValue = "auto", paramLabel = "auto|none|minmax|standard",
            description = "Feature scaling fitted on the training split (default: ${DEFAULT-VALUE}: none for images, minmax for tables).")
    String scale;

    @Option(names = "--normal-labels", split = ",", paramLabel = "L",
            description = "Train and validate only on samples of these classes, by name or number (e.g. normal, or 0,1): the one-class "
                    + "protocol. The test split keeps every class, so 'detect' reports ROC-AUC against the others.")
    List<String> normalLabels;

    @Option(names = "--exclude-labels", split = ",", paramLabel = "L",
            description = "Train and validate on every class but these (by name or number); the test split keeps them.")
    List<String> excludeLabels;

    @Range(min = 0)
    @Option(names = "--pictures", defaultValue = "10", description = "Test images in reconstruction.png (0: none; default ${DEFAULT-VALUE}).")
    int pictures;

    @Mixin DataFolderOption dataFolder;

    @Mixin InputFormatOptions format;

    @Mixin LoopOptions loop;

    @Mixin SeedOption seedOption;

    @Mixin JsonOption jsonOption;

    @Mixin TextOptionsMixin textOptions;

    @Mixin BackendOptionsMixin backendOptions;

    @Mixin StreamOptionsMixin streamOptions;

    @Mixin JobOptions job;

    @Mixin DistributedOptions distributed;

    /**
     * Alone, or as one rank of a data-parallel job when the environment says so (then only rank 0 logs, holds the
     * run directory and writes).
     */
    @Override
    public Integer call() {
        DistributedRun run = distributed.run();
        Log log = run.writer() ? job.log(spec.commandLine().getErr()) : new Log(spec.commandLine().getErr(), true);
        return job.run(log, run.writer() ? out : null, () -> run.call(log::info, () -> train(run, log)));
    }

    private Integer train(DistributedRun run, Log log) {
        CsvReader.Options csv = data.toLowerCase(Locale.ROOT).endsWith(".csv") ? format.csv() : null;
        if (csv == null && format.idColumn != null) {
            throw new BottleneckException("--id-column is for CSV tables; " + data + " is not a .csv file (images are known by their path)");
        }
        // in memory, or streamed from disk for a shard directory (and an image folder with --stream)
        LabelFilter filter = LabelFilter.of(normalLabels, excludeLabels);
        TrainInput in = TrainInput.load(data, dataFolder.dir, csv, format.images(), textOptions.options(), seedOption.seed, scale, filter,
                limit, loop.validation, streamOptions, log);

        ModelSpec ms = buildSpec(in.sampleShape());
        checkLossFitsValues(ms, in.valueRange());
        Presets.TrainingDefaults defs = Presets.defaults(Presets.exists(model) ? model : "");
        int b = batch != null ? batch : defs.batch();
        double rate = lr != null ? lr : defs.lr();
        OptimizerConfig oc = OptimizerConfig.of(optimizer != null ? optimizer : defs.optimizer(), rate);
        if (momentum != 0 || nesterov) oc = oc.withMomentum(momentum, nesterov);
        if (weightDecay != null) oc = oc.withWeightDecay(weightDecay);
        Path dir = out != null ? out : Path.of("runs", safeName(ms.name()) + "-" + safeName(Path.of(data).getFileName().toString()));

        FitConfig cfg = new FitConfig().epochs(loop.epochs).batch(run.globalBatch(b)).seed(seedOption.seed).validation(loop.validation).optimizer(oc)
                .schedule(LrSchedule.parse(schedule, loop.epochs)).clipNorm(clipNorm).earlyStopping(patience, minDelta, true)
                .outDir(run.writer() ? dir : null).metricsFormat(metrics).progress(run.writer() ? job.progress(loop.progress) : Boolean.FALSE);
        job.apply(cfg);
        if (noise != null) cfg.noise(dev.bottleneck.train.Noise.parse(noise));
        Resume.Mode mode = job.resumeMode();
        if (mode == Resume.Mode.ALWAYS) Checkpoint.requireResumable(dir);

        run.checkEnoughSamples(in.trainSamples(), b);
        checkEnoughSamples(in.allSamples(), in.trainSamples(), in.validationSamples(), b);
        try (in; RunDirectory held = run.writer() ? RunDirectory.open(dir, log::info) : null; Backend be = backendOptions.create(log)) {
            Autoencoder ae = new Autoencoder(ms).bind(be, seedOption.seed);
            TrainState state = null;
            try (Trainer trainer = new Trainer(ae, cfg, log::info).events(log)) {
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("data", in.describe(seedOption.seed));
                if (run.active()) extra.put("distributed", run.describe(b));
                trainer.extraConfig(extra);
                if (run.writer()) {
                    if (run.active() && mode != Resume.Mode.NEVER && Files.isRegularFile(dir.resolve("config.json"))) {
                        run.checkResume(Checkpoint.readConfig(dir), b);   // the same world size and per-rank batch, or a clear refusal
                    }
                    state = Resume.in(dir).mode(mode).allowChanged(job.allowChanged).log(log::info).events(log)
                            .load(trainer.config(), cfg, ae.params(), trainer.optimizer());
                }
                state = run.start(be, ae.params(), trainer.optimizer(), state, log::info);
                trainer.dataParallel(run.dataParallel());   // the collective exists once the ranks have started
                log.info(ae.summary().stripTrailing());
                log.info(String.format(Locale.ROOT, "data: %s, %d training / %d validation / %d test samples of %s",
                        data, in.trainSamples(), in.validationSamples(), in.testSamples(), java.util.Arrays.toString(in.sampleShape())));
                if (filter != null) {
                    log.info((filter.exclude() ? "training and validating on every class but " : "training and validating on the classes ")
                            + filter.text(in.classes()) + "; the test split keeps every class");
                }
                Trainer.Result r = in.fit(trainer, ae, cfg, state);
                if (!run.writer()) return 0; // rank 0 evaluates, draws and reports
                Trainer.Evaluation test = in.evaluateTest(trainer, ae, Math.max(b, 1000));
                Path picture = null;
                if (pictures > 0 && in.isImage()) {
                    picture = dir.resolve("reconstruction.png");
                    Pictures.reconstruction(ae, in.testHead(pictures), Math.min(pictures, in.testSamples()), picture);
                }
                Map<String, Object> res = new LinkedHashMap<>();
                res.put("backend", be.name());
                res.put("device", be.describe());
                res.put("model", ms.name());
                res.put("data", data);
                if (in.classes().named()) res.put("classes", in.classes().names());
                if (filter != null) res.putAll(filter.describe(in.classes()));
                res.put("epochs", r.state().epochsDone());
                res.put("stopped_early", r.state().stoppedEarly());
                res.put("train_loss", r.trainLoss());
                res.put("val_loss", Double.isNaN(r.valLoss()) ? null : r.valLoss());
                // a variational model reports its full objective, the negative ELBO: reconstruction + KL per sample
                boolean vae = ms.variational() != null;
                double testLoss = vae ? test.loss() : test.reconstruction();
                res.put("test_loss", testLoss);
                res.put("test_objective", test.loss());
                if (vae) {
                    res.put("test_reconstruction", test.reconstruction());
                    res.put("test_kl", test.kl());
                }
                res.put("loss", vae ? VaeText.lossName(ms)
                        : ms.loss().specName() + " (" + ms.reduction().name().toLowerCase(Locale.ROOT) + ")");
                res.put("samples_per_s", Double.isNaN(r.samplesPerSecond()) ? null : Math.round(r.samplesPerSecond()));
                res.put("seconds", Math.round(r.seconds() * 10) / 10.0);
                res.put("params", ae.params().size());
                if (run.active()) res.put("distributed", run.describe(b));
                res.put("backend_peak_mib", Math.round(be.memory().peakBytes() / (1024.0 * 1024.0) * 10) / 10.0);
                res.put("out", dir.toString());
                if (picture != null) res.put("picture", picture.toString());
                log.emit("result", res);
                PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                        "trained %s for %d epochs on %s: test loss %.5f (%s), %,.0f samples/s; model in %s%s",
                        ms.name(), r.state().epochsDone(), be.name(), testLoss, res.get("loss"),
                        r.samplesPerSecond(), dir, picture == null ? "" : ", picture " + picture));
            }
        }
        return 0;
    }

    /** A training split smaller than one batch is refused (the batch would silently shrink), and so is an empty one. */
    private void checkEnoughSamples(int all, int n, int held, int b) {
        String left = held > 0 ? " after holding out " + held + " of " + all + " for validation (--validation " + loop.validation + ")" : "";
        if (n == 0) {
            throw new BottleneckException("no training samples are left" + left + "; lower --validation or use more data");
        }
        if (n < b) {
            throw new BottleneckException("the training split has " + n + " samples" + left + ", fewer than one batch of " + b
                    + (batch == null ? " (the default)" : "") + "; pass --batch " + n + " or less"
                    + (held > 0 ? ", or lower --validation" : ""));
        }
    }

    /** Whether the data is standardised (--scale standard): its values are not confined to [0, 1]. */
    private boolean standardised() {
        return scale != null && !scale.trim().equalsIgnoreCase("auto") && Scaler.Kind.parse(scale) == Scaler.Kind.STANDARD;
    }

    /**
     * Binary cross-entropy compares outputs with targets in [0, 1]; on other values it is no reconstruction error (it
     * goes negative), so such data is refused with what to change.
     */
    private void checkLossFitsValues(ModelSpec ms, double[] range) {
        if (ms.loss() != Loss.BCE && ms.loss() != Loss.BCE_WITH_LOGITS) return;
        String what = "the " + ms.loss().specName() + " loss" + (loss == null ? " (the default; --loss changes it)" : "")
                + " needs training values in [0, 1]";
        if (standardised()) {
            throw new BottleneckException(what + ", but --scale standard centres every value on 0; use --loss mse, or --scale minmax");
        }
        if (range != null && (range[0] < -1e-6 || range[1] > 1 + 1e-6)) {
            throw new BottleneckException(String.format(Locale.ROOT, "%s, but the training data (--scale %s) holds values from %.4g to %.4g;"
                    + " use --scale minmax to map each value to [0, 1], or --loss mse", what, scale, range[0], range[1]));
        }
    }

    private ModelSpec buildSpec(int[] shape) {
        ModelSpec ms;
        String m = model.trim();
        if (m.matches("[0-9]+(-[0-9]+(:[a-zA-Z_]+)?)+")) {
            // standardised values are not confined to [0, 1]: mse, and a linear output that can reach them
            Loss l = loss != null ? Loss.parse(loss) : standardised() ? Loss.MSE : Loss.BCE;
            boolean bce = l == Loss.BCE || l == Loss.BCE_WITH_LOGITS;
            String outAct = outputActivation != null ? outputActivation : standardised() && !bce ? "linear" : "sigmoid";
            ms = ModelSpec.dense(m, activation != null ? activation : "relu", outAct, l);
        } else {
            for (String[] o : new String[][] {{"--activation", activation}, {"--output-activation", outputActivation}}) {
                if (o[1] != null) {
                    // no dense spec is suggested: the model asked for may be convolutional
                    throw new BottleneckException(o[0] + " applies to dense specs (sizes joined by '-'); the model '" + model
                            + "' sets its own activations (write a spec file to change them; 'bottleneck summary " + model + "' shows them)");
                }
            }
            ms = ModelSpec.parse(m, shape);
            if (loss != null || reduction != null) {
                ms = ms.withLoss(loss != null ? Loss.parse(loss) : ms.loss(),
                        reduction != null ? Loss.Reduction.parse(reduction) : ms.reduction());
            }
        }
        if (reduction != null && !(ms.reduction() == Loss.Reduction.parse(reduction))) {
            ms = ms.withLoss(ms.loss(), Loss.Reduction.parse(reduction));
        }
        if (l1 != null || klSparsity != null || contractive != null) {
            List<Map<String, Object>> regs = new ArrayList<>();
            if (l1 != null) regs.add(new Regularizer.L1Activity(l1).spec());
            if (klSparsity != null) regs.add(dev.bottleneck.model.KlSparsity.parse(klSparsity).spec());
            if (contractive != null) regs.add(contractiveSpec(ms, contractive));
            ms = ms.withRegularizers(regs);
        }
        checkInput(ms, model, shape);
        return ms;
    }

    /**
     * The model's input must be the data's sample: the same C×H×W for a model that takes images (a row of as many values
     * is read as one), the same number of values for a dense one. Convolutional models are never told to become dense.
     */
    static void checkInput(ModelSpec ms, String model, int[] shape) {
        int[] input = ms.input();
        long in = 1, features = 1;
        for (int d : input) in *= d;
        for (int d : shape) features *= d;
        String given = java.util.Arrays.toString(shape);
        if (input.length == 3 && (shape.length == 3 ? !java.util.Arrays.equals(input, shape) : in != features)) {
            throw new BottleneckException("model '" + model + "' takes images of " + java.util.Arrays.toString(input) + " (channels, height,"
                    + " width) but the data's samples are " + (shape.length == 3 ? given : features + " values in a row")
                    + (shape.length == 3 ? ": set the spec's input to " + given + " and check its layers with 'bottleneck summary SPEC --input "
                    + shape[0] + "x" + shape[1] + "x" + shape[2] + "'; the presets w3 and keras-conv fit themselves to the images"
                    : "; convolutional models train on images (an image folder, IDX images or image shards)"));
        }
        if (in != features) {
            throw new BottleneckException("model '" + model + "' takes " + in + " values per sample but the data has " + features
                    + (shape.length == 3 ? " (images of " + given + ")" : "") + ": use a spec starting with " + features
                    + " (e.g. " + features + "-" + Math.max(2, Math.min(256, features / 4)) + "-" + Math.max(1, Math.min(32, features / 16)) + ")"
                    + (shape.length == 3 ? ", or a convolutional preset (w3, keras-conv)" : ""));
        }
    }

    private static Map<String, Object> contractiveSpec(ModelSpec ms, String text) {
        String[] p = text.trim().split(":");
        double lambda;
        try {
            lambda = Double.parseDouble(p[0]);
        } catch (NumberFormatException e) {
            throw new BottleneckException("--contractive '" + text + "': expected LAMBDA or LAMBDA:exact|estimate, e.g. 0.1");
        }
        if (p.length > 2) throw new BottleneckException("--contractive '" + text + "': expected LAMBDA or LAMBDA:exact|estimate");
        dev.bottleneck.model.Contractive.Mode mode;
        if (p.length == 2) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "contractive");
            m.put("weight", lambda);
            m.put("mode", p[1]);
            return Regularizer.fromSpec(m).spec();
        }
        try {
            new dev.bottleneck.model.Contractive(lambda, dev.bottleneck.model.Contractive.Mode.EXACT).validate(ms.build().encoder(), null);
            mode = dev.bottleneck.model.Contractive.Mode.EXACT;
        } catch (BottleneckException e) {
            mode = dev.bottleneck.model.Contractive.Mode.ESTIMATE;
        }
        return new dev.bottleneck.model.Contractive(lambda, mode).spec();
    }

    private static String safeName(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("\\.(csv|gz)$", "");
    }
}
