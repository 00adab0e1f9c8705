package dev.bottleneck.examples;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.Backends;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.train.Checkpoint;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.Trainer;
import dev.bottleneck.testing.Mnist;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's Java example (the Keras blog's first autoencoder), run as written but for one epoch. */
class KerasExampleTest {
    @Test
    void readmeJavaExampleRuns(@TempDir Path out) {
        TrainTest mnist = Mnist.orSkip();
        try (Backend backend = Backends.create("auto", BackendOptions.defaults(), System.err::println)) {
            Autoencoder autoencoder = Autoencoder.builder(784)
                    .dense(32, "relu")
                    .decoder().dense(784, "sigmoid")
                    .loss(Loss.BCE)
                    .build()
                    .bind(backend, 42);
            FitConfig fit = new FitConfig().epochs(1).batch(256).optimizer(OptimizerConfig.adam(1e-3))
                    .validation(0.1).outDir(out);
            double test;
            try (Trainer trainer = new Trainer(autoencoder, fit, System.out::println)) {
                Dataset.Split split = mnist.train().split(0.1, 42);
                trainer.fit(split.train(), split.validation(), null);
                test = trainer.evaluate(mnist.test(), 1000).reconstruction();
            }
            assertTrue(test < 0.22, "one epoch of W1 should reach ~0.19 test BCE, got " + test);
            Autoencoder back = Checkpoint.load(out, backend).model();
            assertEquals(test, Trainer.evaluate(back, mnist.test(), 1000).reconstruction(), 1e-6);
        }
    }
}
