package dev.bottleneck.train;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.tensor.Tensor;

/**
 * The autoencoder objective {@link Trainer} trains: reconstruct the batch from itself, or for a denoising
 * autoencoder from a corruption of it ({@link Noise}, drawn from the graph's stream, only while training), with the
 * model's own loss and regularizers ({@link Autoencoder#forward}). Batches hold one array, the samples as rows.
 */
public final class ReconstructionStep implements TrainStep {
    private final Autoencoder model;
    private final Noise noise;
    private final double[] noiseRange;

    /**
     * @param noise      input corruption, or null
     * @param noiseRange the [min, max] corrupted values are clipped to (see {@link Noise#range}); unused without noise
     */
    public ReconstructionStep(Autoencoder model, Noise noise, double[] noiseRange) {
        if (noise != null && (noiseRange == null || noiseRange.length != 2)) throw new IllegalArgumentException("noise needs a [min, max] range");
        this.model = model;
        this.noise = noise;
        this.noiseRange = noiseRange == null ? null : noiseRange.clone();
    }

    /** The objective of {@code cfg} (its noise, clipped to the range of the training data). */
    public static ReconstructionStep of(Autoencoder model, FitConfig cfg, Dataset train) {
        return new ReconstructionStep(model, cfg.noise(), cfg.noise() == null ? null : Noise.range(train.x()));
    }

    @Override
    public StepLoss loss(Graph g, Batch batch) {
        Tensor xb = batch.tensor(0);
        Autoencoder.Forward f = model.forward(g, input(g, xb), g.constant(xb), false);
        return StepLoss.of(f.loss(), batch.size());
    }

    /** The training input of a step: the clean batch, or its corruption. */
    private Var input(Graph g, Tensor xb) {
        if (noise == null || !g.training()) return g.constant(xb);
        Tensor noisy = g.temp(xb.shape());
        noise.apply(g.backend(), xb, noisy, Noise.streamFor(g.seed()), 0, noiseRange[0], noiseRange[1]);
        return g.constant(noisy);
    }

    @Override
    public void beginEpoch(int epoch) {
        model.beginEpoch(epoch);
    }
}
