package dev.bottleneck.apps;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.tensor.Tensor;

/** Batched inference with a trained autoencoder on host arrays (inference mode: no dropout, a VAE uses its mean code). */
public final class ModelOps {
    private ModelOps() {}

    public static final int BATCH = 500;

    /** What one inference batch computes from its input variable. */
    private interface BatchFn {
        Var apply(Graph g, Var in);
    }

    /**
     * Runs {@code fn} over rows {@code [0, n)} of {@code in} ({@code inWidth} values a row) in batches of
     * {@link #BATCH}, each in its own inference graph, and returns the {@code n × outWidth} results.
     */
    private static float[] batched(Autoencoder model, float[] in, int n, int inWidth, int outWidth, BatchFn fn) {
        Backend be = model.params().backend();
        float[] out = new float[n * outWidth];
        for (int from = 0; from < n; from += BATCH) {
            int b = Math.min(BATCH, n - from);
            try (Graph g = Graph.inference(be)) {
                Tensor xb = g.temp(b, inWidth);
                be.memory().upload(in, from * inWidth, xb);
                be.memory().download(fn.apply(g, g.constant(xb)).value(), out, from * outWidth);
            }
        }
        return out;
    }

    /** Codes of rows {@code [0, n)} of a row-major array of samples, {@code n × codeFeatures}. */
    public static float[] encode(Autoencoder model, float[] x, int n) {
        return batched(model, x, n, model.inputFeatures(), model.codeFeatures(), model::encode);
    }

    public static float[] encode(Autoencoder model, Dataset data) {
        return encode(model, data.x(), data.n());
    }

    /** Decodes {@code n} codes (row-major, {@code n × codeFeatures}) into {@code n × inputFeatures} outputs. */
    public static float[] decode(Autoencoder model, float[] codes, int n) {
        return batched(model, codes, n, model.codeFeatures(), model.inputFeatures(), model::decode);
    }

    /** Reconstructions (output values, e.g. probabilities after a sigmoid) of the first {@code n} samples. */
    public static float[] reconstruct(Autoencoder model, float[] x, int n) {
        return batched(model, x, n, model.inputFeatures(), model.inputFeatures(),
                (g, in) -> model.forward(g, in, in, true).output());
    }

    /** Mean squared error per sample between {@code x} and {@code r} ({@code n} rows of {@code d}). */
    public static double[] perSampleMse(float[] x, float[] r, int n, int d) {
        double[] e = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            int o = i * d;
            for (int j = 0; j < d; j++) {
                double t = x[o + j] - r[o + j];
                s += t * t;
            }
            e[i] = s / d;
        }
        return e;
    }
}
