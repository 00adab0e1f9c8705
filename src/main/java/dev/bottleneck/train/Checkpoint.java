package dev.bottleneck.train;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.io.Safetensors;
import dev.bottleneck.io.Safetensors.TensorData;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.nn.Parameter;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A model directory: {@code model.safetensors} (weights by name, readable by other tools),
 * {@code config.json} (model spec, training settings, data preprocessing), and for resuming
 * {@code optimizer.safetensors} and {@code trainer.json}. Every file is written atomically (temporary file,
 * then rename). A training run writes these files as one checkpoint unit under {@code checkpoints/} and then
 * replaces the top-level copies from it ({@link CheckpointStore}); resuming reads the unit, so the top-level files
 * are for the commands that use a model ({@link #load}).
 */
public final class Checkpoint {
    public static final String MODEL = "model.safetensors";
    public static final String BEST = "best.safetensors";
    public static final String CONFIG = "config.json";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "trainer.json";
    public static final String FORMAT_VERSION = "1";

    private Checkpoint() {}

    /** A model read back from a directory, with its configuration. */
    public record Loaded(Autoencoder model, Map<String, Object> config) { }

    public static void saveWeights(Path file, Autoencoder model) {
        saveWeights(file, model.params(), model.spec().toMap());
    }

    /**
     * Writes the parameters of any model by name; {@code model} (its spec or another description) goes into the
     * file's metadata as compact JSON.
     */
    public static void saveWeights(Path file, ParameterStore params, Map<String, Object> model) {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        Map<String, float[]> host = params.toHostMap();
        for (Map.Entry<String, Parameter> e : params.parameters().entrySet()) {
            long[] shape = Arrays.stream(e.getValue().shape()).asLongStream().toArray();
            tensors.put(e.getKey(), TensorData.f32(shape, host.get(e.getKey())));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "bottleneck");
        meta.put("format_version", FORMAT_VERSION);
        meta.put("model", Json.writeCompact(model));
        Safetensors.write(file, tensors, meta);
    }

    /**
     * Loads the weights of {@code file} into {@code model}. Weights that are NaN or infinite are refused: such a model
     * computes nothing but NaN, so every command that would use it fails here with the tensor's name.
     */
    public static void loadWeights(Path file, Autoencoder model) {
        loadWeights(file, model.params());
    }

    /** Loads every parameter of {@code params} by name from a weights file (exact shapes required). */
    public static void loadWeights(Path file, ParameterStore params) {
        Safetensors.Loaded l = Safetensors.read(file);
        Map<String, float[]> data = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : l.tensors().entrySet()) {
            float[] v = e.getValue().asFloats();
            int bad = 0;
            for (float x : v) if (!Float.isFinite(x)) bad++;
            if (bad > 0) {
                throw new BottleneckException(file + ": tensor '" + e.getKey() + "' holds " + bad + " NaN or infinite values (of "
                        + v.length + "); the weights are damaged or training diverged — train the model again (lower --lr or set"
                        + " --clip-norm)");
            }
            data.put(e.getKey(), v);
            shapes.put(e.getKey(), e.getValue().shape());
        }
        params.fromHostMap(data, shapes, file.toString());
    }

    public static void saveOptimizer(Path file, Optimizer opt) {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : opt.state().entrySet()) {
            Tensor t = e.getValue();
            float[] host = new float[Math.toIntExact(t.size())];
            backendOf(opt).memory().download(t, host, 0);
            tensors.put(e.getKey(), TensorData.f32(new long[] {t.size()}, host));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("optimizer", opt.config().name());
        meta.put("step", Long.toString(opt.steps()));
        meta.put("config", Json.writeCompact(opt.config().toMap()));
        Safetensors.write(file, tensors, meta);
    }

    private static Backend backendOf(Optimizer opt) {
        return opt.backend();
    }

    public static void loadOptimizer(Path file, Optimizer opt) {
        Safetensors.Loaded l = Safetensors.read(file);
        String name = l.metadata().get("optimizer");
        if (!opt.config().name().equals(name)) {
            throw new BottleneckException(file + ": optimizer state is for '" + name + "' but training uses '"
                    + opt.config().name() + "': resume with the same --optimizer");
        }
        for (Map.Entry<String, Tensor> e : opt.state().entrySet()) {
            TensorData d = l.tensors().get(e.getKey());
            if (d == null) throw new BottleneckException(file + ": optimizer state '" + e.getKey() + "' missing");
            float[] v = d.asFloats();
            if (v.length != e.getValue().size()) {
                throw new BottleneckException(file + ": optimizer state '" + e.getKey() + "' has " + v.length
                        + " values, the model has " + e.getValue().size() + " parameters");
            }
            opt.backend().memory().upload(v, 0, e.getValue());
        }
        try {
            opt.restoreSteps(Long.parseLong(l.metadata().getOrDefault("step", "0")));
        } catch (NumberFormatException ex) {
            throw new BottleneckException(file + ": bad optimizer step in metadata");
        }
    }

    public static void saveConfig(Path dir, Map<String, Object> config) {
        Json.writeFile(dir.resolve(CONFIG), config);
    }

    public static Map<String, Object> readConfig(Path dir) {
        Path f = dir.resolve(CONFIG);
        if (!Files.isRegularFile(f)) {
            throw new BottleneckException("no model in " + dir + ": " + CONFIG + " not found (a model directory is written by 'bottleneck train --out DIR')");
        }
        Map<String, Object> config;
        try {
            Limits.TEXT_BYTES.check(Files.size(f), f + ": its size");
            config = Json.mapper().readValue(Files.readString(f), new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new BottleneckException(f + " is not valid JSON: " + msg + " (write it again with 'bottleneck train --out')");
        }
        if (config == null) throw new BottleneckException(f + " holds no JSON object (it is empty or 'null'); write it again with 'bottleneck train --out'");
        checkSections(config, f.toString());
        return config;
    }

    /**
     * Checks the types of the sections that commands read from config.json ({@code model}, {@code data},
     * {@code training}, {@code kind}), so that a damaged or hand-edited file fails here with the field's name.
     */
    private static void checkSections(Map<String, Object> config, String src) {
        Object model = config.get("model");
        if (model != null) MapValues.map(model, src + ": 'model'");
        if (config.get("kind") != null) MapValues.text(config.get("kind"), src + ": 'kind'");
        Object d = config.get("data");
        if (d != null) {
            Map<String, Object> data = MapValues.map(d, src + ": 'data'");
            Object source = data.get("source");
            if (source != null && !(source instanceof String)) {
                throw new BottleneckException(src + ": 'data.source' must be text (a data set name or a path), got "
                        + MapValues.describe(source) + "; fix it, or pass the data with --dataset");
            }
            if (data.get("seed") != null) MapValues.longValue(data.get("seed"), src + ": 'data.seed'", Long.MIN_VALUE, Long.MAX_VALUE);
            if (data.get("csv") != null) {
                Map<String, Object> csv = MapValues.map(data.get("csv"), src + ": 'data.csv'");
                if (csv.get("header") != null) {
                    String h = MapValues.text(csv.get("header"), src + ": 'data.csv.header'");
                    if (!List.of("auto", "yes", "no").contains(h.toLowerCase(Locale.ROOT))) {
                        throw new BottleneckException(src + ": 'data.csv.header' must be auto, yes or no, got '" + h + "'");
                    }
                }
                if (csv.get("delimiter") != null) {
                    Object dl = csv.get("delimiter");
                    if (!(dl instanceof String ds) || ds.length() != 1) {
                        throw new BottleneckException(src + ": 'data.csv.delimiter' must be one character such as \",\" or \";\", got "
                                + MapValues.describe(dl));
                    }
                }
                if (csv.get("label") != null) MapValues.text(csv.get("label"), src + ": 'data.csv.label'");
                if (csv.get("id") != null) MapValues.text(csv.get("id"), src + ": 'data.csv.id'");
                if (csv.get("id_index") != null) {
                    MapValues.intValue(csv.get("id_index"), src + ": 'data.csv.id_index'", Integer.MIN_VALUE, Integer.MAX_VALUE);
                }
                if (csv.get("features") != null) {
                    for (Object o : MapValues.list(csv.get("features"), src + ": 'data.csv.features'")) {
                        MapValues.text(o, src + ": an entry of 'data.csv.features'");
                    }
                }
                if (csv.get("label_index") != null) {
                    MapValues.intValue(csv.get("label_index"), src + ": 'data.csv.label_index'", Integer.MIN_VALUE, Integer.MAX_VALUE);
                }
                if (csv.get("skip") != null) {
                    for (Object o : MapValues.list(csv.get("skip"), src + ": 'data.csv.skip'")) {
                        MapValues.text(o, src + ": an entry of 'data.csv.skip'");
                    }
                }
                if (csv.get("skip_index") != null) {
                    for (Object o : MapValues.list(csv.get("skip_index"), src + ": 'data.csv.skip_index'")) {
                        MapValues.intValue(o, src + ": an entry of 'data.csv.skip_index'", Integer.MIN_VALUE, Integer.MAX_VALUE);
                    }
                }
            }
            if (data.get("sample_shape") != null) {
                int[] shape = MapValues.intList(data.get("sample_shape"), src + ": 'data.sample_shape'", 1, Integer.MAX_VALUE, 8);
                long n = 1;
                for (int x : shape) n = Limits.saturatedMultiply(n, x);
                Limits.SAMPLE_VALUES.check(n, src + ": 'data.sample_shape' " + Arrays.toString(shape));
            }
            if (data.get("scaler") != null) MapValues.map(data.get("scaler"), src + ": 'data.scaler'");
        }
        Object t = config.get("training");
        if (t != null) {
            Map<String, Object> training = MapValues.map(t, src + ": 'training'");
            if (training.get("noise") != null) MapValues.map(training.get("noise"), src + ": 'training.noise'");
            if (training.get("validation") != null) MapValues.number(training.get("validation"), src + ": 'training.validation'", 0, 1);
            if (training.get("seed") != null) {
                MapValues.longValue(training.get("seed"), src + ": 'training.seed'", Long.MIN_VALUE, Long.MAX_VALUE);
            }
        }
    }

    public static void saveState(Path dir, TrainState state) {
        Json.writeFile(dir.resolve(STATE), state.toMap());
    }

    /**
     * Loads what {@code --resume} continues from, without comparing settings ({@link Resume} does that): the
     * weights into {@code params}, the optimizer state into {@code optimizer}, and the trainer state it returns, from
     * the published checkpoint ({@link CheckpointStore}) or, in a directory of an older version, from the top-level
     * files, checking that the optimizer and trainer.json name the same step.
     */
    public static TrainState resume(Path dir, ParameterStore params, Optimizer optimizer) {
        requireResumable(dir);
        return Resume.loadInto(Resume.in(dir).find(), true, params, optimizer);
    }

    /** Fails unless {@code dir} holds a training to resume (a published checkpoint, or trainer.json), before anything else is done. */
    public static void requireResumable(Path dir) {
        if (!Resume.exists(dir)) {
            throw new BottleneckException("--resume: no training to resume in " + dir + " (no " + CheckpointStore.DIR + "/"
                    + CheckpointStore.LATEST + " or " + STATE + "); start it without --resume, or with --resume auto");
        }
    }

    public static TrainState readState(Path dir) {
        Path f = dir.resolve(STATE);
        if (!Files.isRegularFile(f)) throw new BottleneckException("cannot resume from " + dir + ": " + STATE + " not found");
        try {
            Limits.TEXT_BYTES.check(Files.size(f), f + ": its size");
        } catch (IOException e) {
            throw new BottleneckException("cannot read " + f + ": " + e.getMessage());
        }
        try {
            return TrainState.fromMap(Json.mapper().readValue(Files.readString(f), new TypeReference<Map<String, Object>>() { }));
        } catch (IOException | RuntimeException e) {
            throw new BottleneckException(f + " is damaged: " + e.getMessage());
        }
    }

    /** Reads config.json and model.safetensors of a directory into a model bound to {@code backend}. */
    @SuppressWarnings("unchecked")
    public static Loaded load(Path dir, Backend backend) {
        if (!Files.isDirectory(dir)) throw new BottleneckException("model directory " + dir + " does not exist");
        Map<String, Object> config = readConfig(dir);
        Object spec = config.get("model");
        if (!(spec instanceof Map)) {
            throw new BottleneckException(dir.resolve(CONFIG) + ": no 'model' section (the model spec); the file is damaged — write it"
                    + " again with 'bottleneck train --out'");
        }
        Autoencoder model = new Autoencoder(ModelSpec.fromMap((Map<String, Object>) spec, dir.resolve(CONFIG).toString()));
        Path w = dir.resolve(MODEL);
        if (!Files.isRegularFile(w)) throw new BottleneckException("no weights in " + dir + ": " + MODEL + " not found");
        // compare sizes before binding: a config that claims a bigger model than the weights can hold allocates nothing
        long need = 0;
        for (Parameter p : model.encoder().parameters()) need += p.size();
        for (Parameter p : model.decoder().parameters()) need += p.size();
        long have = 0;
        for (Safetensors.Entry e : Safetensors.readHeader(w).entries()) {
            long n = 1;
            for (long d : e.shape()) n = Limits.saturatedMultiply(n, d);
            have = have > Long.MAX_VALUE - n ? Long.MAX_VALUE : have + n;
        }
        if (need > have) {
            throw new BottleneckException(dir.resolve(CONFIG) + " describes a model of " + Limits.group(need) + " parameters but " + w
                    + " holds " + Limits.group(have) + " values (the config and the weights do not match); write the model again"
                    + " with 'bottleneck train --out'");
        }
        model.bind(backend, 0);
        loadWeights(w, model);
        return new Loaded(model, config);
    }
}
