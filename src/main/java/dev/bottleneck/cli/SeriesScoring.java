package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.anomaly.ReconstructionScore;
import dev.bottleneck.anomaly.SeriesDetector;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.data.SeriesWindows;
import dev.bottleneck.data.TimeSeries;
import dev.bottleneck.data.TimeSeriesReader;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.train.Checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code score} for a sequence model saved by {@code detect --data}: what that run knew about its series is saved beside
 * the model ({@value #FILE}: the columns, the window, the per-feature scaling of the training rows, how a row's score
 * comes from its windows) with its threshold ({@link Scoring#THRESHOLD_FILE}), and a new series is scored the same way:
 * every window of every group (stride 1), each row scored by the mean error of the windows covering it, flagged above
 * the threshold, known by its timestamp.
 */
final class SeriesScoring {
    private SeriesScoring() {}

    /** The description of a series model, in its model directory. */
    static final String FILE = "series.json";
    static final String FORMAT = "bottleneck-series";

    /** A row's score from the windows covering it where {@link #FILE} does not say ({@code detect --data}'s default). */
    static final SeriesWindows.RowScore ROW_SCORE = SeriesWindows.RowScore.MEAN;

    static boolean isSeriesModel(Path modelDir) {
        return Files.isRegularFile(modelDir.resolve(FILE));
    }

    /**
     * Saves what {@code score} needs to score a new series like {@code detect --data} scored this one (the threshold
     * is the autoencoder's, on row scores).
     */
    static void save(Path modelDir, Path source, TimeSeries s, TimeSeriesReader.Options opt, int window, SeriesWindows.RowScore rowScore,
                     Scaler scaler, double threshold, String rule, int validationRows, Log log) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", 1);
        m.put("source", source.toString());
        m.put("features", s.featureNames());
        m.put("timestamp", opt.timestampColumn());
        m.put("group", opt.groupColumn());
        m.put("label", opt.labelColumn());
        m.put("skip", new ArrayList<>(opt.skipColumns()));
        m.put("max_gap", opt.maxGap());
        m.put("window", window);
        m.put("row_score", rowScore.toString());
        m.put("scaler", scaler.toMap());
        try {
            AtomicFiles.writeString(modelDir.resolve(FILE), Json.write(m) + "\n");
        } catch (BottleneckException e) {
            log.info("warning: cannot save " + modelDir.resolve(FILE) + " (" + e.getMessage() + "); 'score' cannot use this model");
            return;
        }
        Map<String, Object> more = new LinkedHashMap<>();
        more.put("row_score", rowScore.toString());
        more.put("validation_rows", validationRows);
        more.put("data", source.toString());
        Scoring.saveThreshold(modelDir, threshold, rule, ReconstructionScore.MSE, more, log);
    }

    /** What {@link #FILE} holds, checked. */
    record Saved(List<String> features, String timestamp, String group, String label, Set<String> skip, double maxGap, int window,
                 SeriesWindows.RowScore rowScore, Scaler scaler) { }

    @SuppressWarnings("unchecked")
    static Saved read(Path modelDir) {
        Path f = modelDir.resolve(FILE);
        Map<String, Object> m = Scoring.readJson(f, "the series description written by 'detect --data'; run it again");
        if (!FORMAT.equals(m.get("format"))) {
            throw new BottleneckException(f + " is not a series description written by 'detect --data'; run it again");
        }
        String where = f.toString();
        SeriesWindows.RowScore rowScore;
        try {
            rowScore = m.get("row_score") == null ? ROW_SCORE : SeriesWindows.RowScore.parse(MapValues.text(m.get("row_score"), where + " 'row_score'"));
        } catch (BottleneckException e) {
            throw new BottleneckException(where + ": " + e.getMessage() + "; run 'detect --data' again");
        }
        List<String> features = new ArrayList<>();
        for (Object o : MapValues.list(m.get("features"), where + " 'features'")) features.add(MapValues.text(o, where + " 'features' entry"));
        Set<String> skip = new LinkedHashSet<>();
        if (m.get("skip") != null) for (Object o : MapValues.list(m.get("skip"), where + " 'skip'")) skip.add(MapValues.text(o, where + " 'skip' entry"));
        double maxGap = m.get("max_gap") == null ? 0 : MapValues.number(m.get("max_gap"), where + " 'max_gap'", 0, Double.MAX_VALUE);
        int window = MapValues.intValue(m.get("window"), where + " 'window'", 2, Integer.MAX_VALUE);
        Scaler scaler = Scaler.fromMap(MapValues.map(m.get("scaler"), where + " 'scaler'"));
        if (scaler.features() != features.size()) {
            throw new BottleneckException(where + ": the scaler has " + scaler.features() + " features for " + features.size() + " columns");
        }
        return new Saved(features, optionalText(m, "timestamp", where), optionalText(m, "group", where), optionalText(m, "label", where),
                skip, maxGap, window, rowScore, scaler);
    }

    private static String optionalText(Map<String, Object> m, String key, String where) {
        return m.get(key) == null ? null : MapValues.text(m.get(key), where + " '" + key + "'");
    }

    /** Scores every row of the command's INPUT, a CSV series, with the series model in its MODEL_DIR. */
    static int run(ScoreCommand c, Log log) {
        Saved saved = read(c.modelDir);
        if (c.score != null && ReconstructionScore.parse(c.score) != ReconstructionScore.MSE) {
            throw new BottleneckException("a series model scores a row by the mean squared error of its windows: --score " + c.score
                    + " does not apply");
        }
        Scoring.Chosen chosen = threshold(c);
        if (!Files.isRegularFile(c.input)) throw new BottleneckException("INPUT " + c.input + ": no such file (a series model scores a CSV series)");
        List<String> lines;
        try {
            lines = Files.readAllLines(c.input, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BottleneckException("cannot read " + c.input + ": " + e.getMessage());
        }
        if (lines.isEmpty()) throw new BottleneckException(c.input + ": empty file (expected a header line)");
        List<String> header = new ArrayList<>();
        for (String h : TimeSeriesReader.split(lines.get(0).replace("\uFEFF", ""))) header.add(h.trim());
        // the saved columns where this file has them: a series to score may lack the label (or the group) column
        String label = c.labelColumn != null ? c.labelColumn : header.contains(saved.label()) ? saved.label() : null;
        String group = header.contains(saved.group()) ? saved.group() : null;
        String stamp = header.contains(saved.timestamp()) ? saved.timestamp() : null;
        Set<String> skip = new LinkedHashSet<>();
        for (String s : saved.skip()) if (header.contains(s)) skip.add(s);
        TimeSeriesReader.Options opt = TimeSeriesReader.Options.defaults().withTimestamp(stamp).withLabel(label).withGroup(group)
                .withSkip(skip).withMaxGap(saved.maxGap()).withMinRows(saved.window());
        TimeSeries s = TimeSeriesReader.read(c.input, opt);
        if (!s.featureNames().equals(saved.features())) {
            throw new BottleneckException(c.input + ": the feature columns " + s.featureNames() + " are not the ones the model was trained on, "
                    + saved.features() + " (in this order); rename, reorder or skip columns");
        }
        SeriesWindows.Windows w = SeriesWindows.windows(s, SeriesWindows.all(s, "input"), saved.window(), 1, saved.scaler());
        double[] scores;
        String backend;
        try (Backend be = c.backendOptions.create(log); Autoencoder model = Checkpoint.load(c.modelDir, be).model()) {
            if (model.inputFeatures() != w.data().features()) {
                throw new BottleneckException(c.modelDir + ": the model takes " + model.inputFeatures() + " values, not windows of "
                        + saved.window() + " x " + s.features() + "; its " + FILE + " does not belong to it");
            }
            scores = SeriesWindows.rowErrors(s.rows(), w, SeriesDetector.windowErrors(model, w.data(), 512), saved.rowScore());
            backend = be.name();
        }
        int n = s.rows(), flaggedCount = 0;
        boolean[] flag = new boolean[n];
        for (int i = 0; i < n; i++) if (flag[i] = scores[i] > chosen.value()) flaggedCount++;
        Path flagged = c.flaggedOut != null ? c.flaggedOut : c.out.resolveSibling("flagged.csv");
        Scoring.writeTable(c.out, flagged, Arrays.asList(ids(s, lines, header, stamp), groups(s, group), Scoring.labels(s.labels(), null)),
                "score", scores, flag);
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("model_dir", c.modelDir.toString());
        res.put("input", c.input.toString());
        res.put("items", n);
        res.put("kind", "series rows");
        res.put("backend", backend);
        res.put("score", "squared error of the windows covering a row, combined by row_score");
        res.put("window", saved.window());
        res.put("row_score", saved.rowScore().toString());
        res.put("threshold", chosen.value());
        res.put("threshold_rule", chosen.rule());
        res.put("flagged", flaggedCount);
        res.put("out", c.out.toString());
        res.put("flagged_out", flagged.toString());
        PrintResult.print(c.spec.commandLine().getOut(), res, c.jsonOption.on, String.format(Locale.ROOT,
                "%s: %d rows in %d series scored (windows of %d), threshold %.6g (%s), %d flagged; written to %s and %s", c.input, n,
                s.segments().size(), saved.window(), chosen.value(), chosen.rule(), flaggedCount, c.out, flagged));
        return 0;
    }

    /** --threshold (a number or a report.json), else the threshold detect --data saved. */
    private static Scoring.Chosen threshold(ScoreCommand c) {
        if (c.threshold != null) {
            Scoring.Chosen fixed = Scoring.fixedThreshold(c.threshold.trim());
            if (fixed == null) {
                throw new BottleneckException("--threshold " + c.threshold + ": a series model takes a number or the report.json of"
                        + " 'detect --data' (a rule needs the validation part of the training series; run 'detect --data' with it)");
            }
            return fixed;
        }
        Scoring.Saved s = Scoring.readThreshold(c.modelDir);
        if (s == null) {
            throw new BottleneckException("no threshold for " + c.modelDir + " (" + Scoring.THRESHOLD_FILE + "): run 'detect --data' again,"
                    + " or pass --threshold VALUE");
        }
        return new Scoring.Chosen(s.threshold(), s.rule() + ", saved by detect --data");
    }

    /** Each row's timestamp as written in the file, or its line when there is no timestamp column. */
    private static Scoring.Column ids(TimeSeries s, List<String> lines, List<String> header, String stamp) {
        String[] v = new String[s.rows()];
        int col = stamp == null ? -1 : header.indexOf(stamp);
        for (int r = 0; r < v.length; r++) {
            int line = s.lines()[r];
            v[r] = col < 0 ? Integer.toString(line) : TimeSeriesReader.split(lines.get(line - 1)).get(col).trim();
        }
        return new Scoring.Column("id", v);
    }

    /** Each row's group, or null without a group column. */
    private static Scoring.Column groups(TimeSeries s, String group) {
        if (group == null) return null;
        String[] v = new String[s.rows()];
        for (TimeSeries.Segment g : s.segments()) Arrays.fill(v, g.from(), g.to(), g.group());
        return new Scoring.Column("group", v);
    }
}
