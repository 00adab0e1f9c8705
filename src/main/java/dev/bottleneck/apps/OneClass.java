package dev.bottleneck.apps;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.Trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one-class protocol of Ruff et al. (Deep SVDD, 2018): for each class c, train an autoencoder on the training
 * samples of class c only, score every test sample by its reconstruction error, and measure ROC-AUC with class c as
 * normal and every other class as anomalous.
 */
public final class OneClass {
    private OneClass() {}

    public record Config(Supplier<ModelSpec> model, int epochs, int batch, double lr, long seed, Integer limitPerClass) { }

    public record ClassResult(int normalClass, int trainSamples, double trainLoss, double rocAuc, double averagePrecision, double seconds) { }

    public record Report(List<ClassResult> classes) {
        public double meanRocAuc() { return classes.stream().mapToDouble(ClassResult::rocAuc).average().orElse(Double.NaN); }
        public double meanAveragePrecision() {
            return classes.stream().mapToDouble(ClassResult::averagePrecision).average().orElse(Double.NaN);
        }
    }

    public static ClassResult runClass(Backend be, Dataset train, Dataset test, int normalClass, Config cfg, Consumer<String> log) {
        long t0 = System.nanoTime();
        int[] idx = java.util.stream.IntStream.range(0, train.n()).filter(i -> train.label(i) == normalClass).toArray();
        if (cfg.limitPerClass() != null && idx.length > cfg.limitPerClass()) idx = java.util.Arrays.copyOf(idx, cfg.limitPerClass());
        if (idx.length == 0) throw new dev.bottleneck.BottleneckException("no training samples of class " + normalClass);
        Dataset one = train.subset(idx, train.name() + "-class" + normalClass);
        try (Autoencoder ae = new Autoencoder(cfg.model().get()).bind(be, cfg.seed() + normalClass)) {
            FitConfig fit = new FitConfig().epochs(cfg.epochs()).batch(cfg.batch()).seed(cfg.seed() + normalClass)
                    .optimizer(OptimizerConfig.adam(cfg.lr())).progress(false);
            Trainer.Result r;
            try (Trainer t = new Trainer(ae, fit, s -> { })) {
                r = t.fit(one, null, null);
            }
            double[] scores = AnomalyScoring.score(ae, test).scores();
            int[] y = new int[test.n()];
            for (int i = 0; i < y.length; i++) y[i] = test.label(i) == normalClass ? 0 : 1;
            ClassResult c = new ClassResult(normalClass, one.n(), r.trainLoss(), Ranking.rocAuc(scores, y),
                    Ranking.averagePrecision(scores, y), (System.nanoTime() - t0) / 1e9);
            log.accept(String.format(java.util.Locale.ROOT, "class %d: %d training samples, train loss %.5f, ROC-AUC %.4f, PR-AUC %.4f (%.1fs)",
                    normalClass, one.n(), r.trainLoss(), c.rocAuc(), c.averagePrecision(), c.seconds()));
            return c;
        }
    }

    public static Report run(Backend be, Dataset train, Dataset test, int[] classes, Config cfg, Consumer<String> log) {
        List<ClassResult> out = new ArrayList<>();
        for (int c : classes) out.add(runClass(be, train, test, c, cfg, log));
        return new Report(out);
    }
}
