package dev.bottleneck.train;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.tensor.Tensor;

/**
 * Scores held-out data with the same {@link TrainStep} that trains: batches in their stored order, each in a graph
 * that is not training and records nothing, the weighted losses summed on the backend and read back once.
 * The result is {@code sum(weight * reported) / sum(weight)}, the held-out counterpart of the epoch's training loss.
 */
public final class StepValidator implements Validator {
    /** The random stream of validation graphs (fixed, so a score does not depend on the epoch). */
    public static final long SEED = Trainer.EVAL_SEED;

    private final Backend backend;
    private final TrainStep step;
    private final BatchSource data;
    private final int batch;

    public StepValidator(Backend backend, TrainStep step, BatchSource data, int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        this.backend = backend;
        this.step = step;
        this.data = data;
        this.batch = batch;
    }

    @Override
    public double validate() {
        int n = data.size();
        if (n == 0) return Double.NaN;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Tensor acc = backend.memory().zeros(1);
        try {
            double weight = 0;
            for (int from = 0; from < n; from += batch) {
                int b = Math.min(batch, n - from);
                try (Batch xb = data.gather(order, from, b); Graph g = new Graph(backend, false, false, SEED)) {
                    StepLoss l = step.loss(g, xb);
                    backend.elementwise().axpby(l.weight(), l.reported().value(), 1.0, acc);
                    weight += l.weight();
                }
            }
            return weight > 0 ? backend.memory().readScalar(acc) / weight : Double.NaN;
        } finally {
            backend.memory().release(acc);
        }
    }
}
