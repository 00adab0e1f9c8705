package dev.bottleneck.train;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.io.Json;
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

    public static void loadWeights(Path file, Autoencoder model) {
        loadWeights(file, model.params());
    }

    /** Loads every parameter of {@code params} by name from a weights file (exact shapes required). */
    public static void loadWeights(Path file, ParameterStore params) {
        Safetensors.Loaded l = Safetensors.read(file);
        Map<String, float[]> data = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : l.tensors().entrySet()) {
            data.put(e.getKey(), e.getValue().asFloats());
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
        try {
            return Json.mapper().readValue(Files.readString(f), new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw new BottleneckException(f + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
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
        if (!(spec instanceof Map)) throw new BottleneckException(dir.resolve(CONFIG) + ": no 'model' section");
        Autoencoder model = new Autoencoder(ModelSpec.fromMap((Map<String, Object>) spec, dir.resolve(CONFIG).toString()));
        model.bind(backend, 0);
        Path w = dir.resolve(MODEL);
        if (!Files.isRegularFile(w)) throw new BottleneckException("no weights in " + dir + ": " + MODEL + " not found");
        loadWeights(w, model);
        return new Loaded(model, config);
    }
}
