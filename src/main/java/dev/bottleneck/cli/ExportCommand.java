package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.AnomalyScoring;
import dev.bottleneck.apps.ModelOps;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.data.shard.Samples;
import dev.bottleneck.export.OnnxExport;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code export MODEL_DIR --format onnx --out model.onnx --part ...}: writes a trained model as a standard ONNX file
 * ({@link OnnxExport}) with its input scaling inside the graph. For {@code --part score} the anomaly threshold is a
 * number, the threshold of a {@code detect} report, or a rule computed the way {@code detect} computes it (on the
 * validation hold-out of the training split).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export a trained model as an ONNX file that ONNX Runtime (or any ONNX runtime) can run.",
                "The input scaling saved with the model is part of the graph (feed raw values); the batch dimension is dynamic.",
                "Parts: encoder (input -> code; a VAE's mean), decoder (code -> reconstruction), autoencoder (input ->"
                        + " reconstruction), score (input -> score, the per-sample reconstruction MSE of 'detect', and anomaly,"
                        + " score > threshold).",
                "Example: bottleneck export runs/w1 --format onnx --out w1-score.onnx --part score --threshold p99"})
final class ExportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory written by 'bottleneck train'.")
    Path modelDir;

    @Option(names = "--format", defaultValue = "onnx", paramLabel = "onnx", description = "Output format (default: ${DEFAULT-VALUE}; the only one).")
    String format;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "The file to write, e.g. model.onnx.")
    Path out;

    @Option(names = "--part", defaultValue = "autoencoder", paramLabel = "encoder|decoder|autoencoder|score",
            description = "What the graph computes (default: ${DEFAULT-VALUE}).")
    String part;

    @Option(names = "--threshold", paramLabel = "VALUE",
            description = "--part score: the anomaly threshold, as a number (0.0123), the report.json of 'bottleneck detect', or a"
                    + " rule computed as 'detect' does on the validation hold-out: p99, percentile:99.5, mean+3sd, sigma:3,"
                    + " fpr:0.05 (default: p99).")
    String threshold;

    @Mixin TrainLimitOption trainLimit;

    @Mixin DataFolderOption dataFolder;

    @Mixin JsonOption jsonOption;

    @Mixin BackendOptionsMixin backendOptions;

    @Override
    public Integer call() {
        Log log = new Log(spec.commandLine().getErr(), false);
        if (!format.trim().equalsIgnoreCase("onnx")) {
            throw new BottleneckException("unknown --format '" + format + "': the only export format is onnx");
        }
        OnnxExport.Part p = OnnxExport.Part.parse(part);
        if (p != OnnxExport.Part.SCORE && threshold != null) {
            throw new BottleneckException("--threshold is for --part score only (the " + p.key() + " has no anomaly flag)");
        }
        if (Files.isDirectory(out)) throw new BottleneckException("--out " + out + " is a folder; give a file name such as model.onnx");
        Map<String, Object> config = Checkpoint.readConfig(modelDir);
        Scaler scaler = Scoring.savedScaler(config);
        try (Backend be = backendOptions.create(log); Autoencoder model = Checkpoint.load(modelDir, be).model()) {
            Map<String, String> meta = new LinkedHashMap<>();
            Double thr = null;
            String rule = null;
            if (p == OnnxExport.Part.SCORE) {
                Scoring.Chosen c = chooseThreshold(config, model, threshold == null ? "p99" : threshold.trim(), log);
                thr = c.value();
                rule = c.rule();
                meta.put("bottleneck.threshold_rule", rule);
            }
            meta.put("bottleneck.model_dir", modelDir.toString());
            long bytes = OnnxExport.write(out, model, scaler, p, thr, meta);

            Map<String, Object> res = new LinkedHashMap<>();
            res.put("out", out.toString());
            res.put("format", "onnx");
            res.put("opset", OnnxExport.OPSET);
            res.put("part", p.key());
            res.put("model", model.spec().name());
            res.put("input", p == OnnxExport.Part.DECODER ? OnnxExport.CODE : OnnxExport.INPUT);
            res.put("input_shape", shape(p == OnnxExport.Part.DECODER ? model.codeShape() : model.inputShape()));
            res.put("outputs", OnnxExport.outputs(p));
            res.put("input_scaling", scaler == null ? "none" : scaler.kind().key());
            if (thr != null) {
                res.put("threshold", thr);
                res.put("threshold_rule", rule);
            }
            res.put("bytes", bytes);
            String in = p == OnnxExport.Part.DECODER ? OnnxExport.CODE : OnnxExport.INPUT;
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                    "%s: the %s of %s as ONNX opset %d; %s %s (input scaling %s, in the graph) -> %s%s; %,d bytes", out, p.key(),
                    model.spec().name(), OnnxExport.OPSET, in, res.get("input_shape"), res.get("input_scaling"),
                    String.join(", ", OnnxExport.outputs(p)),
                    thr == null ? "" : String.format(Locale.ROOT, " (anomaly = score > %.6g, %s)", thr, rule), bytes));
            return 0;
        }
    }

    private static List<Object> shape(int[] sample) {
        List<Object> s = new java.util.ArrayList<>();
        s.add("batch");
        for (int d : sample) s.add(d);
        return s;
    }

    /** A number, a detect report, or a rule computed on the validation hold-out as 'detect' does. */
    private Scoring.Chosen chooseThreshold(Map<String, Object> config, Autoencoder model, String t, Log log) {
        Scoring.Chosen fixed = Scoring.fixedThreshold(t);
        if (fixed != null) return fixed;
        // a rule: the validation hold-out of the training split, normal samples only, as 'detect' chooses it
        Scoring.checkRule(t);
        PreparedData pd = PreparedData.fromConfig(config, null, dataFolder.dir);
        // 0/1 labels: 0 is normal
        Set<Integer> normal = ModelDetect.normalLabels(null, Samples.of(pd.test()), pd.classes(), ModelDetect.trainedFilter(config));
        Dataset val = ModelDetect.validation(config, Samples.of(pd.train()), trainLimit.value(), normal, pd.classes(), pd.source(), log)
                .materialize("validation");
        Scoring.Chosen c = Scoring.ruleThreshold(t, exportedScores(model, val));
        return new Scoring.Chosen(c.value(), c.rule() + " of " + val.n() + " validation samples");
    }

    /**
     * The scores the exported graph computes: the reconstruction MSE of {@code detect}; for a variational autoencoder
     * the reconstruction of the mean code (the graph draws nothing random).
     */
    private static double[] exportedScores(Autoencoder model, Dataset val) {
        if (model.spec().variational() == null) return AnomalyScoring.score(model, val).scores();
        float[] rec = ModelOps.decode(model, ModelOps.encode(model, val), val.n());
        return ModelOps.perSampleMse(val.x(), rec, val.n(), val.features());
    }
}
