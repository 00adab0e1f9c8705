package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.UsageException;
import dev.bottleneck.anomaly.SeriesDetector;
import dev.bottleneck.anomaly.SeriesPlot;
import dev.bottleneck.anomaly.Threshold;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.RnnGeometry;
import dev.bottleneck.data.SensorData;
import dev.bottleneck.data.SeriesWindows;
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
                "Splits each series (or each group) chronologically into train / validation / test and finds the dominant period "
                        + "of the training part (autocorrelation); without --window the window is that period (16 steps when there "
                        + "is none). Trains on windows of the training part, calibrates the threshold on the validation part "
                        + "(assumed normal) so that a share --fpr of it (default 1%%) is flagged, and flags test rows above it; a "
                        + "row's error is the mean error of the windows covering it (--row-score). A per-feature z-score baseline "
                        + "and, with a period, a seasonal-naive baseline (same as one period ago) are scored the same way. Where "
                        + "labels exist, prints precision, recall, F1 and ROC-AUC.",
                "Writes <out>/rows.csv (every test row with its scores), <out>/flagged.csv, <out>/windows.csv (every validation "
                        + "and test window's error), <out>/detect.png, <out>/report.json and the model in <out>/model, with what "
                        + "'bottleneck score' needs to score a new series the same way (series.json: columns, window, row score, "
                        + "scaling; threshold.json).",
                "Example: bottleneck detect --data sensor --out runs/sensor",
                "Example: bottleneck detect --data load.csv --timestamp time --out runs/load   (window from the period, 1%% flagged)",
                "Example: bottleneck detect --data series.csv --timestamp time --label anomaly --window 32 --row-score center --out runs/s"})
final class DetectCommand implements Callable<Integer> {
    /** The series mode's false-positive rate when neither --threshold nor --fpr is given. */
    static final double DEFAULT_FPR = 0.01;

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
    @Option(names = "--window", paramLabel = "STEPS", description = "Window length in steps (default: the period, as a whole number of "
            + "periods of at least 8 steps, at most 512 and at most the shortest part; " + SeriesDetector.DEFAULT_WINDOW
            + " when no period is found).")
    Integer window;
    @Range(min = 0)
    @Option(names = "--period", paramLabel = "STEPS", description = "Season length in steps (e.g. 48 for a daily cycle of half-hourly "
            + "rows), for the default window and the seasonal-naive baseline (default: detected from the autocorrelation of the "
            + "training part; 0: no period, no seasonal baseline).")
    Integer period;
    @Range(min = 1)
    @Option(names = "--stride", paramLabel = "STEPS", description = "Stride of the training windows (default: max(4, window / 8); "
            + "scoring uses 1).")
    Integer stride;
    @Option(names = "--row-score", defaultValue = "mean", paramLabel = "HOW", description = "A row's error from the windows covering it: "
            + "mean (of every covering window), center (the window centred on the row) or max (default: ${DEFAULT-VALUE}).")
    String rowScore;
    @Range(min = 0, max = 1, minExclusive = true, maxExclusive = true)
    @Option(names = "--train-fraction", defaultValue = "0.35", description = "First fraction of each series to train on (default: ${DEFAULT-VALUE}).")
    double trainFraction;
    @Range(min = 0, max = 1, minExclusive = true, maxExclusive = true)
    @Option(names = "--val-fraction", defaultValue = "0.10", description = "Next fraction, assumed normal, to choose the threshold (default: ${DEFAULT-VALUE}).")
    double valFraction;
    @Option(names = "--threshold", paramLabel = "RULE", description = "Threshold rule on the validation scores instead of --fpr: p99, "
            + "percentile:99.5, mean+3sd, sigma:3 or fpr:0.01 (default: model mode p99; series mode fpr:" + DEFAULT_FPR + ").")
    String threshold;
    @Option(names = "--cell", defaultValue = "lstm", description = "lstm or gru (default: ${DEFAULT-VALUE}).")
    String cell;
    @Range(min = 1)
    @Option(names = "--hidden", defaultValue = "32", description = "Hidden units of the recurrent layers (default: ${DEFAULT-VALUE}).") int hidden;
    @Range(min = 1)
    @Option(names = "--layers", defaultValue = "1", description = "Recurrent layers in the encoder and the decoder (default: ${DEFAULT-VALUE}).") int layers;
    @Range(min = 0)
    @Option(names = "--latent", defaultValue = "8", description = "Code size (0: the encoder's last hidden state is the code; default: ${DEFAULT-VALUE}).") int latent;
    @Option(names = "--bidirectional", description = "Bidirectional encoder.") boolean bidirectional;
    @Option(names = "--teacher-forcing", description = "Feed the decoder the previous true step as well as the code.") boolean teacherForcing;
    @Range(min = 1)
    @Option(names = {"-e", "--epochs"}, description = "Training epochs (default: enough for about " + SeriesDetector.TARGET_STEPS
            + " optimizer steps, at least " + SeriesDetector.MIN_EPOCHS + " and at most " + SeriesDetector.MAX_EPOCHS + ").") Integer epochs;
    @Range(min = 1)
    @Option(names = {"-b", "--batch"}, defaultValue = "64", description = "Windows per training batch (default: ${DEFAULT-VALUE}).") int batch;
    @Range(min = 0, minExclusive = true)
    @Option(names = "--lr", defaultValue = "3e-3", description = "Adam learning rate (default: ${DEFAULT-VALUE}).") double lr;
    @Mixin SeedOption seedOption;
    @Mixin JsonOption jsonOption;
    @Option(names = {"-o", "--out"}, required = true, description = "Output directory.")
    Path out;

    @Override
    public Integer call() throws Exception {
        Log log = new Log(spec.commandLine().getErr(), false);
        if (threshold != null && modelMode.fpr != null) throw new UsageException("give --threshold or --fpr, not both");
        if (modelMode.modelDir != null) {   // image / table mode: a trained model scores every sample of a split
            return ModelDetect.run(modelMode, data, threshold == null ? "p99" : threshold, out, jsonOption.on, backendOptions, streamOptions,
                    log, spec.commandLine().getOut());
        }
        if (data == null) throw new BottleneckException("detect needs a MODEL_DIR (images, tables) or --data SERIES (time series)");
        Threshold rule;
        if (modelMode.fpr != null) {
            if (!(modelMode.fpr > 0 && modelMode.fpr < 1)) {
                throw new UsageException("--fpr must be in (0, 1), got " + modelMode.fpr + " (e.g. 0.01 to flag 1% of the validation rows)");
            }
            rule = Threshold.fpr(modelMode.fpr);
        } else {
            rule = threshold == null ? Threshold.fpr(DEFAULT_FPR) : Threshold.parse(threshold);
        }
        SeriesWindows.RowScore how = SeriesWindows.RowScore.parse(rowScore);
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
                    .withSkip(TimeSeriesReader.names(skip.toArray(String[]::new))).withMaxGap(maxGap).withMinRows(window == null ? 2 : window);
        }
        TimeSeries s = TimeSeriesReader.read(file, opt);
        SeriesDetector.Plan plan = SeriesDetector.plan(s, trainFraction, valFraction, window, period, stride);
        int epochCount = epochs != null ? epochs : SeriesDetector.defaultEpochs(plan.trainWindows(), batch);
        log.info(s.name() + ": " + plan.describe() + "; " + epochCount + " epochs" + (epochs != null ? "" : String.format(Locale.ROOT,
                " (about %d optimizer steps over %d training windows)", epochCount * ((plan.trainWindows() + batch - 1) / batch), plan.trainWindows())));
        SequenceSpec model;
        try {
            model = new SequenceSpec("detect-" + cell, plan.window(), s.features(), RnnGeometry.Cell.parse(cell), hidden, layers, latent,
                    bidirectional, teacherForcing);
        } catch (IllegalArgumentException e) {
            throw new BottleneckException(e.getMessage());
        }
        Files.createDirectories(out);
        FitConfig fit = new FitConfig().epochs(epochCount).batch(batch).seed(seedOption.seed).optimizer(OptimizerConfig.adam(lr))
                .outDir(out.resolve("model"));
        SeriesDetector.Config cfg = new SeriesDetector.Config(plan.window(), plan.stride(), trainFraction, valFraction, rule,
                model, fit, seedOption.seed, plan.period(), how);
        try (Backend be = backendOptions.create(log)) {
            SeriesDetector.Report r = SeriesDetector.run(s, cfg, be, log::info);
            try (var m = r.model()) {
                // what 'score' needs to score a new series the same way, beside the model
                SeriesScoring.save(out.resolve("model"), file, s, opt, plan.window(), how, r.scaler(), r.autoencoder().threshold(), cfg.threshold().toString(),
                        r.split().validation().rows(), log);
                writeRows(r);
                writeWindows(r);
                String title = String.format(Locale.ROOT, "%s: %s, window %d%s, threshold %s", s.name(), r.autoencoder().method(),
                        plan.window(), plan.period() > 0 ? " (period " + plan.period() + ")" : "", cfg.threshold());
                Pictures.draw(out.resolve("detect.png"), log, () -> SeriesPlot.write(out.resolve("detect.png"),
                        SeriesPlot.chart(s, r.scaler().offset(), r.scaler().divisor(), r.split(), r.autoencoder(), title)));
                Map<String, Object> res = new LinkedHashMap<>();
                res.put("data", file.toString());
                res.put("rows", s.rows());
                res.put("test_rows", r.testRows().length);
                res.put("validation_rows", r.split().validation().rows());
                res.put("backend", be.name());
                res.put("period", plan.period() > 0 ? plan.period() : null);
                res.put("period_source", plan.periodSource());
                if (plan.detected() != null && plan.detected().maxLag() >= 2) {
                    res.put("period_autocorrelation", Double.isNaN(plan.detected().autocorrelation()) ? null : plan.detected().autocorrelation());
                }
                res.put("window", plan.window());
                res.put("window_source", plan.windowSource());
                res.put("stride", plan.stride());
                res.put("epochs", epochCount);
                res.put("row_score", how.toString());
                res.put("threshold_rule", cfg.threshold().toString());
                for (SeriesDetector.Scores sc : r.methods()) {
                    String k = sc == r.autoencoder() ? "autoencoder" : sc == r.baseline() ? "baseline" : "seasonal_naive";
                    Map<String, Object> m2 = new LinkedHashMap<>();
                    m2.put("method", sc.method());
                    m2.put("threshold", sc.threshold());
                    m2.put("validation_flagged_fraction", sc.validationFlaggedShare());
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
                StringBuilder rows = new StringBuilder();
                for (SeriesDetector.Scores sc : r.methods()) {
                    log.info(sc.row(Locale.ROOT));
                    rows.append("; ").append(sc.row(Locale.ROOT).trim());
                }
                PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                        "%s: %s; %d test rows%s; written to %s", s.name(), plan.describe(), r.testRows().length, rows, out));
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
        head.append(",ae_error,ae_flag,baseline_score,baseline_flag");
        if (r.seasonal() != null) head.append(",seasonal_score,seasonal_flag");
        head.append('\n');
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
            for (SeriesDetector.Scores sc : r.methods()) {
                if (sc == r.autoencoder()) continue;
                b.append(',').append(String.format(Locale.ROOT, "%.6g", sc.rowScores()[row])).append(',').append(sc.flagged()[row] ? 1 : 0);
            }
            b.append('\n');
            all.append(b);
            if (fa) flagged.append(b);
        }
        AtomicFiles.writeString(out.resolve("rows.csv"), all.toString());
        AtomicFiles.writeString(out.resolve("flagged.csv"), flagged.toString());
    }

    /** windows.csv: every validation and test window (stride 1) with its reconstruction error, first and last line. */
    private void writeWindows(SeriesDetector.Report r) {
        TimeSeries s = r.series();
        StringBuilder b = new StringBuilder("part,group,first_line,last_line,error\n");
        for (int p = 0; p < 2; p++) {
            SeriesWindows.Windows w = p == 0 ? r.validationWindows() : r.testWindows();
            double[] e = p == 0 ? r.validationWindowErrors() : r.testWindowErrors();
            for (int i = 0; i < w.n(); i++) {
                int first = w.startRows()[i], last = first + w.length() - 1;
                b.append(p == 0 ? "validation" : "test").append(',').append(groupOf(s, first)).append(',').append(s.lines()[first])
                        .append(',').append(s.lines()[last]).append(',').append(String.format(Locale.ROOT, "%.6g", e[i])).append('\n');
            }
        }
        AtomicFiles.writeString(out.resolve("windows.csv"), b.toString());
    }

    private static String groupOf(TimeSeries s, int row) {
        for (TimeSeries.Segment g : s.segments()) if (row >= g.from() && row < g.to()) return g.group();
        return "";
    }

    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.7g", v);
    }
}
