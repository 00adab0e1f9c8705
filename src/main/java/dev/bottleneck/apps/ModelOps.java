package dev.bottleneck.apps;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.tensor.Tensor;

/** Batched inference with a trained autoencoder on host arrays (inference mode: no dropout, a VAE uses its mean code). */
public final class ModelOps {
    private ModelOps() {}

    public static final int BATCH = 500;

    /** Codes of rows {@code [0, n)} of a row-major array of samples, {@code n × codeFeatures}. */
    public static float[] encode(Autoencoder model, float[] x, int n) {
        Backend be = model.params().backend();
        int d = model.inputFeatures(), c = model.codeFeatures();
        float[] out = new float[n * c];
        for (int from = 0; from < n; from += BATCH) {
            int b = Math.min(BATCH, n - from);
            try (Graph g = Graph.inference(be)) {
                Tensor xb = g.temp(b, d);
                be.memory().upload(x, from * d, xb);
                be.memory().download(model.encode(g, g.constant(xb)).value(), out, from * c);
            }
        }
        return out;
    }

    public static float[] encode(Autoencoder model, Dataset data) {
        return encode(model, data.x(), data.n());
    }

    /** Decodes {@code n} codes (row-major, {@code n × codeFeatures}) into {@code n × inputFeatures} outputs. */
    public static float[] decode(Autoencoder model, float[] codes, int n) {
        Backend be = model.params().backend();
        int d = model.inputFeatures(), c = model.codeFeatures();
        float[] out = new float[n * d];
        for (int from = 0; from < n; from += BATCH) {
            int b = Math.min(BATCH, n - from);
            try (Graph g = Graph.inference(be)) {
                Tensor zb = g.temp(b, c);
                be.memory().upload(codes, from * c, zb);
                be.memory().download(model.decode(g, g.constant(zb)).value(), out, from * d);
            }
        }
        return out;
    }

    /** Reconstructions (output values, e.g. probabilities after a sigmoid) of the first {@code n} samples. */
    public static float[] reconstruct(Autoencoder model, float[] x, int n) {
        Backend be = model.params().backend();
        int d = model.inputFeatures();
        float[] out = new float[n * d];
        for (int from = 0; from < n; from += BATCH) {
            int b = Math.min(BATCH, n - from);
            try (Graph g = Graph.inference(be)) {
                Tensor xb = g.temp(b, d);
                be.memory().upload(x, from * d, xb);
                var in = g.constant(xb);
                be.memory().download(model.forward(g, in, in, true).output().value(), out, from * d);
            }
        }
        return out;
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
