package dev.bottleneck.cli;

import dev.bottleneck.apps.OneClass;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.io.Json;
import dev.bottleneck.model.ModelSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "one-class", defaultValueProvider = CommandDefaults.class, mixinStandardHelpOptions = true,
        description = {"The one-class anomaly protocol of Deep SVDD (Ruff et al. 2018): for each digit, train an autoencoder "
                + "on that digit's training images only, score the whole test set by reconstruction error (MSE), and report "
                + "ROC-AUC with that digit as normal; the mean over digits is compared with the paper's convolutional-AE "
                + "baseline (mean about 0.90).",
                "Example: bottleneck one-class --dataset mnist --epochs 5 --out runs/one-class"})
final class OneClassCommand implements Callable<Integer> {
    /** The mean ROC-AUC of the paper's convolutional autoencoder baseline on MNIST (docs/WORKLOADS.md#one-class). */
    static final double PAPER_CAE_MEAN = 0.90;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin BackendOptionsMixin backendOptions;

    @Option(names = "--dataset", defaultValue = "mnist", description = "mnist, fashion-mnist or an IDX folder (default: ${DEFAULT-VALUE}).")
    String dataset;
    @Mixin DataFolderOption dataFolder;
    @Mixin StepOptions step;
    @Mixin SeedOption seedOption;
    @Mixin JsonOption jsonOption;
    @Option(names = "--model", defaultValue = "784-128-32",
            description = "Model: a dense spec (relu, sigmoid output, BCE), a preset such as w1 or w3 (conv), or a spec file (default: ${DEFAULT-VALUE}).")
    String model;
    @Option(names = "--classes", split = ",", description = "Normal classes to run (default: 0..9).")
    List<Integer> classes;
    @Range(min = 1)
    @Option(names = {"-e", "--epochs"}, defaultValue = "5") int epochs;
    @Range(min = 1)
    @Option(names = "--limit", description = "At most N training images per class (quick runs).") Integer limit;
    @Range(min = 1)
    @Option(names = "--test-limit", description = "Score only the first N test images.") Integer testLimit;
    @Option(names = {"-o", "--out"}, description = "Directory for one-class.csv and report.json.") Path out;

    @Override
    public Integer call() {
        Log log = new Log(spec.commandLine().getErr(), false);
        TrainTest tt = DataSources.resolve(dataset, dataFolder.dir, null, seedOption.seed);
        var test = testLimit == null ? tt.test() : tt.test().head(Math.min(testLimit, tt.test().n()), tt.test().name());
        int features = tt.train().features();
        ModelSpec probe = ModelSpec.parse(model, features);
        if (probe.input().length == 1 && probe.input()[0] != features) {
            throw new dev.bottleneck.BottleneckException("model '" + model + "' takes " + probe.input()[0] + " inputs, the data has " + features);
        }
        if (!tt.train().hasLabels() || !test.hasLabels()) throw new dev.bottleneck.BottleneckException("one-class needs labelled data");
        int[] cls = classes == null ? java.util.stream.IntStream.rangeClosed(0, 9).toArray() : classes.stream().mapToInt(Integer::intValue).toArray();
        OneClass.Config cfg = new OneClass.Config(() -> ModelSpec.parse(model, features), epochs, step.batch, step.lr, seedOption.seed, limit);
        OneClass.Report r;
        try (Backend be = backendOptions.create(log)) {
            r = OneClass.run(be, tt.train(), test, cls, cfg, log::info);
        }
        StringBuilder csv = new StringBuilder("class,train_samples,train_loss,roc_auc,pr_auc,seconds\n");
        List<Map<String, Object>> rows = new ArrayList<>();
        StringBuilder table = new StringBuilder("class  ROC-AUC  PR-AUC\n");
        for (OneClass.ClassResult c : r.classes()) {
            csv.append(String.format(Locale.ROOT, "%d,%d,%.6f,%.6f,%.6f,%.1f%n", c.normalClass(), c.trainSamples(), c.trainLoss(), c.rocAuc(),
                    c.averagePrecision(), c.seconds()));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("class", c.normalClass());
            m.put("roc_auc", c.rocAuc());
            m.put("pr_auc", c.averagePrecision());
            m.put("train_samples", c.trainSamples());
            rows.add(m);
            table.append(String.format(Locale.ROOT, "%5d  %.4f   %.4f%n", c.normalClass(), c.rocAuc(), c.averagePrecision()));
        }
        table.append(String.format(Locale.ROOT, " mean  %.4f   %.4f   (Deep SVDD paper, conv AE: %.2f)", r.meanRocAuc(),
                r.meanAveragePrecision(), PAPER_CAE_MEAN));
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("dataset", dataset);
        res.put("model", model);
        res.put("epochs", epochs);
        res.put("classes", rows);
        res.put("mean_roc_auc", r.meanRocAuc());
        res.put("mean_pr_auc", r.meanAveragePrecision());
        res.put("paper_cae_mean_roc_auc", PAPER_CAE_MEAN);
        if (out != null) {
            AtomicFiles.writeString(out.resolve("one-class.csv"), csv.toString());
            AtomicFiles.writeString(out.resolve("report.json"), Json.write(res) + "\n");
        }
        if (!jsonOption.on) spec.commandLine().getOut().println(table);
        PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                "one-class %s, %s, %d epochs: mean ROC-AUC %.4f over %d classes (paper's conv AE: %.2f)", dataset, model, epochs,
                r.meanRocAuc(), r.classes().size(), PAPER_CAE_MEAN));
        return 0;
    }
}
