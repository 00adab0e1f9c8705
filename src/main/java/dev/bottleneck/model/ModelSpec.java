package dev.bottleneck.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.nn.Linear;
import dev.bottleneck.nn.LayerSpec;
import dev.bottleneck.nn.LayerTypes;
import dev.bottleneck.nn.Module;
import dev.bottleneck.nn.Reshape;
import dev.bottleneck.nn.Sequential;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The description of an autoencoder that is saved in {@code config.json} and can be written by hand.
 *
 * <p>Three ways to write one:
 * <ul>
 *   <li>a preset: {@code w1}, {@code w2} ({@link Presets});</li>
 *   <li>a dense shorthand: {@code 784-128-64-32} — encoder layers 128, 64, 32, the decoder mirrored back to 784;
 *       each size may carry an activation, {@code 784-1000-500-250-30:linear}; unmarked layers use ReLU, the
 *       output uses sigmoid, the loss is BCE;</li>
 *   <li>a JSON or YAML file (or string) with {@code input}, {@code encoder}, {@code decoder}, {@code loss},
 *       {@code reduction} and optional {@code regularizers}; layers are objects with a {@code type}
 *       ({@code linear} with {@code units}, optional {@code activation}, {@code init}, {@code bias};
 *       {@code activation} with {@code fn}; {@code dropout} with {@code rate}; {@code flatten};
 *       {@code reshape} with {@code shape}; for [channels, height, width] samples {@code conv2d},
 *       {@code conv_transpose2d}, {@code max_pool2d}, {@code avg_pool2d}, {@code upsample}, {@code batch_norm2d},
 *       whose keys the {@code SPEC} of each layer module lists, see {@link LayerTypes}).</li>
 * </ul>
 * A top-level {@code variational: {latent: 20, beta: 1.0, warmup_epochs: 0}} section makes it a variational
 * autoencoder ({@link VariationalSpec}): the encoder's last linear layer then outputs {@code 2 * latent} values
 * (μ, then log σ²), the decoder takes {@code latent} inputs, and the reduction defaults to {@code sum}.
 */
public final class ModelSpec {
    private final String name;
    private final int[] input;
    private final List<Map<String, Object>> encoder, decoder;
    private final Loss loss;
    private final Loss.Reduction reduction;
    private final List<Map<String, Object>> regularizers;
    /** The Gaussian encoder / KL settings of a variational autoencoder; null for a plain autoencoder. */
    private final VariationalSpec variational;

    public ModelSpec(String name, int[] input, List<Map<String, Object>> encoder, List<Map<String, Object>> decoder,
                     Loss loss, Loss.Reduction reduction, List<Map<String, Object>> regularizers) {
        this(name, input, encoder, decoder, loss, reduction, regularizers, null);
    }

    public ModelSpec(String name, int[] input, List<Map<String, Object>> encoder, List<Map<String, Object>> decoder,
                     Loss loss, Loss.Reduction reduction, List<Map<String, Object>> regularizers, VariationalSpec variational) {
        this.variational = variational;
        this.name = name;
        this.input = input.clone();
        this.encoder = List.copyOf(encoder);
        this.decoder = List.copyOf(decoder);
        this.loss = loss;
        this.reduction = reduction;
        this.regularizers = List.copyOf(regularizers);
        build(); // validate now, so a bad spec fails before any training
    }

    public String name() { return name; }
    public int[] input() { return input.clone(); }
    public Loss loss() { return loss; }
    public Loss.Reduction reduction() { return reduction; }

    /** The variational section, or null when this is not a variational autoencoder. */
    public VariationalSpec variational() { return variational; }

    /** A copy with another variational section (null: a plain autoencoder). */
    public ModelSpec withVariational(VariationalSpec v) {
        return new ModelSpec(name, input, encoder, decoder, loss, reduction, regularizers, v);
    }

    /** A copy with other regularizers (e.g. from CLI flags). */
    public ModelSpec withRegularizers(List<Map<String, Object>> regs) {
        return new ModelSpec(name, input, encoder, decoder, loss, reduction, regs, variational);
    }

    public ModelSpec withLoss(Loss l, Loss.Reduction r) {
        return new ModelSpec(name, input, encoder, decoder, l, r, regularizers, variational);
    }

    // ------------------------------------------------------------------------------------------ parsing

    /**
     * Parses a preset name, a dense shorthand, a path to a .json/.yaml/.yml file, or an inline JSON object.
     *
     * @param inputFeatures features per sample of the data, used to check or fill in the input size (0: unknown)
     */
    public static ModelSpec parse(String text, int inputFeatures) {
        String t = text.trim();
        if (Presets.exists(t)) return Presets.get(t);
        if (t.startsWith("{")) return fromMap(readTree(t, false, "inline model spec"), "inline model spec");
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".json") || lower.endsWith(".yaml") || lower.endsWith(".yml")) {
            Path p = Path.of(t);
            if (!Files.isRegularFile(p)) throw new BottleneckException("model spec file " + p + " not found");
            try {
                Limits.TEXT_BYTES.check(Files.size(p), "model spec file " + p + ": its size");
                String s = Files.readString(p);
                return fromMap(readTree(s, !lower.endsWith(".json"), p.toString()), p.toString());
            } catch (java.nio.charset.MalformedInputException e) {
                throw new BottleneckException("model spec " + p + " is not UTF-8 text; save it as UTF-8 JSON or YAML");
            } catch (IOException e) {
                throw new BottleneckException("cannot read model spec " + p + ": " + e.getMessage());
            }
        }
        if (t.matches("[0-9]+(-[0-9]+(:[a-zA-Z_]+)?)+")) return dense(t, "relu", "sigmoid", Loss.BCE);
        throw new BottleneckException("model '" + text + "' is not a preset (" + String.join(", ", Presets.names())
                + "), a dense spec like 784-128-64-32 (sizes joined by '-', optional ':activation'), or a .json/.yaml file");
    }

    private static Map<String, Object> readTree(String s, boolean yaml, String source) {
        Limits.TEXT_BYTES.check(s.length(), source + ": the spec's length");
        Object o;
        try {
            ObjectMapper m = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
            o = m.readValue(s, Object.class);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new BottleneckException(source + ": not valid " + (yaml ? "YAML" : "JSON") + ": " + msg);
        }
        if (!(o instanceof Map)) throw new BottleneckException(source + ": a model spec must be an object with input/encoder/decoder");
        return MapValues.map(o, source);
    }

    /**
     * A dense autoencoder from {@code 784-128-64-32}: every encoder layer uses its marked activation or
     * {@code hidden}; the decoder mirrors the encoder sizes with {@code hidden} and ends in {@code output}.
     */
    public static ModelSpec dense(String shorthand, String hidden, String output, Loss loss) {
        String[] parts = shorthand.trim().split("-");
        if (parts.length < 2) throw new BottleneckException("dense spec '" + shorthand + "' needs at least an input and a code size");
        if (parts.length - 1 > Limits.LAYERS.value()) {
            Limits.LAYERS.check(parts.length - 1, "dense spec '" + abbreviate(shorthand) + "': the number of encoder layers");
        }
        int[] sizes = new int[parts.length];
        String[] acts = new String[parts.length];
        long maxSize = Limits.SAMPLE_VALUES.value();
        for (int i = 0; i < parts.length; i++) {
            String[] p = parts[i].split(":");
            long v;
            try {
                v = Long.parseLong(p[0]);
            } catch (NumberFormatException e) {
                v = p[0].matches("[0-9]+") ? Long.MAX_VALUE : -1;
                if (v < 0) throw new BottleneckException("dense spec '" + abbreviate(shorthand) + "': '" + p[0] + "' is not a layer size");
            }
            if (v <= 0) throw new BottleneckException("dense spec '" + abbreviate(shorthand) + "': layer sizes must be positive");
            if (v > maxSize) {
                throw new BottleneckException("dense spec '" + abbreviate(shorthand) + "': layer size " + p[0] + " is more than "
                        + Limits.SAMPLE_VALUES.describe());
            }
            sizes[i] = (int) v;
            if (p.length > 1 && i == 0) throw new BottleneckException("dense spec '" + shorthand + "': the input size takes no activation");
            acts[i] = p.length > 1 ? Activation.parse(p[1]).specName() : Activation.parse(hidden).specName();
        }
        List<Map<String, Object>> enc = new ArrayList<>(), dec = new ArrayList<>();
        for (int i = 1; i < sizes.length; i++) enc.add(linear(sizes[i], acts[i]));
        for (int i = sizes.length - 2; i >= 0; i--) {
            dec.add(linear(sizes[i], i == 0 ? Activation.parse(output).specName() : Activation.parse(hidden).specName()));
        }
        return new ModelSpec(shorthand, new int[] {sizes[0]}, enc, dec, loss, Loss.Reduction.MEAN, List.of());
    }

    private static Map<String, Object> linear(int units, String act) {
        return Json.object("type", "linear", "units", units, "activation", act);
    }

    public static ModelSpec fromMap(Map<String, Object> m, String source) {
        if (m == null) throw new BottleneckException(source + ": no model spec (expected an object with input, encoder and decoder)");
        m = MapValues.map(m, source);
        if (m.get("sequence") != null) return SequenceSpec.fromMap(m, source).toModelSpec(); // sequence autoencoder shorthand
        Object in = m.get("input");
        int[] input;
        if (in instanceof Number) input = new int[] {MapValues.limited(in, source + ": 'input'", 1, Limits.SAMPLE_VALUES)};
        else if (in instanceof List) input = MapValues.intList(in, source + ": 'input'", 1, Integer.MAX_VALUE, 8);
        else throw new BottleneckException(source + ": 'input' must be a size or a shape list, e.g. 784 or [1, 28, 28]");
        Limits.SAMPLE_VALUES.check(product(input), source + ": 'input' " + Arrays.toString(input));
        List<Map<String, Object>> enc = layers(m.get("encoder"), "encoder", source);
        List<Map<String, Object>> dec = layers(m.get("decoder"), "decoder", source);
        if (enc.isEmpty() && dec.isEmpty()) {
            throw new BottleneckException(source + ": the spec has no layers (both 'encoder' and 'decoder' are empty); give at least"
                    + " one layer, e.g. encoder: [{type: linear, units: 32}]");
        }
        Loss loss = m.containsKey("loss") ? Loss.parse(MapValues.text(m.get("loss"), source + ": 'loss'")) : Loss.BCE;
        VariationalSpec vae = m.get("variational") == null ? null : VariationalSpec.fromMap(m.get("variational"), source);
        Loss.Reduction red = m.containsKey("reduction") ? Loss.Reduction.parse(MapValues.text(m.get("reduction"), source + ": 'reduction'"))
                : vae != null ? Loss.Reduction.SUM_PER_SAMPLE : Loss.Reduction.MEAN;
        List<Map<String, Object>> regs = m.containsKey("regularizers") ? layers(m.get("regularizers"), "regularizers", source) : List.of();
        String name = m.get("name") != null ? MapValues.text(m.get("name"), source + ": 'name'") : source;
        try {
            return new ModelSpec(name, input, enc, dec, loss, red, regs, vae);
        } catch (BottleneckException e) {
            throw new BottleneckException(source + ": " + e.getMessage());
        }
    }

    private static List<Map<String, Object>> layers(Object o, String what, String source) {
        if (!(o instanceof List)) throw new BottleneckException(source + ": '" + what + "' must be a list of layer objects");
        List<?> list = (List<?>) o;
        Limits.LAYERS.check(list.size(), source + ": the number of entries in '" + what + "'");
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object e : list) {
            if (!(e instanceof Map)) {
                throw new BottleneckException(source + ": each entry of '" + what + "' must be an object, got " + MapValues.describe(e));
            }
            out.add(new LinkedHashMap<>(MapValues.map(e, source + ": an entry of '" + what + "'")));
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = Json.object("name", name, "input", Arrays.stream(input).boxed().toList(),
                "encoder", encoder, "decoder", decoder, "loss", loss.specName(),
                "reduction", reduction.name().toLowerCase(Locale.ROOT), "regularizers", regularizers);
        if (variational != null) m.put("variational", variational.toMap());
        return m;
    }

    // ------------------------------------------------------------------------------------------ building

    /** The modules and objective this spec describes (fresh, unbound parameters). */
    public Built build() {
        int[] shape = input.clone();
        List<Module> enc = new ArrayList<>();
        shape = buildLayers(encoder, shape, enc, "encoder");
        int[] code = variational == null ? shape : checkVariational(enc, shape);
        List<Module> dec = new ArrayList<>();
        shape = buildLayers(decoder, code, dec, "decoder");
        if (!Arrays.equals(shape, input) && product(shape) == product(input)) {
            dec.add(Reshape.to(input));
            shape = input.clone();
        }
        if (!Arrays.equals(shape, input)) {
            throw new BottleneckException("the decoder ends with samples of shape " + Arrays.toString(shape)
                    + " but the input is " + Arrays.toString(input) + ": the last decoder layer must produce " + product(input) + " values");
        }
        long params = 0;
        for (List<Module> part : List.of(enc, dec)) {
            for (Module m : part) for (dev.bottleneck.nn.Parameter p : m.parameters()) params += p.size();
        }
        Limits.PARAMETERS.check(params, "the model's parameter count");
        List<Regularizer> regs = new ArrayList<>();
        for (Map<String, Object> r : regularizers) regs.add(Regularizer.fromSpec(r));
        return new Built(new Sequential(enc), new Sequential(dec), code, regs);
    }

    /** Checks a variational encoder (ends in a linear layer of 2·latent outputs) and returns the code shape [latent]. */
    private int[] checkVariational(List<Module> enc, int[] encoderOut) {
        int l = variational.latent();
        if (enc.isEmpty() || !(enc.get(enc.size() - 1) instanceof Linear)) {
            throw new BottleneckException("variational: the encoder must end in a linear layer without activation "
                    + "(its outputs are the means and log-variances of z)");
        }
        if (product(encoderOut) != 2L * l) {
            throw new BottleneckException("variational: the encoder's last linear layer must output 2 x latent = " + 2 * l
                    + " values (" + l + " means, then " + l + " log-variances), but it outputs " + product(encoderOut));
        }
        if (reduction != Loss.Reduction.SUM_PER_SAMPLE) {
            throw new BottleneckException("variational: the reconstruction loss must use reduction 'sum' (per-sample totals, "
                    + "on the same scale as the KL term), not '" + reduction.name().toLowerCase(Locale.ROOT) + "'");
        }
        return new int[] {l};
    }

    /** Modules built from a spec. */
    public record Built(Sequential encoder, Sequential decoder, int[] codeShape, List<Regularizer> regularizers) { }

    private static long product(int[] s) {
        long n = 1;
        for (int d : s) n = Limits.saturatedMultiply(n, Math.max(0, d));
        return n;
    }

    private int[] buildLayers(List<Map<String, Object>> specs, int[] shape, List<Module> out, String where) {
        for (int i = 0; i < specs.size(); i++) {
            Map<String, Object> l = specs.get(i);
            String at = where + " layer " + i;
            Object type = l.get("type");
            if (type == null) throw new BottleneckException(at + " has no 'type': " + MapValues.describe(l));
            String t = MapValues.text(type, at + ": 'type'").toLowerCase(Locale.ROOT);
            LayerSpec reader = LayerTypes.get(t);
            if (reader == null) {
                throw new BottleneckException(at + ": unknown type '" + MapValues.describe(type)
                        + "' (expected " + String.join(", ", LayerTypes.names()) + ")");
            }
            shape = checkShape(reader.build(l, shape, out, at), at);
        }
        return shape;
    }

    /** A layer's per-sample output shape must have positive sizes and fit {@link Limits#SAMPLE_VALUES}. */
    static int[] checkShape(int[] shape, String where) {
        long n = 1;
        for (int d : shape) {
            if (d < 1) throw new BottleneckException(where + ": its output shape " + Arrays.toString(shape) + " has an empty dimension");
            n = Limits.saturatedMultiply(n, d);
        }
        Limits.SAMPLE_VALUES.check(n, where + ": its output " + Arrays.toString(shape) + " per sample");
        return shape;
    }
}
