package dev.bottleneck.analysis;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BinaryOp;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.tensor.Tensor;

/** Reconstruction errors of a trained autoencoder measured on its outputs, whatever loss it was trained with. */
public final class Reconstruction {
    private Reconstruction() {}

    /**
     * Mean squared error per element between the reconstructions (output probabilities for sigmoid outputs) and the
     * inputs, over every sample of {@code data}. Multiply by the features per sample for the squared error summed
     * over pixels per image (Hinton &amp; Salakhutdinov's figure).
     */
    public static double meanSquaredError(Autoencoder model, Dataset data, int batch) {
        Backend be = model.params().backend();
        int n = data.n(), d = data.features();
        double sse = 0;
        for (int from = 0; from < n; from += batch) {
            int b = Math.min(batch, n - from);
            try (Graph g = Graph.inference(be)) {
                Tensor x = g.temp(b, d), diff = g.temp(b, d), ss = g.temp(1);
                be.memory().upload(data.x(), from * d, x);
                Tensor y = model.forward(g, g.constant(x), g.constant(x), true).output().value();
                be.elementwise().binary(BinaryOp.SUB, y.reshape(b, d), x, diff);
                be.reduce().sumSquares(diff, ss);
                sse += be.memory().readScalar(ss);
            }
        }
        return sse / ((double) n * d);
    }
}
