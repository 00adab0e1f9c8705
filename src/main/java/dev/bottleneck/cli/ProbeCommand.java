package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.LogisticRegression;
import dev.bottleneck.apps.ModelOps;
import dev.bottleneck.data.ClassNames;
import dev.bottleneck.data.Dataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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

    /** Classes named in the sentence (--json lists every class). */
    static final int SHOWN_CLASSES = 20;

    private static double accuracy(int[] predicted, int[] y, int n) {
        int ok = 0;
        for (int i = 0; i < n; i++) if (predicted[i] == y[i]) ok++;
        return (double) ok / n;
    }

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
            int[] codePred = LogisticRegression.fit(ctr, ytr, ntr, c, cfg).predict(cte, nte);
            double codeAcc = accuracy(codePred, yte, nte);
            double codeSec = (System.nanoTime() - t0) / 1e9;
            int[] rawPred = null;
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
                rawPred = LogisticRegression.fit(tr.x(), ytr, ntr, d, cfg).predict(te.x(), nte);
                double rawAcc = accuracy(rawPred, yte, nte);
                res.put("raw_features", d);
                res.put("raw_accuracy", rawAcc);
                res.put("raw_seconds", (System.nanoTime() - t0) / 1e9);
                raw = String.format(Locale.ROOT, ", raw inputs (%d) %.4f", d, rawAcc);
            }
            // each class's test accuracy, by name where the classes have names
            ClassNames classes = s.data().classes();
            List<LogisticRegression.ClassAccuracy> perCode = LogisticRegression.perClass(codePred, yte, nte);
            List<LogisticRegression.ClassAccuracy> perRaw = rawPred == null ? null : LogisticRegression.perClass(rawPred, yte, nte);
            List<Map<String, Object>> perClass = new ArrayList<>();
            StringBuilder byClass = new StringBuilder();
            for (int i = 0; i < perCode.size(); i++) {
                LogisticRegression.ClassAccuracy a = perCode.get(i);
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("label", classes.value(a.label()));
                e.put("test_samples", a.samples());
                e.put("code_accuracy", a.accuracy());
                if (perRaw != null) e.put("raw_accuracy", perRaw.get(i).accuracy());
                perClass.add(e);
                if (i < SHOWN_CLASSES) byClass.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.3f", classes.name(a.label()), a.accuracy()));
            }
            if (perCode.size() > SHOWN_CLASSES) byClass.append(", ... (").append(perCode.size()).append(" classes; --json lists all)");
            res.put("per_class", perClass);
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                    "logistic regression on %d training samples, test accuracy: codes (%d) %.4f%s; per class (codes): %s", ntr, c, codeAcc,
                    raw, byClass));
            return 0;
        }
    }
}
