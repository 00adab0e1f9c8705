package dev.bottleneck.data.shard;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.anomaly.ReconstructionScore;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.train.Batch;
import dev.bottleneck.train.Trainer;

/**
 * Inference over {@link Samples} in file order, batch by batch, with the next batches read ahead by loader threads:
 * the streamed counterparts of {@link Trainer#evaluate}, {@link dev.bottleneck.apps.ModelOps#encode} and the
 * reconstruction error of {@link dev.bottleneck.apps.AnomalyScoring#score}. Each does the same arithmetic in the
 * same batches as its in-memory twin, so the numbers are the same; only one batch (plus the read-ahead) is ever in
 * memory.
 */
public final class StreamedModelOps {
    private StreamedModelOps() {}

    /** Loader settings for streamed reads. */
    public record Loading(int threads, int prefetch) {
        public static Loading defaults() {
            return new Loading(1, 4);
        }
    }

    /** Receives the codes of samples {@code from ... from + count - 1}, row-major in {@code codes}. */
    @FunctionalInterface
    public interface CodeSink {
        void accept(int from, int count, float[] codes);
    }

    /** {@link Trainer#evaluate(Autoencoder, dev.bottleneck.data.Dataset, int)} over streamed samples. */
    public static Trainer.Evaluation evaluate(Autoencoder model, Samples data, int batch, Loading loading) {
        Backend be = model.params().backend();
        int n = data.size(), d = data.features();
        if (d != model.inputFeatures()) {
            throw new BottleneckException("the data has " + d + " values per sample, the model expects " + model.inputFeatures());
        }
        if (n == 0) return new Trainer.Evaluation(Double.NaN, Double.NaN, 0);
        Tensor acc = be.memory().zeros(3);
        Tensor accLoss = acc.view(0, 1), accRec = acc.view(1, 1), accKl = acc.view(2, 1);
        boolean variational = model.spec().variational() != null;
        int[] order = identity(n);
        try (StreamingBatchSource src = new StreamingBatchSource(be, data, loading.threads(), loading.prefetch())) {
            src.position(order, 0, batch);
            for (int from = 0; from < n; from += batch) {
                int b = Math.min(batch, n - from);
                try (Batch xb = src.gather(order, from, b); Graph g = new Graph(be, false, false, Trainer.EVAL_SEED)) {
                    g.nextCounter((long) from * model.codeFeatures());
                    Tensor x = xb.tensor(0);
                    Autoencoder.Forward f = model.forward(g, g.constant(x), g.constant(x), false);
                    be.elementwise().axpby(b, f.loss().value(), 1.0, accLoss);
                    be.elementwise().axpby(b, f.reconstructionLoss().value(), 1.0, accRec);
                    if (f.kl() != null) be.elementwise().axpby(b, f.kl().value(), 1.0, accKl);
                }
            }
            double[] h = be.memory().toDoubleArray(acc);
            return new Trainer.Evaluation(h[0] / n, h[1] / n, n, variational ? h[2] / n : Double.NaN);
        } finally {
            be.memory().release(acc);
        }
    }

    /** The codes of the first {@code n} samples, {@code batch} at a time (inference mode), handed to {@code sink}. */
    public static void encode(Autoencoder model, Samples data, int n, int batch, Loading loading, CodeSink sink) {
        Backend be = model.params().backend();
        checkFeatures(model, data);
        int[] order = identity(n);
        if (n == 0) return;
        try (StreamingBatchSource src = new StreamingBatchSource(be, data, loading.threads(), loading.prefetch())) {
            src.position(order, 0, batch);
            for (int from = 0; from < n; from += batch) {
                int b = Math.min(batch, n - from);
                float[] codes;
                try (Batch xb = src.gather(order, from, b); Graph g = Graph.inference(be)) {
                    codes = be.memory().toFloatArray(model.encode(g, g.constant(xb.tensor(0))).value());
                }
                sink.accept(from, b, codes);
            }
        }
    }

    /** Per-sample reconstruction errors and the largest squared error of any single value. */
    public record Errors(double[] scores, double maxSquaredError) { }

    /**
     * The per-sample mean squared reconstruction error of every sample of {@code data} (the score of
     * {@link dev.bottleneck.apps.AnomalyScoring#score}, reconstructed in batches of
     * {@link dev.bottleneck.apps.ModelOps#BATCH}), without keeping the reconstructions.
     */
    public static Errors reconstructionErrors(Autoencoder model, Samples data, Loading loading) {
        return reconstructionErrors(model, data, loading, ReconstructionScore.MSE, null);
    }

    /**
     * As above, each sample scored by {@code kind} ({@code zero}: the value of an input of 0 in the model's units, per
     * value, for {@link ReconstructionScore#PER_NONZERO}; null when that is 0). The largest squared error is over all
     * values, whatever the kind.
     */
    public static Errors reconstructionErrors(Autoencoder model, Samples data, Loading loading, ReconstructionScore kind, float[] zero) {
        Backend be = model.params().backend();
        checkFeatures(model, data);
        int n = data.size(), d = data.features(), batch = dev.bottleneck.apps.ModelOps.BATCH;
        double[] scores = new double[n];
        double max = 0;
        int[] order = identity(n);
        float[] x = new float[batch * d], r = new float[batch * d];
        if (n == 0) return new Errors(scores, 0);
        try (StreamingBatchSource src = new StreamingBatchSource(be, data, loading.threads(), loading.prefetch())) {
            src.position(order, 0, batch);
            for (int from = 0; from < n; from += batch) {
                int b = Math.min(batch, n - from);
                try (Batch xb = src.gather(order, from, b); Graph g = Graph.inference(be)) {
                    var in = g.constant(xb.tensor(0));
                    be.memory().download(model.forward(g, in, in, true).output().value(), r, 0);
                    be.memory().download(xb.tensor(0), x, 0);
                }
                for (int i = 0; i < b; i++) {
                    int o = i * d;
                    for (int j = 0; j < d; j++) {
                        double t = x[o + j] - r[o + j];
                        max = Math.max(max, t * t);
                    }
                    scores[from + i] = kind.of(x, r, o, d, zero);
                }
            }
        }
        return new Errors(scores, max);
    }

    /**
     * {@link Trainer#meanCodeActivation} over the first {@code max} samples, read in the same batches of 500 (so the
     * same sums), with one batch in memory at a time.
     */
    public static double meanCodeActivation(Autoencoder model, Samples data, int max) {
        int n = Math.min(max, data.size()), d = data.features();
        float[] buf = new float[Math.min(500, n) * d];
        return Trainer.meanCodeActivation(model, n, d, (from, xb) -> {
            data.readRange(from, xb.rows(), buf, 0);
            model.params().backend().memory().upload(buf, 0, xb);
        });
    }

    private static void checkFeatures(Autoencoder model, Samples data) {
        if (data.features() != model.inputFeatures()) {
            throw new BottleneckException("the data has " + data.features() + " values per sample, the model expects " + model.inputFeatures());
        }
    }

    static int[] identity(int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) o[i] = i;
        return o;
    }
}
