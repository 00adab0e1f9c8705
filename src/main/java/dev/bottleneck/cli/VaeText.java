package dev.bottleneck.cli;

import dev.bottleneck.backend.Loss;
import dev.bottleneck.model.ModelSpec;

/** How the CLI names a variational model's loss. */
final class VaeText {
    private VaeText() {}

    /** E.g. {@code -ELBO = bce (sum) + KL, nats per sample}; the KL weight β is not applied to reported losses. */
    static String lossName(ModelSpec s) {
        boolean nats = s.loss() == Loss.BCE || s.loss() == Loss.BCE_WITH_LOGITS;
        return "-ELBO = " + s.loss().specName() + " (sum) + KL" + (nats ? ", nats per sample" : ", per sample");
    }
}
