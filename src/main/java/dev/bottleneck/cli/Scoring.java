package dev.bottleneck.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.anomaly.ReconstructionScore;
import dev.bottleneck.anomaly.Threshold;
import dev.bottleneck.apps.Ranking;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.data.shard.Samples;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.io.CsvText;
import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code detect}, {@code score} and {@code export} share about anomaly scores: the per-item table
 * (scores.csv, flagged.csv) with each item's identity, the threshold {@code detect} saves in the model directory
 * ({@value #THRESHOLD_FILE}) for {@code score}, and the forms a {@code --threshold} value takes.
 */
final class Scoring {
    private Scoring() {}

    /** The threshold file {@code detect} writes into the model directory, and {@code score} reads. */
    static final String THRESHOLD_FILE = "threshold.json";

    /** A threshold and where it came from (for messages and reports). */
    record Chosen(double value, String rule) { }

    /** A threshold saved by {@code detect}: the value, its rule and the score it applies to. */
    record Saved(double threshold, String rule, ReconstructionScore score, Path file) { }

    /** The scaling saved in config.json ({@code data.scaler}); null when there is none. */
    static Scaler savedScaler(Map<String, Object> config) {
        if (!(config.get("data") instanceof Map<?, ?> d) || !(d.get("scaler") instanceof Map<?, ?>)) return null;
        Map<String, Object> data = MapValues.map(config.get("data"), "config.json 'data'");
        return Scaler.fromMap(MapValues.map(data.get("scaler"), "config.json 'data.scaler'"));
    }

    /**
     * The value an input of 0 has after the scaler, per value (what {@link ReconstructionScore#PER_NONZERO} compares
     * with); null without scaling (then it is 0).
     */
    static float[] zeroValues(Scaler scaler) {
        if (scaler == null || scaler.kind() == Scaler.Kind.NONE) return null;
        return scaler.transform(new float[scaler.features()]);
    }

    /** A column of the per-item table: its name and one text value per item. */
    record Column(String name, String[] values) { }

    /** The items' ids as the {@code id} column, or null when the samples have none. */
    static Column ids(Samples s) {
        if (!s.hasIds()) return null;
        String[] v = new String[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = s.id(i);
        return new Column("id", v);
    }

    /** Labels as the {@code label} column (class names where known, else the numbers), or null without labels. */
    static Column labels(int[] labels, List<String> names) {
        if (labels == null) return null;
        String[] t = new String[labels.length];
        for (int i = 0; i < t.length; i++) {
            int l = labels[i];
            t[i] = names != null && l >= 0 && l < names.size() ? names.get(l) : Integer.toString(l);
        }
        return new Column("label", t);
    }

    /**
     * Writes {@code scores} (every item) and {@code flagged} (the flagged ones): {@code index} (the position in the
     * input), then the given columns (null ones left out) — the item's {@code id}, its {@code label}, ... — the score
     * under {@code scoreColumn}, and {@code flag} (1 above the threshold).
     */
    static void writeTable(Path scores, Path flagged, List<Column> columns, String scoreColumn, double[] score, boolean[] flag) {
        List<Column> cols = columns.stream().filter(java.util.Objects::nonNull).toList();
        StringBuilder all = new StringBuilder("index");
        for (Column c : cols) all.append(',').append(c.name());
        all.append(',').append(scoreColumn).append(",flag\n");
        StringBuilder fl = new StringBuilder(all);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < score.length; i++) {
            b.setLength(0);
            b.append(i);
            for (Column c : cols) b.append(',').append(CsvText.field(c.values()[i]));
            b.append(',').append(String.format(Locale.ROOT, "%.6g", score[i])).append(',').append(flag[i] ? 1 : 0).append('\n');
            all.append(b);
            if (flag[i]) fl.append(b);
        }
        AtomicFiles.writeString(scores, all.toString());
        if (flagged != null) AtomicFiles.writeString(flagged, fl.toString());
    }

    /**
     * Saves the threshold {@code detect} chose into the model directory, so that {@code score} flags new data with it;
     * a directory that cannot be written only costs a warning (pass the report's threshold to {@code score} then).
     */
    static void saveThreshold(Path modelDir, double threshold, String rule, ReconstructionScore score, Map<String, Object> more, Log log) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("threshold", threshold);
        m.put("rule", rule);
        m.put("score", score.key());
        m.put("written_by", "detect");
        m.putAll(more);
        Path f = modelDir.resolve(THRESHOLD_FILE);
        try {
            AtomicFiles.writeString(f, Json.write(m) + "\n");
        } catch (BottleneckException e) {
            log.info("warning: cannot save the threshold in " + f + " (" + e.getMessage() + "); 'score' then needs --threshold");
        }
    }

    /** The threshold {@code detect} saved in the model directory, or null when there is none. */
    static Saved readThreshold(Path modelDir) {
        Path f = modelDir.resolve(THRESHOLD_FILE);
        if (!Files.isRegularFile(f)) return null;
        Map<String, Object> m = readJson(f, "a threshold written by 'bottleneck detect'; run detect again or pass --threshold");
        if (!(m.get("threshold") instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw new BottleneckException(f + " has no numeric 'threshold'; run 'bottleneck detect' on the model again or pass --threshold");
        }
        ReconstructionScore kind = m.get("score") == null ? ReconstructionScore.MSE
                : ReconstructionScore.parse(MapValues.text(m.get("score"), f + " 'score'"));
        String rule = m.get("rule") == null ? "saved" : String.valueOf(m.get("rule"));
        return new Saved(n.doubleValue(), rule, kind, f);
    }

    /**
     * A {@code --threshold} that needs no data: a finite number, or a {@code detect} report.json (its threshold); null
     * when {@code t} is neither (a rule such as p99, which is computed on validation samples).
     */
    static Chosen fixedThreshold(String t) {
        if (t.isEmpty()) throw new BottleneckException("--threshold is empty: give a number, a detect report.json or a rule such as p99");
        try {
            double v = Double.parseDouble(t);
            if (!Double.isFinite(v)) throw new BottleneckException("--threshold must be a finite number, got " + t);
            return new Chosen(v, "given");
        } catch (NumberFormatException notANumber) {
            // a report or a rule
        }
        Path report = Path.of(t);
        if (!t.toLowerCase(Locale.ROOT).endsWith(".json") && !Files.isRegularFile(report)) return null;
        if (!Files.isRegularFile(report)) throw new BottleneckException("--threshold: no such file " + t + " (a 'detect' report.json)");
        Map<String, Object> r = readJson(report, "the report.json written by 'bottleneck detect'");
        if (!(r.get("threshold") instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw new BottleneckException(report + " has no numeric 'threshold' (expected the report.json written by 'bottleneck detect')");
        }
        return new Chosen(n.doubleValue(), "from " + report.getFileName() + (r.get("threshold_rule") != null ? " (" + r.get("threshold_rule") + ")" : ""));
    }

    /**
     * A threshold rule applied to validation scores: {@code fpr:RATE} (the false-positive rate on them) or a
     * {@link Threshold} rule (p99, percentile:99.5, mean+3sd, sigma:3).
     */
    static Chosen ruleThreshold(String t, double[] validationScores) {
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.startsWith("fpr:")) {
            double fpr;
            try {
                fpr = Double.parseDouble(lower.substring(4));
            } catch (NumberFormatException e) {
                throw new BottleneckException("--threshold " + t + ": the false-positive rate must be a number, e.g. fpr:0.05");
            }
            if (!(fpr > 0 && fpr < 1)) throw new BottleneckException("--threshold " + t + ": the false-positive rate must be in (0, 1)");
            return new Chosen(Ranking.thresholdForFpr(validationScores, fpr), "fpr:" + fpr);
        }
        Threshold rule = parseRule(t);
        return new Chosen(rule.choose(validationScores), rule.toString());
    }

    /** Checks that {@code t} is a rule {@link #ruleThreshold} understands, before any data is read. */
    static void checkRule(String t) {
        if (!t.toLowerCase(Locale.ROOT).startsWith("fpr:")) parseRule(t);
    }

    private static Threshold parseRule(String t) {
        try {
            return Threshold.parse(t);
        } catch (BottleneckException e) {
            throw new BottleneckException("--threshold '" + t + "' is not a number, a detect report.json or a rule: use e.g. 0.0123,"
                    + " det/report.json, p99, percentile:99.5, mean+3sd, sigma:3 or fpr:0.05");
        }
    }

    /** A JSON object from a file the project wrote, with one-line errors that say what was expected. */
    static Map<String, Object> readJson(Path f, String expected) {
        Map<String, Object> r;
        try {
            Limits.TEXT_BYTES.check(Files.size(f), f + ": its size");
            r = Json.mapper().readValue(Files.readString(f), new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new BottleneckException(f + " is not valid JSON: " + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
                    + " (expected " + expected + ")");
        }
        if (r == null) throw new BottleneckException(f + " holds no JSON object (expected " + expected + ")");
        return r;
    }
}
