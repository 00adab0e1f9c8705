package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.analysis.Pca;
import dev.bottleneck.analysis.Reconstruction;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.optim.LrSchedule;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "compare-pca", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare PCA with autoencoders on the test split: for each k, the test MSE (per pixel) of PCA with k components "
                + "and of a linear autoencoder with k codes (linear encoder and decoder with biases, MSE, Adam with a cosine schedule); "
                + "optionally a deep autoencoder against PCA with as many components as its code.",
                "Examples:",
                "  bottleneck compare-pca mnist --k 2,8,32 --epochs 10",
                "  bottleneck compare-pca mnist --k 30 --deep 784-1000-500-250-30 --deep-epochs 20 --json"})
final class ComparePcaCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DATA", description = "mnist, fashion-mnist, an IDX images file, or a CSV file.")
    String data;

    @Mixin DataFolderOption dataFolder;

    @Mixin JsonOption jsonOption;

    @Option(names = "--k", split = ",", paramLabel = "K", defaultValue = "2,8,32", description = "Code sizes / components (default: ${DEFAULT-VALUE}).")
    List<Integer> ks;

    @Range(min = 0)
    @Option(names = {"-e", "--epochs"}, defaultValue = "10", description = "Epochs of each linear autoencoder (0: PCA only; default: ${DEFAULT-VALUE}).")
    int epochs;

    @Range(min = 0, minExclusive = true)
    @Option(names = "--lr", defaultValue = "3e-3", description = "Adam learning rate of the linear autoencoders, decayed by a cosine schedule (default: ${DEFAULT-VALUE}).")
    double lr;

    @Range(min = 1)
    @Option(names = {"-b", "--batch"}, defaultValue = "128", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--deep", paramLabel = "SPEC",
            description = "Also train a deep autoencoder, e.g. 784-1000-500-250-30 (ReLU hidden layers, linear code unless marked, sigmoid output, BCE), "
                    + "and report its squared error summed over pixels per test image next to PCA with as many components as its code.")
    String deep;

    @Range(min = 1)
    @Option(names = "--deep-epochs", defaultValue = "10", description = "Epochs of the deep autoencoder (default: ${DEFAULT-VALUE}).")
    int deepEpochs;

    @Range(min = 0, minExclusive = true)
    @Option(names = "--deep-lr", defaultValue = "1e-3", description = "Adam learning rate of the deep autoencoder (cosine decay; default: ${DEFAULT-VALUE}).")
    double deepLr;

    @Range(min = 2)
    @Option(names = "--limit", description = "Use only the first N training samples.")
    Integer limit;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin BackendOptionsMixin backendOptions;

    @Override
    public Integer call() {
        Log log = new Log(spec.commandLine().getErr(), false);
        if (epochs < 0 || deepEpochs < 1) throw new BottleneckException("--epochs must be >= 0 and --deep-epochs >= 1");
        if (batch < 1) throw new BottleneckException("--batch must be at least 1");
        PreparedData pd = PreparedData.load(data, dataFolder.dir, null, seed, "auto");
        Dataset train = pd.train();
        if (limit != null) {
            if (limit < 2) throw new BottleneckException("--limit must be at least 2");
            train = train.head(Math.min(limit, train.n()), train.name());
        }
        Dataset test = pd.test();
        int d = train.features();
        for (int k : ks) {
            if (k < 1 || k > d) throw new BottleneckException("--k: " + k + " is not between 1 and the " + d + " features");
        }
        ModelSpec deepSpec = deep == null ? null : deepSpec(deep, d);
        int deepCode = deepSpec == null ? 0 : new Autoencoder(deepSpec).codeFeatures();

        Map<String, Object> res = new LinkedHashMap<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Backend be = backendOptions.create(log)) {
            long t0 = System.nanoTime();
            Pca pca = Pca.fit(be, train);
            log.info(String.format(Locale.ROOT, "PCA of %d x %d in %.1f s (%d QR steps)", train.n(), d,
                    (System.nanoTime() - t0) / 1e9, pca.eigen().sweeps()));
            int[] all = ks.stream().mapToInt(Integer::intValue).toArray();
            double[] pcaMse = pca.reconstructionMse(test, all);
            StringBuilder table = new StringBuilder();
            table.append(String.format(Locale.ROOT, "%-6s %14s %18s %10s%n", "k", "PCA test MSE", "linear AE test MSE", "AE / PCA"));
            for (int i = 0; i < all.length; i++) {
                int k = all[i];
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("k", k);
                row.put("pca_test_mse", pcaMse[i]);
                Double ae = null;
                if (epochs > 0) {
                    ae = trainLinear(be, train, test, k, log);
                    row.put("linear_ae_test_mse", ae);
                    row.put("ratio", ae / pcaMse[i]);
                }
                rows.add(row);
                table.append(String.format(Locale.ROOT, "%-6d %14.6f %18s %10s%n", k, pcaMse[i],
                        ae == null ? "-" : String.format(Locale.ROOT, "%.6f", ae), ae == null ? "-" : String.format(Locale.ROOT, "%.4f", ae / pcaMse[i])));
            }
            res.put("data", data);
            res.put("train_samples", train.n());
            res.put("test_samples", test.n());
            res.put("backend", be.name());
            res.put("epochs", epochs);
            res.put("optimizer", "adam lr " + lr + " cosine, batch " + batch);
            res.put("rows", rows);
            if (deepSpec != null) {
                double pcaDeep = pca.reconstructionMse(test, deepCode)[0];
                double deepMse = trainDeep(be, deepSpec, train, test, log);
                Map<String, Object> dm = new LinkedHashMap<>();
                dm.put("model", deep);
                dm.put("epochs", deepEpochs);
                dm.put("code", deepCode);
                dm.put("test_sse_per_image", deepMse * d);
                dm.put("pca_test_sse_per_image", pcaDeep * d);
                res.put("deep", dm);
                table.append(String.format(Locale.ROOT, "%ndeep %s (%d epochs): test squared error per image %.2f; PCA with %d components %.2f%n",
                        deep, deepEpochs, deepMse * d, deepCode, pcaDeep * d));
            }
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, table.toString().stripTrailing());
        }
        return 0;
    }

    private static ModelSpec deepSpec(String text, int features) {
        String t = text.trim();
        if (!t.matches("[0-9]+(-[0-9]+(:[a-zA-Z_]+)?)+")) throw new BottleneckException("--deep '" + text + "': expected a dense spec like 784-1000-500-250-30");
        if (!t.substring(t.lastIndexOf('-')).contains(":")) t = t + ":linear"; // a linear code, as in Hinton & Salakhutdinov
        ModelSpec ms = ModelSpec.dense(t, "relu", "sigmoid", Loss.BCE);
        if (ms.input()[0] != features) throw new BottleneckException("--deep '" + text + "' starts with " + ms.input()[0] + " but the data has " + features + " features");
        return ms;
    }

    private double trainLinear(Backend be, Dataset train, Dataset test, int k, Log log) {
        ModelSpec ms = ModelSpec.dense(train.features() + "-" + k + ":linear", "relu", "linear", Loss.MSE);
        FitConfig cfg = new FitConfig().epochs(epochs).batch(batch).seed(seed).validation(0).optimizer(OptimizerConfig.adam(lr))
                .schedule(LrSchedule.cosine(epochs, 0)).progress(false);
        try (Autoencoder ae = new Autoencoder(ms).bind(be, seed); Trainer t = new Trainer(ae, cfg, s -> log.info("linear k=" + k + ": " + s))) {
            t.fit(train, null, null);
            return Trainer.evaluate(ae, test, 1000).reconstruction();
        }
    }

    private double trainDeep(Backend be, ModelSpec ms, Dataset train, Dataset test, Log log) {
        FitConfig cfg = new FitConfig().epochs(deepEpochs).batch(batch).seed(seed).validation(0).optimizer(OptimizerConfig.adam(deepLr))
                .schedule(LrSchedule.cosine(deepEpochs, 0)).progress(false);
        try (Autoencoder ae = new Autoencoder(ms).bind(be, seed); Trainer t = new Trainer(ae, cfg, s -> log.info("deep: " + s))) {
            t.fit(train, null, null);
            return Reconstruction.meanSquaredError(ae, test, 1000);
        }
    }
}
