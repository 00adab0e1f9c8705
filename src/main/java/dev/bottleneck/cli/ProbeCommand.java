package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.LogisticRegression;
import dev.bottleneck.apps.ModelOps;
import dev.bottleneck.data.Dataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "probe", defaultValueProvider = CommandDefaults.class, mixinStandardHelpOptions = true,
        description = {"Linear probe: train a multinomial logistic-regression classifier on the codes of the training split and "
                + "on the raw inputs, and report both test accuracies.",
                "Example: bottleneck probe runs/w1 --train-limit 10000"})
final class ProbeCommand extends ModelCommandBase implements Callable<Integer> {
    @Range(min = 1)
    @Option(names = "--train-limit", defaultValue = "10000", description = "Training samples for the classifier (default: ${DEFAULT-VALUE}).")
    int trainLimit;
    @Range(min = 1)
    @Option(names = "--test-limit", description = "Test samples (default: all).") Integer testLimit;
    @Range(min = 1)
    @Option(names = {"-e", "--epochs"}, defaultValue = "20", description = "Classifier epochs (default: ${DEFAULT-VALUE}).") int epochs;
    @Range(min = 0, minExclusive = true)
    @Option(names = "--lr", defaultValue = "0.01") double lr;
    @Range(min = 0)
    @Option(names = "--l2", defaultValue = "1e-4") double l2;
    @Mixin SeedOption seedOption;
    @Mixin JsonOption jsonOption;
    @Option(names = "--no-raw", description = "Skip the raw-input baseline.") boolean noRaw;

    @Override
    public Integer call() {
        try (Session s = open(log())) {
            Dataset tr = s.data().train(), te = s.data().test();
            if (!tr.hasLabels() || !te.hasLabels()) throw new BottleneckException("probe needs labelled data");
            int ntr = Math.min(trainLimit, tr.n()), nte = testLimit == null ? te.n() : Math.min(testLimit, te.n());
            var model = s.loaded().model();
            int c = model.codeFeatures(), d = tr.features();
            LogisticRegression.Config cfg = new LogisticRegression.Config(epochs, 128, lr, l2, seedOption.seed);
            float[] ctr = ModelOps.encode(model, tr.x(), ntr), cte = ModelOps.encode(model, te.x(), nte);
            int[] ytr = java.util.Arrays.copyOf(tr.labels(), ntr), yte = java.util.Arrays.copyOf(te.labels(), nte);
            long t0 = System.nanoTime();
            double codeAcc = LogisticRegression.fit(ctr, ytr, ntr, c, cfg).accuracy(cte, yte, nte);
            double codeSec = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("model", model.spec().name());
            res.put("data", s.data().source());
            res.put("train_samples", ntr);
            res.put("test_samples", nte);
            res.put("code_features", c);
            res.put("code_accuracy", codeAcc);
            res.put("code_seconds", codeSec);
            String raw = "";
            if (!noRaw) {
                t0 = System.nanoTime();
                double rawAcc = LogisticRegression.fit(tr.x(), ytr, ntr, d, cfg).accuracy(te.x(), yte, nte);
                res.put("raw_features", d);
                res.put("raw_accuracy", rawAcc);
                res.put("raw_seconds", (System.nanoTime() - t0) / 1e9);
                raw = String.format(Locale.ROOT, ", raw inputs (%d) %.4f", d, rawAcc);
            }
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                    "logistic regression on %d training samples, test accuracy: codes (%d) %.4f%s", ntr, c, codeAcc, raw));
            return 0;
        }
    }
}
