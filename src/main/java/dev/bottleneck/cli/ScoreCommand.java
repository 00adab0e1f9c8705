package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.anomaly.ReconstructionScore;
import dev.bottleneck.apps.Ranking;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.CsvTable;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.IdxReader;
import dev.bottleneck.data.ImageFolderReader;
import dev.bottleneck.data.TextFolderReader;
import dev.bottleneck.data.TextVectorizer;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.data.shard.ImageFolderSamples;
import dev.bottleneck.data.shard.Samples;
import dev.bottleneck.data.shard.ShardManifest;
import dev.bottleneck.data.shard.ShardSet;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code score MODEL_DIR INPUT --out scores.csv}: scores every item of a new file or folder with a trained model —
 * rows of a CSV table, images of a folder or an IDX file, samples of a shard directory, and for a series model saved by
 * {@code detect --data} every row of a new series — with the model's saved scaling and the threshold {@code detect}
 * saved (or {@code --threshold}), and writes each item's identity, score and flag.
 */
@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score every item of a new file or folder with a trained model: the rows of a CSV table (with or without its"
                + " label column), the images of a folder (class sub-folders optional) or of an IDX file, the samples of a shard"
                + " directory, or for a series model saved by 'detect --data' the rows of a new series.",
                "The model's saved input scaling is applied; the threshold is the one 'detect' saved in MODEL_DIR/threshold.json"
                        + " (or --threshold). Writes --out (every item: index, id, label if known, score, flag) and --flagged"
                        + " (the flagged items). The id is the item's identity: a table's --id-column (else its line in the file),"
                        + " an image's path inside the folder, a shard sample's split/position, a series row's timestamp.",
                "Example: bottleneck score runs/w1 new-digits/ --out scores.csv",
                "Example: bottleneck score runs/table new.csv --id-column order_id --threshold 0.02 --out scores.csv"})
final class ScoreCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory written by 'train' (or the model folder of 'detect --data').")
    Path modelDir;

    @Parameters(index = "1", paramLabel = "INPUT",
            description = "A CSV file, a folder of images, an IDX images file or a shard directory (a CSV series for a series model).")
    Path input;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.csv", description = "Where to write the score of every item.")
    Path out;

    @Option(names = "--flagged", paramLabel = "FILE.csv", description = "Where to write the flagged items (default: flagged.csv beside --out).")
    Path flaggedOut;

    @Option(names = "--threshold", paramLabel = "VALUE",
            description = "The threshold: a number, the report.json of 'detect', or a rule computed on the model's validation hold-out"
                    + " as 'detect' does (p99, percentile:99.5, mean+3sd, sigma:3, fpr:0.05). Default: the one 'detect' saved in"
                    + " MODEL_DIR/threshold.json.")
    String threshold;

    @Option(names = "--score", paramLabel = "mse|sum|per-nonzero",
            description = "The score of an item: mse (reconstruction MSE over its values), sum (summed squared error) or per-nonzero"
                    + " (MSE over the values that are non-zero in the input, for inputs whose size varies, such as bag-of-words"
                    + " vectors). Default: the saved threshold's, else mse.")
    String score;

    @Option(names = "--id-column", paramLabel = "COLUMN",
            description = "CSV: the column (name or 0-based index) that identifies a row, passed through to the output and not a"
                    + " feature (default: the model's --id-column where the file has it, else the row's line number).")
    String idColumn;

    @Option(names = "--label-column", paramLabel = "COLUMN",
            description = "CSV: a label column to pass through (default: the model's label column where the file has it).")
    String labelColumn;

    @Option(names = "--split", paramLabel = "NAME", description = "Shard directory: score only this split (default: every split, train first).")
    String split;

    @Mixin TrainLimitOption trainLimit;

    /** Where the model's training data is looked for (for a --threshold rule). */
    @Mixin DataFolderOption dataFolder;

    @Mixin JsonOption jsonOption;

    @Mixin BackendOptionsMixin backendOptions;

    @Mixin StreamOptionsMixin streamOptions;

    /** What was read from INPUT: raw samples (as the readers produce them), their labels, and a description. */
    record Items(Samples samples, Scoring.Column labels, String kind, AutoCloseable resource) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            if (resource != null) resource.close();
        }
    }

    @Override
    public Integer call() throws Exception {
        Log log = new Log(spec.commandLine().getErr(), false);
        if (Files.isDirectory(out)) throw new BottleneckException("--out " + out + " is a folder; give a file name such as scores.csv");
        Path flagged = flaggedOut != null ? flaggedOut : out.resolveSibling("flagged.csv");
        if (flagged.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new BottleneckException("--flagged and --out are the same file " + out + "; give --flagged another name");
        }
        if (SeriesScoring.isSeriesModel(modelDir)) return SeriesScoring.run(this, log);   // a model of 'detect --data'
        Map<String, Object> config = Checkpoint.readConfig(modelDir);
        Scoring.Saved saved = threshold == null ? Scoring.readThreshold(modelDir) : null;
        ReconstructionScore kind = score != null ? ReconstructionScore.parse(score)
                : saved != null ? saved.score() : ReconstructionScore.MSE;
        if (threshold == null) {
            if (saved == null) {
                throw new BottleneckException("no threshold for " + modelDir + ": run 'bottleneck detect " + modelDir + " --out DIR' first"
                        + " (it saves one in " + Scoring.THRESHOLD_FILE + "), or pass --threshold VALUE or a rule such as p99");
            }
            if (saved.score() != kind) {
                throw new BottleneckException("the threshold in " + saved.file() + " is for --score " + saved.score().key() + ", not "
                        + kind.key() + ": run 'detect --score " + kind.key() + "' again, or pass --threshold VALUE or a rule such as p99");
            }
        } else if (Scoring.fixedThreshold(threshold.trim()) == null) {
            Scoring.checkRule(threshold.trim());
        }
        Scaler scaler = Scoring.savedScaler(config);
        float[] zero = Scoring.zeroValues(scaler);
        try (Items items = read(config, log); Backend be = backendOptions.create(log); Autoencoder model = Checkpoint.load(modelDir, be).model()) {
            Samples raw = items.samples();
            if (raw.features() != model.inputFeatures()) {
                throw new BottleneckException(input + " has " + raw.features() + " values per item (" + items.kind() + " of "
                        + Arrays.toString(raw.sampleShape()) + "), the model expects " + model.inputFeatures() + " "
                        + Arrays.toString(model.inputShape()));
            }
            Samples x = scaler == null ? raw : raw.scaled(scaler);
            Scoring.Chosen chosen;
            if (threshold == null) {
                chosen = new Scoring.Chosen(saved.threshold(), saved.rule() + ", saved by detect");
            } else {
                chosen = Scoring.fixedThreshold(threshold.trim());
                if (chosen == null) chosen = ruleOnValidation(config, model, kind, zero, log);
            }
            double[] sc = dev.bottleneck.data.shard.StreamedModelOps.reconstructionErrors(model, x, streamOptions.loading(), kind, zero).scores();
            int n = sc.length, flaggedCount = 0;
            boolean[] flag = new boolean[n];
            for (int i = 0; i < n; i++) if (flag[i] = sc[i] > chosen.value()) flaggedCount++;
            Scoring.writeTable(out, flagged, java.util.Arrays.asList(Scoring.ids(raw), items.labels()), "score", sc, flag);

            Map<String, Object> res = new LinkedHashMap<>();
            res.put("model_dir", modelDir.toString());
            res.put("input", input.toString());
            res.put("items", n);
            res.put("kind", items.kind());
            res.put("backend", be.name());
            res.put("score", kind.key());
            res.put("threshold", chosen.value());
            res.put("threshold_rule", chosen.rule());
            res.put("flagged", flaggedCount);
            String auc = "";
            int[] y = binaryLabels(items.labels() == null ? null : items.labels().values());
            if (y != null) {
                double a = Ranking.rocAuc(sc, y);
                res.put("roc_auc", a);
                auc = String.format(Locale.ROOT, ", ROC-AUC %.4f against the 0/1 labels", a);
            }
            res.put("out", out.toString());
            res.put("flagged_out", flagged.toString());
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                    "%s: %d %s scored (%s), threshold %.6g (%s), %d flagged%s; written to %s and %s", input, n, items.kind(), kind.key(),
                    chosen.value(), chosen.rule(), flaggedCount, auc, out, flagged));
            return 0;
        }
    }

    /** The items of INPUT, as the readers give them (unscaled). */
    private Items read(Map<String, Object> config, Log log) {
        if (Files.isDirectory(input)) {
            if (ShardManifest.isShardDirectory(input)) return shards(log);
            if (ImageFolderReader.looksLikeImageFolder(input)) return images(config);
            if (DataSources.isTextFolder(input)) return documents(config);
            throw new BottleneckException(input + " is a folder but neither a shard directory (manifest.json) nor a folder of images or"
                    + " of text documents; give a CSV file, an image folder, a text folder, an IDX images file or a shard directory");
        }
        if (!Files.isRegularFile(input)) throw new BottleneckException("INPUT " + input + ": no such file or folder");
        String fn = input.getFileName().toString().toLowerCase(Locale.ROOT);
        if (fn.endsWith(".csv") || fn.endsWith(".tsv") || fn.endsWith(".txt")) return table(config);
        if (fn.contains("idx") || fn.contains("ubyte")) {
            Dataset d = IdxReader.readImages(input, DataSources.siblingLabels(input), fn);
            return new Items(Samples.of(d), Scoring.labels(d.labels(), null), "images", null);
        }
        throw new BottleneckException(input + ": unknown input type; expected a .csv file, a folder of images, an IDX images file"
                + " (name containing 'idx3-ubyte') or a shard directory");
    }

    /** A folder of images, decoded one batch at a time at the size and channels the model was trained on. */
    private Items images(Map<String, Object> config) {
        int[] shape = imageShape(config);
        if (shape == null) {
            throw new BottleneckException(input + " is a folder of images, but " + modelDir + " was not trained on images; give a "
                    + "file of the kind it was trained on");
        }
        // the size, channels and background the model was trained with
        ImageFolderSamples s = ImageFolderSamples.open(input, PreparedData.savedImageOptions(MapValues.map(config.get("data"), "config.json 'data'")));
        int[] labels = null;
        if (s.hasLabels()) {
            labels = new int[s.size()];
            for (int i = 0; i < labels.length; i++) labels[i] = s.label(i);
        }
        return new Items(s, Scoring.labels(labels, s.classes()), "images", null);
    }

    /** A folder of text documents, every one turned into the model's features by the vocabulary saved in config.json. */
    private Items documents(Map<String, Object> config) {
        Object text = config.get("data") instanceof Map<?, ?> d ? d.get("text") : null;
        if (text == null) {
            throw new BottleneckException(input + " is a folder of text documents, but " + modelDir + " was not trained on documents; give a "
                    + "file of the kind it was trained on");
        }
        TextVectorizer v = TextVectorizer.fromMap(MapValues.map(text, "config.json 'data.text'"), "config.json 'data.text'");
        TextFolderReader.Documents docs = TextFolderReader.readAll(input, v);
        Dataset d = docs.data();
        return new Items(Samples.of(d), Scoring.labels(d.labels(), docs.classes().isEmpty() ? null : docs.classes()), "documents", null);
    }

    /** C, H, W of the images the model was trained on, or null when it was not trained on images. */
    private static int[] imageShape(Map<String, Object> config) {
        if (!(config.get("data") instanceof Map<?, ?> d) || !(d.get("sample_shape") instanceof List<?> l) || l.size() != 3) return null;
        return MapValues.intList(d.get("sample_shape"), "config.json 'data.sample_shape'", 1, Integer.MAX_VALUE, 3);
    }

    /** The samples of a shard directory: every split one after the other (or --split), known by split and position. */
    private Items shards(Log log) {
        ShardSet set = ShardSet.open(input, streamOptions.verification(), log::info);
        try {
            List<String> names = new ArrayList<>();
            if (split != null) {
                if (!set.hasSplit(split)) throw new BottleneckException(input + " has no split '" + split + "'");
                names.add(split);
            } else {
                for (String s : ShardManifest.SPLITS) if (set.hasSplit(s)) names.add(s);
            }
            List<Samples> parts = new ArrayList<>();
            for (String s : names) parts.add(set.split(s));
            Samples all = new Parts(parts, names);
            List<String> classes = set.manifest().classes();
            int[] labels = null;
            if (all.hasLabels()) {
                labels = new int[all.size()];
                for (int i = 0; i < labels.length; i++) labels[i] = all.label(i);
            }
            return new Items(all, Scoring.labels(labels, classes), "samples", set);
        } catch (RuntimeException e) {
            set.close();
            throw e;
        }
    }

    /** A CSV table read with the model's CSV options, fitted to the columns this file has. */
    @SuppressWarnings("unchecked")
    private Items table(Map<String, Object> config) {
        Map<String, Object> data = config.get("data") instanceof Map ? MapValues.map(config.get("data"), "config.json 'data'") : Map.of();
        Map<String, Object> csv = data.get("csv") == null ? null : MapValues.map(data.get("csv"), "config.json 'data.csv'");
        CsvReader.Options saved = csv == null ? CsvReader.defaults() : PreparedData.csvOptions(csv);
        List<String> features = csv != null && csv.get("features") instanceof List<?> f
                ? f.stream().map(String::valueOf).toList() : null;
        Scaler scaler = Scoring.savedScaler(config);
        CsvReader.Options opt = ScoreColumns.fit(input, saved, features, scaler == null ? -1 : scaler.features(), idColumn, labelColumn);
        CsvTable t = CsvReader.read(input, opt);
        Dataset d = t.dataset();
        return new Items(Samples.of(d), Scoring.labels(d.labels(), t.labelNames()), "rows", null);
    }

    /** A threshold rule computed on the model's validation hold-out, as 'detect' computes it, with this score. */
    private Scoring.Chosen ruleOnValidation(Map<String, Object> config, Autoencoder model, ReconstructionScore kind, float[] zero, Log log) {
        try (ModelDetect.Training training = ModelDetect.Training.open(config, null, dataFolder.dir, streamOptions, log)) {
            Samples val = ModelDetect.validation(config, training.train(), trainLimit.value(),
                    ModelDetect.normalLabels(null, training.train(), training.classes(), ModelDetect.trainedFilter(config)), training.classes(),
                    training.source(), log);
            double[] v = dev.bottleneck.data.shard.StreamedModelOps.reconstructionErrors(model, val, training.loading(), kind, zero).scores();
            Scoring.Chosen c = Scoring.ruleThreshold(threshold.trim(), v);
            return new Scoring.Chosen(c.value(), c.rule() + " of " + val.size() + " validation samples");
        }
    }

    /** 0/1 labels with both values present (1 = anomaly), or null. */
    private static int[] binaryLabels(String[] labels) {
        if (labels == null) return null;
        int[] y = new int[labels.length];
        boolean zero = false, one = false;
        for (int i = 0; i < y.length; i++) {
            if (labels[i].equals("1")) {
                y[i] = 1;
                one = true;
            } else if (labels[i].equals("0")) {
                zero = true;
            } else {
                return null;
            }
        }
        return zero && one ? y : null;
    }

    /** Several splits of a shard directory one after the other; sample {@code i} is known as {@code split/position}. */
    private static final class Parts implements Samples {
        private final List<Samples> parts;
        private final List<String> names;
        private final int[] starts;

        Parts(List<Samples> parts, List<String> names) {
            this.parts = parts;
            this.names = names;
            this.starts = new int[parts.size() + 1];
            for (int k = 0; k < parts.size(); k++) starts[k + 1] = Math.addExact(starts[k], parts.get(k).size());
            for (Samples p : parts) {
                if (!Arrays.equals(p.sampleShape(), parts.get(0).sampleShape())) {
                    throw new BottleneckException("the splits of the shard directory have different sample shapes");
                }
            }
        }

        private int part(int i) {
            if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("sample " + i + " of " + size());
            int k = 0;
            while (i >= starts[k + 1]) k++;
            return k;
        }

        @Override public int size() { return starts[parts.size()]; }
        @Override public int[] sampleShape() { return parts.get(0).sampleShape(); }
        @Override public String name() { return String.join("+", names); }
        @Override public boolean hasLabels() { return parts.stream().allMatch(Samples::hasLabels); }
        @Override public boolean hasIds() { return true; }

        @Override
        public int label(int i) {
            int k = part(i);
            return parts.get(k).label(i - starts[k]);
        }

        @Override
        public String id(int i) {
            int k = part(i);
            String own = parts.get(k).id(i - starts[k]);
            return own != null ? own : names.get(k) + "/" + (i - starts[k]);
        }

        @Override
        public void read(int i, float[] dst, int off) {
            int k = part(i);
            parts.get(k).read(i - starts[k], dst, off);
        }
    }
}
