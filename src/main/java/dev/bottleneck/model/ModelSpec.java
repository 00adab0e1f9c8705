package dev.bottleneck.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.nn.ActivationLayer;
import dev.bottleneck.nn.Dropout;
import dev.bottleneck.nn.Init;
import dev.bottleneck.nn.Linear;
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
 *       whose keys {@link ConvLayerSpecs} lists).</li>
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
                String s = Files.readString(p);
                return fromMap(readTree(s, !lower.endsWith(".json"), p.toString()), p.toString());
            } catch (IOException e) {
                throw new BottleneckException("cannot read model spec " + p + ": " + e.getMessage());
            }
        }
        if (t.matches("[0-9]+(-[0-9]+(:[a-zA-Z_]+)?)+")) return dense(t, "relu", "sigmoid", Loss.BCE);
        throw new BottleneckException("model '" + text + "' is not a preset (" + String.join(", ", Presets.names())
                + "), a dense spec like 784-128-64-32 (sizes joined by '-', optional ':activation'), or a .json/.yaml file");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readTree(String s, boolean yaml, String source) {
        try {
            ObjectMapper m = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
            Object o = m.readValue(s, Object.class);
            if (!(o instanceof Map)) throw new BottleneckException(source + ": a model spec must be an object with input/encoder/decoder");
            return (Map<String, Object>) o;
        } catch (IOException e) {
            throw new BottleneckException(source + ": not valid " + (yaml ? "YAML" : "JSON") + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /**
     * A dense autoencoder from {@code 784-128-64-32}: every encoder layer uses its marked activation or
     * {@code hidden}; the decoder mirrors the encoder sizes with {@code hidden} and ends in {@code output}.
     */
    public static ModelSpec dense(String shorthand, String hidden, String output, Loss loss) {
        String[] parts = shorthand.trim().split("-");
        if (parts.length < 2) throw new BottleneckException("dense spec '" + shorthand + "' needs at least an input and a code size");
        int[] sizes = new int[parts.length];
        String[] acts = new String[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String[] p = parts[i].split(":");
            try {
                sizes[i] = Integer.parseInt(p[0]);
            } catch (NumberFormatException e) {
                throw new BottleneckException("dense spec '" + shorthand + "': '" + p[0] + "' is not a layer size");
            }
            if (sizes[i] <= 0) throw new BottleneckException("dense spec '" + shorthand + "': layer sizes must be positive");
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
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "linear");
        m.put("units", units);
        m.put("activation", act);
        return m;
    }

    @SuppressWarnings("unchecked")
    public static ModelSpec fromMap(Map<String, Object> m, String source) {
        if (m.get("sequence") != null) return SequenceSpec.fromMap(m, source).toModelSpec(); // sequence autoencoder shorthand
        Object in = m.get("input");
        int[] input;
        if (in instanceof Number) input = new int[] {((Number) in).intValue()};
        else if (in instanceof List) input = ((List<Object>) in).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
        else throw new BottleneckException(source + ": 'input' must be a size or a shape list, e.g. 784 or [1, 28, 28]");
        List<Map<String, Object>> enc = layers(m.get("encoder"), "encoder", source);
        List<Map<String, Object>> dec = layers(m.get("decoder"), "decoder", source);
        Loss loss = m.containsKey("loss") ? Loss.parse(m.get("loss").toString()) : Loss.BCE;
        VariationalSpec vae = m.get("variational") == null ? null : VariationalSpec.fromMap(m.get("variational"), source);
        Loss.Reduction red = m.containsKey("reduction") ? Loss.Reduction.parse(m.get("reduction").toString())
                : vae != null ? Loss.Reduction.SUM_PER_SAMPLE : Loss.Reduction.MEAN;
        List<Map<String, Object>> regs = m.containsKey("regularizers") ? layers(m.get("regularizers"), "regularizers", source) : List.of();
        String name = m.containsKey("name") ? m.get("name").toString() : source;
        try {
            return new ModelSpec(name, input, enc, dec, loss, red, regs, vae);
        } catch (BottleneckException e) {
            throw new BottleneckException(source + ": " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> layers(Object o, String what, String source) {
        if (!(o instanceof List)) throw new BottleneckException(source + ": '" + what + "' must be a list of layer objects");
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object e : (List<Object>) o) {
            if (!(e instanceof Map)) throw new BottleneckException(source + ": each entry of '" + what + "' must be an object, got " + e);
            out.add(new LinkedHashMap<>((Map<String, Object>) e));
        }
        return out;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("input", Arrays.stream(input).boxed().toList());
        m.put("encoder", encoder);
        m.put("decoder", decoder);
        m.put("loss", loss.specName());
        m.put("reduction", reduction.name().toLowerCase(Locale.ROOT));
        m.put("regularizers", regularizers);
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
        for (int d : s) n *= d;
        return n;
    }

    private int[] buildLayers(List<Map<String, Object>> specs, int[] shape, List<Module> out, String where) {
        for (int i = 0; i < specs.size(); i++) {
            Map<String, Object> l = specs.get(i);
            Object type = l.get("type");
            if (type == null) throw new BottleneckException(where + " layer " + i + " has no 'type': " + l);
            String t = type.toString().toLowerCase(Locale.ROOT);
            Module m;
            switch (t) {
                case "linear": case "dense": {
                    Object u = l.get("units");
                    if (!(u instanceof Number)) throw new BottleneckException(where + " layer " + i + ": linear needs 'units'");
                    int in = (int) product(shape);
                    // Linear flattens each sample itself, so no extra module (and parameter names stay encoder.0.weight)
                    String act = l.containsKey("activation") ? l.get("activation").toString() : "linear";
                    Activation a = Activation.parse(act);
                    Init init = l.containsKey("init") ? Init.parse(l.get("init").toString())
                            : (a == Activation.RELU || a == Activation.LEAKY_RELU || a == Activation.ELU || a == Activation.GELU
                            ? Init.HE_UNIFORM : Init.XAVIER_UNIFORM);
                    boolean bias = !Boolean.FALSE.equals(l.get("bias"));
                    m = new Linear(in, ((Number) u).intValue(), bias, init);
                    out.add(m);
                    shape = m.outputShape(new int[] {in});
                    if (a != Activation.IDENTITY) {
                        double alpha = l.get("alpha") instanceof Number ? ((Number) l.get("alpha")).doubleValue() : a.defaultAlpha;
                        out.add(new ActivationLayer(a, alpha));
                    }
                    continue;
                }
                case "activation": {
                    Object fn = l.get("fn");
                    if (fn == null) throw new BottleneckException(where + " layer " + i + ": activation needs 'fn'");
                    Activation a = Activation.parse(fn.toString());
                    double alpha = l.get("alpha") instanceof Number ? ((Number) l.get("alpha")).doubleValue() : a.defaultAlpha;
                    m = new ActivationLayer(a, alpha);
                    break;
                }
                case "dropout": {
                    Object r = l.get("rate");
                    if (!(r instanceof Number)) throw new BottleneckException(where + " layer " + i + ": dropout needs 'rate'");
                    m = new Dropout(((Number) r).doubleValue());
                    break;
                }
                case "flatten":
                    m = Reshape.flatten();
                    break;
                case "reshape": {
                    Object s = l.get("shape");
                    if (!(s instanceof List)) throw new BottleneckException(where + " layer " + i + ": reshape needs 'shape'");
                    m = Reshape.to(((List<?>) s).stream().mapToInt(o -> ((Number) o).intValue()).toArray());
                    break;
                }
                case "conv2d": case "conv_transpose2d": case "max_pool2d": case "avg_pool2d": case "upsample": case "batch_norm2d":
                    // NCHW layers (and a conv's activation): see ConvLayerSpecs for their keys
                    shape = ConvLayerSpecs.build(t, l, shape, out, where + " layer " + i);
                    continue;
                case "lstm": case "gru": case "repeat": case "step_linear":
                    // sequence layers [T, F]: see SequenceSpec for their keys
                    shape = SequenceSpec.buildLayer(t, l, shape, out, where + " layer " + i);
                    continue;
                default:
                    throw new BottleneckException(where + " layer " + i + ": unknown type '" + type
                            + "' (expected linear, activation, dropout, flatten, reshape, conv2d, conv_transpose2d, max_pool2d,"
                            + " avg_pool2d, upsample, batch_norm2d)");
            }
            shape = m.outputShape(shape);
            out.add(m);
        }
        return shape;
    }
}
