package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.anomaly.ReconstructionScore;
import dev.bottleneck.anomaly.Threshold;
import dev.bottleneck.apps.AnomalyScoring;
import dev.bottleneck.apps.ErrorMapPlot;
import dev.bottleneck.apps.Ranking;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.ClassNames;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.LabelFilter;
import dev.bottleneck.data.shard.Samples;
import dev.bottleneck.data.shard.StreamedModelOps;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.io.Json;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.train.Checkpoint;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code detect MODEL_DIR}: anomaly detection on images or table rows with a trained autoencoder. The threshold comes
 * from the validation hold-out of the training split (the same seeded split 'train' used, normal samples only), as a
 * percentile (--threshold p99) or for a false-positive rate (--fpr 0.05). Writes scores.csv, flagged.csv,
 * report.json and, for images, errors.png (originals, reconstructions and per-pixel error maps of the top scores).
 */
final class ModelDetect {
    private ModelDetect() {}

    /**
     * The data a model was trained on, as 'train' split it: a shard directory (or a streamed image folder) read batch
     * by batch from disk, other data in memory. Close it.
     */
    record Training(StreamedData streamed, PreparedData memory, StreamedModelOps.Loading loading) implements AutoCloseable {
        static Training open(Map<String, Object> config, String dataOverride, Path dataDir, StreamOptionsMixin stream, Log log) {
            StreamOptionsMixin so = stream == null ? StreamOptionsMixin.defaults() : stream;
            StreamedData sd = StreamedData.fromConfig(config, dataOverride, dataDir, so, log);
            try {
                // in-memory data needs no loader thread
                return sd != null ? new Training(sd, null, so.loading())
                        : new Training(null, PreparedData.fromConfig(config, dataOverride, dataDir), new StreamedModelOps.Loading(0, 1));
            } catch (RuntimeException e) {
                if (sd != null) sd.close();
                throw e;
            }
        }

        String source() {
            return streamed != null ? streamed.source() : memory.source();
        }

        Samples train() {
            return streamed != null ? streamed.train() : Samples.of(memory.train());
        }

        ClassNames classes() {
            return streamed != null ? streamed.classes() : memory.classes();
        }

        Samples split(String which) {
            return streamed != null ? streamed.split(which) : Samples.of(memory.split(which));
        }

        @Override
        public void close() {
            if (streamed != null) streamed.close();
        }
    }

    static int run(DetectModelOptions o, String dataOverride, String thresholdRule, Path out, boolean json,
                   BackendOptionsMixin backendOptions, StreamOptionsMixin stream, Log log, PrintWriter stdout) {
        Map<String, Object> config = Checkpoint.readConfig(o.modelDir);
        ReconstructionScore kind = ReconstructionScore.parse(o.score);
        try (Training data = Training.open(config, dataOverride, null, stream, log)) {
            return run(o, config, data, kind, thresholdRule, out, json, backendOptions, log, stdout);
        }
    }

    /**
     * Labels of normal samples: those given (class names or numbers), else the classes the model was trained on
     * ({@code train --normal-labels}), else 0 when the labels are 0/1, else none (null).
     */
    static Set<Integer> normalLabels(List<String> given, Samples test, ClassNames classes, LabelFilter trained) {
        int[] testLabels = labels(test);
        if (given != null && !given.isEmpty()) {
            if (testLabels == null) throw new BottleneckException("--normal-labels given but the data has no labels");
            return new TreeSet<>(classes.resolve(given, "--normal-labels"));
        }
        if (trained != null && testLabels != null) {
            Set<Integer> present = new TreeSet<>();
            for (int l : testLabels) present.add(l);
            return trained.normal(classes, present); // the classes the model was trained on are the normal ones
        }
        return testLabels != null && isBinary(testLabels) ? Set.of(0) : null;
    }

    /**
     * The validation hold-out 'train' used (same fraction and seed, after its --limit {@code trainLimit}), its normal
     * samples only: what a threshold is chosen on.
     */
    @SuppressWarnings("unchecked")
    static Samples validation(Map<String, Object> config, Samples trainAll, Integer trainLimit, Set<Integer> normal, ClassNames classes,
                              String source, Log log) {
        // the classes 'train' kept, then its --limit, fraction and seed
        LabelFilter trained = trainedFilter(config);
        if (trained != null) {
            Samples all = trainAll;
            trainAll = all.rows(trained.keptRows(all.size(), all.hasLabels() ? all::label : null, classes, "the training split of " + source));
        }
        if (trainLimit != null) trainAll = trainAll.head(trainLimit);
        Map<String, Object> training = config.get("training") instanceof Map ? (Map<String, Object>) config.get("training") : Map.of();
        double fraction = training.get("validation") instanceof Number ? ((Number) training.get("validation")).doubleValue() : 0;
        long seed = training.get("seed") instanceof Number ? ((Number) training.get("seed")).longValue() : 42;
        Samples val;
        if (fraction > 0) {
            val = trainAll.rows(Dataset.splitIndices(trainAll.size(), fraction, seed).validation());
        } else {
            val = trainAll.rows(Dataset.splitIndices(trainAll.size(), 0.1, seed).validation());
            log.info("warning: the model was trained without a validation hold-out; the threshold comes from 10% of the training "
                    + "split, which the model has seen (the threshold may be low)");
        }
        int[] valIdx = normalIndices(val, normal);
        if (valIdx.length == 0) {
            throw new BottleneckException("no normal samples in the validation hold-out (normal labels " + classes.values(normal) + ")");
        }
        return val.rows(valIdx);
    }

    /** The classes 'train --normal-labels/--exclude-labels' kept, from config.json; null when it kept every class. */
    @SuppressWarnings("unchecked")
    static LabelFilter trainedFilter(Map<String, Object> config) {
        return LabelFilter.fromConfig(config.get("data") instanceof Map ? (Map<String, Object>) config.get("data") : null);
    }

    private static int run(DetectModelOptions o, Map<String, Object> config, Training data, ReconstructionScore kind, String thresholdRule,
                           Path out, boolean json, BackendOptionsMixin backendOptions, Log log, PrintWriter stdout) {
        Path modelDir = o.modelDir;
        String source = data.source();
        ClassNames classes = data.classes();
        Samples test = data.split(o.split);
        StreamedModelOps.Loading loading = data.loading();
        int[] testLabels = labels(test);
        Set<Integer> normal = normalLabels(o.normalLabels, test, classes, trainedFilter(config));
        Samples val = validation(config, data.train(), o.trainLimit, normal, classes, source, log);
        float[] zero = Scoring.zeroValues(Scoring.savedScaler(config));
        try (Backend be = backendOptions.create(log); Autoencoder model = Checkpoint.load(modelDir, be).model()) {
            if (model.inputFeatures() != test.features()) {
                throw new BottleneckException("the data has " + test.features() + " values per sample, the model expects " + model.inputFeatures());
            }
            double[] valScores = StreamedModelOps.reconstructionErrors(model, val, loading, kind, zero).scores();
            StreamedModelOps.Errors sc = StreamedModelOps.reconstructionErrors(model, test, loading, kind, zero);
            double threshold;
            String rule;
            if (o.fpr != null) {
                threshold = Ranking.thresholdForFpr(valScores, o.fpr);
                rule = "fpr:" + o.fpr;
            } else {
                Threshold t = Threshold.parse(thresholdRule);
                threshold = t.choose(valScores);
                rule = t.toString();
            }
            int n = test.size(), d = test.features();
            boolean[] flag = new boolean[n];
            int flagged = 0;
            for (int i = 0; i < n; i++) if (flag[i] = sc.scores()[i] > threshold) flagged++;
            int[] y = normal != null ? AnomalyScoring.anomalyLabels(testLabels, normal) : null;
            Scoring.Column anomaly = y == null ? null
                    : new Scoring.Column("anomaly", java.util.Arrays.stream(y).mapToObj(Integer::toString).toArray(String[]::new));
            Scoring.writeTable(out.resolve("scores.csv"), out.resolve("flagged.csv"),
                    java.util.Arrays.asList(Scoring.ids(test), Scoring.labels(testLabels, classes.named() ? classes.names() : null), anomaly), "error", sc.scores(), flag);
            Map<String, Object> saved = new LinkedHashMap<>();
            saved.put("validation_samples", val.size());
            saved.put("data", source);
            saved.put("report", out.resolve("report.json").toString());
            Scoring.saveThreshold(modelDir, threshold, rule, kind, saved, log);

            Map<String, Object> res = new LinkedHashMap<>();
            res.put("model_dir", modelDir.toString());
            res.put("data", source);
            res.put("split", o.split);
            res.put("backend", be.name());
            res.put("samples", n);
            res.put("validation_samples", val.size());
            res.put("score", kind.describe());
            res.put("score_kind", kind.key());
            res.put("threshold_rule", rule);
            res.put("threshold", threshold);
            res.put("flagged", flagged);
            res.put("validation_flagged_fraction", (double) java.util.Arrays.stream(valScores).filter(v -> v > threshold).count() / valScores.length);
            String metrics = "";
            if (y != null) {
                double auc = Ranking.rocAuc(sc.scores(), y), ap = Ranking.averagePrecision(sc.scores(), y);
                var conf = dev.bottleneck.anomaly.Metrics.confusion(flag, y);
                res.put("normal_labels", classes.values(new TreeSet<>(normal)));
                res.put("anomalies", java.util.Arrays.stream(y).sum());
                res.put("roc_auc", auc);
                res.put("pr_auc", ap);
                res.put("precision", conf.precision());
                res.put("recall", conf.recall());
                res.put("f1", conf.f1());
                res.put("false_positive_rate", conf.fp() + conf.tn() == 0 ? null : (double) conf.fp() / (conf.fp() + conf.tn()));
                metrics = String.format(Locale.ROOT, "; normal %s; ROC-AUC %.4f, PR-AUC %.4f, precision %.3f, recall %.3f",
                        classes.values(new TreeSet<>(normal)), auc, ap, conf.precision(), conf.recall());
            }
            if (test.sampleShape().length == 3 && o.top > 0) {
                int[] s = test.sampleShape();
                int k = Math.min(o.top, n), plane = s[1] * s[2];
                int[] order = AnomalyScoring.byScoreDescending(sc.scores());
                // only the top k are read again and reconstructed for their pictures
                float[] xk = new float[k * d];
                test.read(order, 0, k, xk, 0);
                float[] rk = dev.bottleneck.apps.ModelOps.reconstruct(model, xk, k);
                float[][] orig = new float[k][], rec = new float[k][];
                int[] at = java.util.Arrays.copyOf(order, k);
                double[] top = new double[k];
                double max = 0; // the colour scale's top: the largest squared error (channel mean) shown
                for (int i = 0; i < k; i++) {
                    orig[i] = java.util.Arrays.copyOfRange(xk, i * d, i * d + d);
                    rec[i] = java.util.Arrays.copyOfRange(rk, i * d, i * d + d);
                    top[i] = sc.scores()[at[i]];
                    for (int p = 0; p < plane; p++) {
                        double e = 0;
                        for (int ch = 0; ch < s[0]; ch++) e += Math.pow(orig[i][ch * plane + p] - rec[i][ch * plane + p], 2);
                        max = Math.max(max, e / s[0]);
                    }
                }
                Path png = out.resolve("errors.png");
                String title = String.format(Locale.ROOT, "%s/%s: the %d highest-scoring of %d samples (threshold %.4g)", source, o.split,
                        k, n, threshold);
                double errorMax = max;
                if (Pictures.draw(png, log, () -> ErrorMapPlot.write(png, ErrorMapPlot.chart(orig, rec, at, top, s[0], s[1], s[2],
                        errorMax, title)))) {
                    res.put("error_maps", png.toString());
                }
            }
            res.put("out", out.toString());
            AtomicFiles.writeString(out.resolve("report.json"), Json.write(res) + "\n");
            PrintResult.print(stdout, res, json, String.format(Locale.ROOT,
                    "%s/%s: %d samples, threshold %.5g (%s), %d flagged%s; written to %s", source, o.split, n, threshold, rule,
                    flagged, metrics, out));
            return 0;
        }
    }

    /** All labels of a split, or null without labels. */
    private static int[] labels(Samples s) {
        if (!s.hasLabels()) return null;
        int[] l = new int[s.size()];
        for (int i = 0; i < l.length; i++) l[i] = s.label(i);
        return l;
    }

    /** The samples whose label is normal (all of them without normal labels or labels). */
    private static int[] normalIndices(Samples s, Set<Integer> normal) {
        if (normal == null || !s.hasLabels()) return java.util.stream.IntStream.range(0, s.size()).toArray();
        return java.util.stream.IntStream.range(0, s.size()).filter(i -> normal.contains(s.label(i))).toArray();
    }

    private static boolean isBinary(int[] labels) {
        for (int l : labels) if (l != 0 && l != 1) return false;
        return true;
    }
}
