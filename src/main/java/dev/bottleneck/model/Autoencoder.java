package dev.bottleneck.model;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.io.Json;
import dev.bottleneck.nn.ActivationLayer;
import dev.bottleneck.nn.Module;
import dev.bottleneck.nn.Parameter;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.nn.Sequential;
import dev.bottleneck.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An encoder, a decoder and an objective (reconstruction loss plus regularisers).
 *
 * <p>When the loss is BCE and the decoder ends in a sigmoid, the objective is computed from the logits
 * (BCE with logits): the same value without the clamp, and stable gradients. That is what Keras does for
 * {@code sigmoid} + {@code binary_crossentropy} as well.
 */
public final class Autoencoder implements AutoCloseable {
    private final ModelSpec spec;
    private final Sequential encoder, decoder;
    private final int[] codeShape;
    private final List<Regularizer> regularizers;
    private final boolean logitsPath;
    private ParameterStore params;
    private int epoch;

    public Autoencoder(ModelSpec spec) {
        this.spec = spec;
        ModelSpec.Built b = spec.build();
        this.encoder = b.encoder();
        this.decoder = b.decoder();
        this.codeShape = b.codeShape();
        this.regularizers = b.regularizers();
        for (Regularizer r : regularizers) r.validate(encoder, codeShape);
        List<Module> dl = decoder.layers();
        this.logitsPath = spec.loss() == Loss.BCE && !dl.isEmpty() && dl.get(dl.size() - 1) instanceof ActivationLayer
                && ((ActivationLayer) dl.get(dl.size() - 1)).kind() == Activation.SIGMOID;
    }

    /** Builder for models written in Java. */
    public static Builder builder(int... inputShape) {
        return new Builder(inputShape);
    }

    public ModelSpec spec() { return spec; }
    public Sequential encoder() { return encoder; }
    public Sequential decoder() { return decoder; }
    public int[] inputShape() { return spec.input(); }
    public int[] codeShape() { return codeShape.clone(); }
    public int inputFeatures() { return (int) Tensor.sizeOf(spec.input()); }
    public int codeFeatures() { return (int) Tensor.sizeOf(codeShape); }

    /** Allocates the parameter arenas on a backend and initialises them from the seed. */
    public Autoencoder bind(Backend backend, long seed) {
        if (params != null) params.close();
        Map<String, Module> roots = new LinkedHashMap<>();
        roots.put("encoder", encoder);
        roots.put("decoder", decoder);
        params = new ParameterStore(backend, roots);
        params.initialize(seed);
        return this;
    }

    public ParameterStore params() {
        if (params == null) throw new IllegalStateException("model not bound to a backend: call bind()");
        return params;
    }

    public boolean isBound() { return params != null; }

    /**
     * The result of a forward pass. {@code kl} is the KL term of a variational autoencoder (nats per sample,
     * before the β weight), null otherwise.
     */
    public record Forward(Var code, Var output, Var loss, Var reconstructionLoss, Var kl) {
        public Forward(Var code, Var output, Var loss, Var reconstructionLoss) {
            this(code, output, loss, reconstructionLoss, null);
        }
    }

    /**
     * Training-schedule hook: the trainer calls this at the start of every epoch (0-based, also when resuming) so
     * that objectives with a schedule, such as the KL warm-up of a variational autoencoder, know where they are.
     */
    public void beginEpoch(int epoch) {
        this.epoch = Math.max(0, epoch);
    }

    /** The epoch last passed to {@link #beginEpoch} (0 before training). */
    public int epoch() { return epoch; }

    /**
     * Encodes, decodes and evaluates the objective against {@code target}.
     *
     * @param wantOutput also compute the reconstruction (probabilities when the logits path is used)
     */
    public Forward forward(Graph g, Var input, Var target, boolean wantOutput) {
        if (spec.variational() != null) return forwardVariational(g, input, target, wantOutput);
        Var x = reshapeBatch(g, input, spec.input());
        Var code = encoder.forward(g, x);
        dev.bottleneck.nn.RepeatSteps.bindTarget(decoder, target); // teacher-forced sequence decoders read the true steps
        Decoded d = reconstruct(g, code, target, wantOutput);
        Var loss = d.recLoss();
        for (Regularizer r : regularizers) loss = g.add(loss, r.penalty(g, x, code, encoder));
        return new Forward(code, d.out(), loss, d.recLoss());
    }

    /** The decoder's output (null when not wanted on the logits path) and the reconstruction loss against target. */
    private record Decoded(Var out, Var recLoss) {}

    /** Decodes {@code code}; on the logits path the last sigmoid is fused into the loss (BCE with logits). */
    private Decoded reconstruct(Graph g, Var code, Var target, boolean wantOutput) {
        if (logitsPath) {
            Var logits = decoder.forward(g, code, decoder.layers().size() - 1);
            Var recLoss = g.loss(Loss.BCE_WITH_LOGITS, spec.reduction(), logits, target);
            return new Decoded(wantOutput ? g.activation(Activation.SIGMOID, logits) : null, recLoss);
        }
        Var out = decoder.forward(g, code);
        return new Decoded(out, g.loss(spec.loss(), spec.reduction(), out, target));
    }

    /**
     * The variational objective: {@code h = encoder(x)} holds μ and log σ² side by side, {@code z = μ + exp(logvar/2) ε}
     * with ε ~ N(0, I) from the graph's random stream (drawn in inference graphs too, as the PyTorch example's test
     * loss does), {@code KL = -0.5 Σ (1 + logvar - μ² - exp(logvar))} per sample averaged over the batch, and
     * {@code loss = reconstruction + β_e KL}. In training graphs β_e follows the warm-up of {@link #beginEpoch};
     * in inference graphs β_e = 1, so evaluation reports the negative ELBO (reconstruction + KL). All autograd ops.
     */
    private Forward forwardVariational(Graph g, Var input, Var target, boolean wantOutput) {
        VariationalSpec v = spec.variational();
        int latent = v.latent();
        Var x = reshapeBatch(g, input, spec.input());
        Var h = encoder.forward(g, x);
        int batch = h.value().rows();
        Var mu = g.columns(h, 0, latent);
        Var logvar = g.columns(h, latent, latent);
        Var std = g.unary(UnaryOp.EXP, g.scale(logvar, 0.5));
        Var z = g.add(mu, g.mul(std, g.normal(batch, latent)));
        Decoded d = reconstruct(g, z, target, wantOutput);
        Var recLoss = d.recLoss();
        // 1 + logvar - mu^2 - exp(logvar), summed, times -0.5 / batch
        Var inner = g.sub(g.sub(g.affine(logvar, 1.0, 1.0), g.unary(UnaryOp.SQUARE, mu)), g.unary(UnaryOp.EXP, logvar));
        Var kl = g.scale(g.sum(inner), -0.5 / batch);
        double beta = g.training() ? v.betaAt(epoch) : 1.0;
        Var loss = beta == 0 ? recLoss : g.add(recLoss, beta == 1 ? kl : g.scale(kl, beta));
        for (Regularizer r : regularizers) loss = g.add(loss, r.penalty(g, x, mu, encoder));
        return new Forward(mu, d.out(), loss, recLoss, kl);
    }

    /** Codes of a batch (inference); for a variational autoencoder the code is the mean μ. */
    public Var encode(Graph g, Var input) {
        Var h = encoder.forward(g, reshapeBatch(g, input, spec.input()));
        return spec.variational() == null ? h : g.columns(h, 0, spec.variational().latent());
    }

    /** Reconstruction of a batch of codes (inference). */
    public Var decode(Graph g, Var code) {
        return decoder.forward(g, code);
    }

    private static Var reshapeBatch(Graph g, Var v, int[] sample) {
        int[] s = v.shape();
        int[] want = new int[sample.length + 1];
        want[0] = s[0];
        System.arraycopy(sample, 0, want, 1, sample.length);
        return Arrays.equals(s, want) ? v : g.reshape(v, want);
    }

    /** A Keras-style table: layer, output shape, parameter count. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        String line = "-".repeat(78) + "\n";
        b.append(String.format("Model: %s%n", spec.name())).append(line);
        b.append(String.format("%-44s %-22s %10s%n", "Layer", "Output shape", "Params")).append(line);
        int[] shape = spec.input();
        b.append(String.format("%-44s %-22s %10d%n", "input", Arrays.toString(shape), 0));
        long total = 0;
        for (String part : List.of("encoder", "decoder")) {
            Sequential s = part.equals("encoder") ? encoder : decoder;
            if (part.equals("decoder") && spec.variational() != null) { // the decoder takes z, not (mu, logvar)
                b.append(String.format("%-36s %-18s %10d%n", "z = mu + exp(logvar/2) * eps", Arrays.toString(codeShape), 0));
                shape = codeShape.clone();
            }
            for (int i = 0; i < s.layers().size(); i++) {
                Module m = s.layers().get(i);
                shape = m.outputShape(shape);
                long p = 0;
                for (Parameter q : m.parameters()) p += q.size();
                total += p;
                b.append(String.format("%-44s %-22s %10d%n", part + "." + i + " " + m.describe(), Arrays.toString(shape), p));
            }
        }
        b.append(line).append(String.format("Total params: %,d   code: %s   loss: %s (%s)%s%n", total, Arrays.toString(codeShape),
                spec.loss().specName(), spec.reduction().name().toLowerCase(), logitsPath ? ", computed from logits" : ""));
        if (spec.variational() != null) {
            VariationalSpec v = spec.variational();
            b.append(String.format(java.util.Locale.ROOT, "variational: latent %d, objective reconstruction + beta KL, beta %s%s%n",
                    v.latent(), v.beta(), v.warmupEpochs() > 0 ? " reached after a " + v.warmupEpochs() + "-epoch linear warm-up" : ""));
        }
        return b.toString();
    }

    @Override
    public void close() {
        if (params != null) params.close();
        params = null;
    }

    /** Builds a model in Java, layer by layer; the result is a {@link ModelSpec} like any other. */
    public static final class Builder {
        private final int[] input;
        private final List<Map<String, Object>> enc = new java.util.ArrayList<>(), dec = new java.util.ArrayList<>();
        private final List<Map<String, Object>> regs = new java.util.ArrayList<>();
        private Loss loss = Loss.BCE;
        private Loss.Reduction reduction = Loss.Reduction.MEAN;
        private String name = "custom";
        private boolean inDecoder;

        Builder(int[] input) { this.input = input.clone(); }

        public Builder name(String n) { this.name = n; return this; }

        /** Following layers go to the encoder (the default). */
        public Builder encoder() { inDecoder = false; return this; }

        /** Following layers go to the decoder. */
        public Builder decoder() { inDecoder = true; return this; }

        private Builder add(Map<String, Object> l) { (inDecoder ? dec : enc).add(l); return this; }

        public Builder dense(int units, String activation) {
            Map<String, Object> l = Json.object("type", "linear", "units", units, "activation", activation);
            return add(l);
        }

        public Builder dropout(double rate) {
            Map<String, Object> l = Json.object("type", "dropout", "rate", rate);
            return add(l);
        }

        public Builder loss(Loss l) { this.loss = l; return this; }
        public Builder reduction(Loss.Reduction r) { this.reduction = r; return this; }
        public Builder l1Activity(double weight) { regs.add(new Regularizer.L1Activity(weight).spec()); return this; }

        public ModelSpec spec() { return new ModelSpec(name, input, enc, dec, loss, reduction, regs); }

        public Autoencoder build() { return new Autoencoder(spec()); }
    }
}
