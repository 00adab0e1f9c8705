package dev.bottleneck.e2e;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.Backends;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.Presets;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.Trainer;
import dev.bottleneck.testing.Mnist;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * W4 of docs/WORKLOADS.md#w4 (the PyTorch examples {@code vae}: 784-400-(20 μ, 20 log σ²), 20-400-784, ReLU, sigmoid
 * output, BCE summed over pixels + KL, Adam 1e-3, batch 128) trained on all 60,000 MNIST training images for
 * 10 epochs, as {@code bottleneck train mnist --model w4 --validation 0} does, and measured on the test split.
 *
 * <p>Budget. On this 2-core machine W4 trained at about 8,900 samples/s (measured in epoch 2 while other jobs
 * shared the machine; epoch 1, with JIT warm-up, took 13–16 s, later epochs about 7 s), so the full 10 epochs of
 * the anchor fit in about 75–80 s; a busier machine takes longer, and the test asserts nothing about time.
 *
 * <p>The bound. The anchor is the PyTorch example after exactly these 10 epochs: test ≈ 105.6 nats per image
 * (reruns 105.59, 105.56). Its test loss is the same quantity as ours: one sample z ~ q(z|x) per test image
 * (its {@code reparameterize} samples in eval mode too), BCE summed over the 784 pixels plus the analytic KL,
 * divided by the number of test images. Our implementation differs in ways that move the result by about a
 * nat: initialisation (He/Glorot uniform with zero biases instead of PyTorch's U(±1/√fan_in) for weights and
 * biases), the shuffling and noise streams, and BCE computed from logits instead of from clamped probabilities.
 * Measured here: 114.2 after 2 epochs and 106.6 after 10 (train 107.0, test = 81.1 reconstruction + 25.5 KL).
 * We require {@code test < 108.5}: within 3% of the anchor. That is where about 6 epochs get (the training loss
 * of epochs 5–10 read 110.1, 109.2, 108.5, 107.9, 107.4, 107.0, and the test loss after epoch k sits near the
 * training average of epoch k + 1), so a run that loses a few epochs of progress, or a wrong KL gradient, fails. The loss must also stay above 100:
 * beating the anchor by more than 5% with the same model and objective would mean the loss is defined
 * differently (a missing KL term, mean instead of sum over pixels, μ instead of a sample). The parts are checked
 * too: the KL must be between 15 and 40 nats (≈ 25 measured; near 0 is posterior collapse or a dropped term),
 * and the whole must be far below the 206 nats of predicting every image as the mean training image.
 */
class W4VaeMnistEndToEndTest {
    static final int EPOCHS = 10;

    @Test
    void w4OnRealMnistReachesThePyTorchAnchor() {
        TrainTest tt = Mnist.orSkip();
        try (Backend be = Backends.create("cpu", BackendOptions.defaults())) {
            Autoencoder model = new Autoencoder(Presets.get("w4")).bind(be, 42);
            FitConfig cfg = new FitConfig().epochs(EPOCHS).batch(Presets.defaults("w4").batch()).seed(42).validation(0)
                    .optimizer(OptimizerConfig.adam(Presets.defaults("w4").lr())).progress(false);
            Trainer.Evaluation ev;
            try (Trainer t = new Trainer(model, cfg, System.out::println)) {
                Trainer.Result r = t.fit(tt.train(), null, null);
                ev = t.evaluate(tt.test(), 1000);
                System.out.printf("W4 MNIST %d epochs: train %.3f, test %.3f nats = reconstruction %.3f + KL %.3f, %.0f samples/s, %.1f s%n",
                        EPOCHS, r.trainLoss(), ev.loss(), ev.reconstruction(), ev.kl(), r.samplesPerSecond(), r.seconds());
            }
            double meanImage = Mnist.meanImageBceSum(tt.train(), tt.test());
            System.out.printf("mean-image baseline: %.1f nats per image%n", meanImage);
            assertEquals(ev.reconstruction() + ev.kl(), ev.loss(), 1e-6 * ev.loss(), "test loss = reconstruction + KL");
            assertTrue(ev.loss() < 108.5, "test loss " + ev.loss() + " nats is not within 3% of the PyTorch 10-epoch anchor 105.6");
            assertTrue(ev.loss() > 100, "test loss " + ev.loss() + " nats is implausibly low: check the loss definition");
            assertTrue(ev.kl() > 15 && ev.kl() < 40, "KL " + ev.kl() + " nats per image");
            assertTrue(ev.loss() < 0.6 * meanImage, "not much better than the mean image (" + meanImage + ")");
        }
    }
}
