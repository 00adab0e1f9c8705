package dev.bottleneck.cli;

import dev.bottleneck.io.Json;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.Inpainting;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.MissingCsv;
import dev.bottleneck.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

@Command(name = "impute", defaultValueProvider = CommandDefaults.class, mixinStandardHelpOptions = true,
        description = {"Impute missing cells of a table with a model trained on that table's columns: missing cells start at the "
                + "column mean and are refined by iterated reconstruction (known cells re-imposed). Always measures the error on "
                + "cells of the test split hidden on purpose (--hide) against column-mean imputation; with --csv FILE, fills "
                + "the empty / NA / NaN cells of FILE and writes --out.",
                "Example: bottleneck impute runs/table --hide 0.2",
                "Example: bottleneck impute runs/table --csv holes.csv --out filled.csv"})
final class ImputeCommand extends ModelCommandBase implements Callable<Integer> {
    @Option(names = "--csv", paramLabel = "FILE", description = "A CSV with missing cells (same columns as the training data).") Path csv;
    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Imputed CSV to write (with --csv).") Path out;
    @Range(min = 0, max = 1, minExclusive = true, maxExclusive = true)
    @Option(names = "--hide", defaultValue = "0.2", description = "Fraction of test cells hidden on purpose to measure the error (default: ${DEFAULT-VALUE}).")
    double hide;
    @Range(min = 1)
    @Option(names = "--iterations", defaultValue = "20") int iterations;
    @Mixin SeedOption seedOption;

    @Mixin JsonOption jsonOption;

    @Override
    @SuppressWarnings("unchecked")
    public Integer call() {
        if (!(hide > 0 && hide < 1)) throw new BottleneckException("--hide must be in (0, 1), got " + hide);
        try (Session s = open(log())) {
            var model = s.loaded().model();
            Dataset tr = s.data().train(), te = s.data().split(split);
            int d = te.features(), n = te.n();
            float[] mean = Inpainting.columnMeans(tr.x(), tr.n(), d);
            // 1) cells hidden on purpose in the (complete) split: model vs column mean, in scaled units and raw units
            SplittableRandom r = new SplittableRandom(seedOption.seed);
            boolean[] hidden = new boolean[n * d];
            for (int i = 0; i < n * d; i++) hidden[i] = r.nextDouble() < hide;
            float[] truth = Arrays.copyOf(te.x(), n * d);
            Inpainting.Result res0 = Inpainting.fill(model, truth, hidden, n, d, mean, iterations);
            double mseMean = Inpainting.maskedMse(truth, res0.initial(), hidden, n * d);
            double mseModel = Inpainting.maskedMse(truth, res0.filled(), hidden, n * d);
            float[] rawTruth = s.data().scaler().inverse(truth);
            double rawMean = Inpainting.maskedMse(rawTruth, s.data().scaler().inverse(res0.initial()), hidden, n * d);
            double rawModel = Inpainting.maskedMse(rawTruth, s.data().scaler().inverse(res0.filled()), hidden, n * d);
            Map<String, Object> res = Json.object("split", split, "rows", n, "hidden_fraction", hide, "mse_scaled_column_mean", mseMean,
                    "mse_scaled_model", mseModel, "rmse_raw_column_mean", Math.sqrt(rawMean), "rmse_raw_model", Math.sqrt(rawModel));
            String filled = "";
            // 2) a file with real holes
            if (csv != null) {
                if (out == null) throw new BottleneckException("--csv needs --out FILE for the imputed table");
                Set<String> skip = new HashSet<>();
                Map<String, Object> data = (Map<String, Object>) s.loaded().config().get("data");
                Map<String, Object> c = data == null ? null : (Map<String, Object>) data.get("csv");
                if (c != null && c.get("label") != null) skip.add(c.get("label").toString());
                if (c != null && c.get("skip") instanceof List) for (Object o : (List<Object>) c.get("skip")) skip.add(o.toString());
                MissingCsv.Table t = MissingCsv.read(csv, skip);
                if (t.features() != d) throw new BottleneckException(csv + " has " + t.features() + " feature columns, the model takes " + d);
                float[] scaled = s.data().scaler().transform(t.values());
                Inpainting.Result f = Inpainting.fill(model, scaled, t.missing(), t.rows(), d, mean, iterations);
                float[] rawFilled = s.data().scaler().inverse(f.filled());
                StringBuilder b = new StringBuilder(String.join(",", t.columns())).append('\n');
                for (int i = 0; i < t.rows(); i++) {
                    for (int j = 0; j < d; j++) {
                        if (j > 0) b.append(',');
                        b.append(t.missing()[i * d + j] ? String.format(Locale.ROOT, "%.6g", rawFilled[i * d + j]) : t.values()[i * d + j]);
                    }
                    b.append('\n');
                }
                AtomicFiles.writeString(out, b.toString());
                res.put("imputed_cells", t.missingCount());
                res.put("out", out.toString());
                filled = String.format(Locale.ROOT, "; filled %d missing cells of %s into %s", t.missingCount(), csv, out);
            }
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                    "hidden %.0f%% of %s cells: RMSE %.5g (model) vs %.5g (column mean), raw units%s", 100 * hide, split,
                    Math.sqrt(rawModel), Math.sqrt(rawMean), filled));
            return 0;
        }
    }
}
