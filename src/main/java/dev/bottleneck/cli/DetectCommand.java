package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.anomaly.SeriesDetector;
import dev.bottleneck.anomaly.SeriesPlot;
import dev.bottleneck.anomaly.Threshold;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.RnnGeometry;
import dev.bottleneck.data.SensorData;
import dev.bottleneck.data.TimeSeries;
import dev.bottleneck.data.TimeSeriesReader;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.model.SequenceSpec;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.train.FitConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "detect", defaultValueProvider = CommandDefaults.class, mixinStandardHelpOptions = true,
        description = {"detect MODEL_DIR: anomaly detection on images or table rows with a trained autoencoder: the score is the "
                + "per-sample reconstruction error, the threshold comes from the validation hold-out (--threshold p99 or --fpr 0.05), "
                + "ROC-AUC and PR-AUC when labels exist (--normal-labels). Writes scores.csv and flagged.csv (each sample with its id), "
                + "report.json, errors.png, and saves the threshold in MODEL_DIR/threshold.json for 'bottleneck score'.",
                "detect --data SERIES: anomaly detection on a time series with a sequence (LSTM/GRU) autoencoder.",
                "Splits each series (or each group) chronologically into train / validation / test, trains on windows of the "
                        + "training part, chooses the threshold on the validation part (assumed normal) and flags test rows whose "
                        + "error (the mean error of the windows covering the row) is above it. A per-feature z-score baseline is "
                        + "scored the same way. Where labels exist, prints precision, recall, F1 and ROC-AUC.",
                "Writes <out>/rows.csv (every test row with its scores), <out>/flagged.csv, <out>/detect.png, <out>/report.json "
                        + "and the model in <out>/model, with what 'bottleneck score' needs to score a new series the same way (series.json: "
                        + "columns, window, scaling; threshold.json).",
                "Example: bottleneck detect --data sensor --out runs/sensor",
                "Example: bottleneck detect --data series.csv --timestamp time --label anomaly --window 32 --out runs/s"})
final class DetectCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin BackendOptionsMixin backendOptions;
    /** Image / table mode: {@code detect MODEL_DIR ...} (see {@link ModelDetect}). */
    @Mixin DetectModelOptions modelMode;
    /** Model mode: how shard directories (and --stream image folders) are read. */
    @Mixin StreamOptionsMixin streamOptions;

    @Option(names = "--data", description = "A CSV file (header line, numeric feature columns), or 'sensor' "
            + "(the wireless sensor data installed by scripts/fetch-data.sh --only sensor).")
    String data;
    @Option(names = "--timestamp", description = "Timestamp column (numbers or ISO-8601): rows must increase within each group.")
    String timestamp;
    @Option(names = "--label", description = "0/1 label column (1 = anomalous): enables precision/recall/F1/ROC-AUC.")
    String label;
    @Option(names = "--group", description = "Group column: one series per value (e.g. a sensor id); windows never cross groups.")
    String group;
    @Option(names = "--skip-columns", split = ",", description = "Columns that are not features.")
    List<String> skip = List.of();
    @Range(min = 0)
    @Option(names = "--max-gap", defaultValue = "0", description = "Largest allowed timestamp step; larger gaps are an error (0: no check).")
    double maxGap;
    @Range(min = 2)
    @Option(names = "--window", defaultValue = "16", description = "Window length in steps (default: ${DEFAULT-VALUE}).")
    int window;
    @Range(min = 1)
    @Option(names = "--stride", defaultValue = "4", description = "Stride of the training windows (default: ${DEFAULT-VALUE}; scoring uses 1).")
    int stride;
    @Range(min = 0, max = 1, minExclusive = true, maxExclusive = true)
    @Option(names = "--train-fraction", defaultValue = "0.35", description = "First fraction of each series to train on (default: ${DEFAULT-VALUE}).")
    double trainFraction;
    @Range(min = 0, max = 1, minExclusive = true, maxExclusive = true)
    @Option(names = "--val-fraction", defaultValue = "0.10", description = "Next fraction, assumed normal, to choose the threshold (default: ${DEFAULT-VALUE}).")
    double valFraction;
    @Option(names = "--threshold", defaultValue = "p99", description = "p99, percentile:99.5, mean+3sd or sigma:3 (default: ${DEFAULT-VALUE}).")
    String threshold;
    @Option(names = "--cell", defaultValue = "lstm", description = "lstm or gru (default: ${DEFAULT-VALUE}).")
    String cell;
    @Range(min = 1)
    @Option(names = "--hidden", defaultValue = "32") int hidden;
    @Range(min = 1)
    @Option(names = "--layers", defaultValue = "1") int layers;
    @Range(min = 0)
    @Option(names = "--latent", defaultValue = "8", description = "Code size (0: the encoder's last hidden state is the code).") int latent;
    @Option(names = "--bidirectional", description = "Bidirectional encoder.") boolean bidirectional;
    @Option(names = "--teacher-forcing", description = "Feed the decoder the previous true step as well as the code.") boolean teacherForcing;
    @Range(min = 1)
    @Option(names = {"-e", "--epochs"}, defaultValue = "6") int epochs;
    @Range(min = 1)
    @Option(names = {"-b", "--batch"}, defaultValue = "64") int batch;
    @Range(min = 0, minExclusive = true)
    @Option(names = "--lr", defaultValue = "3e-3") double lr;
    @Mixin SeedOption seedOption;
    @Mixin JsonOption jsonOption;
    @Option(names = {"-o", "--out"}, required = true, description = "Output directory.")
    Path out;

    @Override
    public Integer call() throws Exception {
        Log log = new Log(spec.commandLine().getErr(), false);
        if (modelMode.modelDir != null) {   // image / table mode: a trained model scores every sample of a split
            return ModelDetect.run(modelMode, data, threshold, out, jsonOption.on, backendOptions, streamOptions, log, spec.commandLine().getOut());
        }
        if (data == null) throw new BottleneckException("detect needs a MODEL_DIR (images, tables) or --data SERIES (time series)");
        Path file;
        TimeSeriesReader.Options opt;
        if (data.equals(SensorData.NAME)) {
            file = SensorData.path();
            if (!Files.isRegularFile(file)) {
                throw new BottleneckException("the sensor data is not installed at " + file + ": run scripts/fetch-data.sh --only sensor");
            }
            opt = SensorData.options();
        } else {
            file = Path.of(data);
            opt = TimeSeriesReader.Options.defaults().withTimestamp(timestamp).withLabel(label).withGroup(group)
                    .withSkip(TimeSeriesReader.names(skip.toArray(String[]::new))).withMaxGap(maxGap).withMinRows(window);
        }
        TimeSeries s = TimeSeriesReader.read(file, opt);
        SequenceSpec model;
        try {
            model = new SequenceSpec("detect-" + cell, window, s.features(), RnnGeometry.Cell.parse(cell), hidden, layers, latent,
                    bidirectional, teacherForcing);
        } catch (IllegalArgumentException e) {
            throw new BottleneckException(e.getMessage());
        }
        Files.createDirectories(out);
        FitConfig fit = new FitConfig().epochs(epochs).batch(batch).seed(seedOption.seed).optimizer(OptimizerConfig.adam(lr))
                .outDir(out.resolve("model"));
        SeriesDetector.Config cfg = new SeriesDetector.Config(window, stride, trainFraction, valFraction, Threshold.parse(threshold),
                model, fit, seedOption.seed);
        try (Backend be = backendOptions.create(log)) {
            SeriesDetector.Report r = SeriesDetector.run(s, cfg, be, log::info);
            try (var m = r.model()) {
                // what 'score' needs to score a new series the same way, beside the model
                SeriesScoring.save(out.resolve("model"), file, s, opt, window, r.scaler(), r.autoencoder().threshold(), cfg.threshold().toString(),
                        r.split().validation().rows(), log);
                writeRows(r);
                SeriesPlot.write(out.resolve("detect.png"), s, r.scaler().offset(), r.scaler().divisor(), r.autoencoder().rowScores(),
                        r.autoencoder().threshold(), r.autoencoder().flagged(),
                        s.name() + ": " + r.autoencoder().method() + " (window " + window + ", threshold " + cfg.threshold() + ")");
                Map<String, Object> res = new LinkedHashMap<>();
                res.put("data", file.toString());
                res.put("rows", s.rows());
                res.put("test_rows", r.testRows().length);
                res.put("backend", be.name());
                res.put("threshold_rule", cfg.threshold().toString());
                for (SeriesDetector.Scores sc : List.of(r.autoencoder(), r.baseline())) {
                    String k = sc == r.autoencoder() ? "autoencoder" : "baseline";
                    Map<String, Object> m2 = new LinkedHashMap<>();
                    m2.put("threshold", sc.threshold());
                    int flagged = 0;
                    for (int row : r.testRows()) if (sc.flagged()[row]) flagged++;
                    m2.put("flagged", flagged);
                    if (sc.confusion() != null) {
                        m2.put("roc_auc", sc.rocAuc());
                        m2.put("f1", sc.confusion().f1());
                        m2.put("precision", sc.confusion().precision());
                        m2.put("recall", sc.confusion().recall());
                    }
                    res.put(k, m2);
                }
                AtomicFiles.writeString(out.resolve("report.json"), dev.bottleneck.io.Json.write(res) + "\n");
                log.info(r.autoencoder().row(Locale.ROOT));
                log.info(r.baseline().row(Locale.ROOT));
                PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                        "%s: %d test rows; %s; %s; written to %s", s.name(), r.testRows().length, r.autoencoder().row(Locale.ROOT).trim(),
                        r.baseline().row(Locale.ROOT).trim(), out));
            }
        }
        return 0;
    }

    private void writeRows(SeriesDetector.Report r) {
        TimeSeries s = r.series();
        StringBuilder all = new StringBuilder(), flagged = new StringBuilder();
        StringBuilder head = new StringBuilder("line,group");
        if (s.timestamps() != null) head.append(",timestamp");
        for (String f : s.featureNames()) head.append(',').append(f);
        if (s.hasLabels()) head.append(",label");
        head.append(",ae_error,ae_flag,baseline_score,baseline_flag\n");
        all.append(head);
        flagged.append(head);
        for (int row : r.testRows()) {
            StringBuilder b = new StringBuilder();
            b.append(s.lines()[row]).append(',').append(groupOf(s, row));
            if (s.timestamps() != null) b.append(',').append(num(s.timestamps()[row]));
            for (int j = 0; j < s.features(); j++) b.append(',').append(num(s.value(row, j)));
            if (s.hasLabels()) b.append(',').append(s.labels()[row]);
            boolean fa = r.autoencoder().flagged()[row];
            b.append(',').append(String.format(Locale.ROOT, "%.6g", r.autoencoder().rowScores()[row])).append(',').append(fa ? 1 : 0);
            b.append(',').append(String.format(Locale.ROOT, "%.6g", r.baseline().rowScores()[row])).append(',')
                    .append(r.baseline().flagged()[row] ? 1 : 0).append('\n');
            all.append(b);
            if (fa) flagged.append(b);
        }
        AtomicFiles.writeString(out.resolve("rows.csv"), all.toString());
        AtomicFiles.writeString(out.resolve("flagged.csv"), flagged.toString());
    }

    private static String groupOf(TimeSeries s, int row) {
        for (TimeSeries.Segment g : s.segments()) if (row >= g.from() && row < g.to()) return g.group();
        return "";
    }

    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.7g", v);
    }
}
