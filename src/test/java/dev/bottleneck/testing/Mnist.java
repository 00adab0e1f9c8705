package dev.bottleneck.testing;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.TrainTest;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real MNIST data set for end-to-end tests, and the baseline they compare against. */
public final class Mnist {
    private Mnist() {}

    /**
     * MNIST's train and test splits from the local data cache (seed 42), or the test is skipped with the reason and
     * how to install it ({@code scripts/fetch-data.sh}; CI runs it).
     */
    public static TrainTest orSkip() {
        try {
            return DataSources.resolve("mnist", null, null, 42);
        } catch (BottleneckException e) {
            return Assumptions.abort("MNIST is not installed (" + e.getMessage().lines().findFirst().orElse("")
                    + "): run scripts/fetch-data.sh — CI does");
        }
    }

    /** Skips the test unless MNIST is in the local data cache (for tests that run a command on "mnist"). */
    public static void assumeInstalled() {
        Path dir = DataSources.cacheDir().resolve("mnist");
        Assumptions.assumeTrue(Files.isDirectory(dir), "MNIST not installed at " + dir + "; run scripts/fetch-data.sh --only mnist");
    }

    /**
     * Binary cross-entropy, summed over the pixels and averaged over the test images, of predicting every test image
     * as the mean training image (clamped to [1e-7, 1 - 1e-7]): the floor a trained autoencoder must beat.
     */
    public static double meanImageBceSum(Dataset train, Dataset test) {
        int d = train.features();
        double[] mean = new double[d];
        for (int i = 0; i < train.n(); i++) for (int j = 0; j < d; j++) mean[j] += train.x()[i * d + j];
        for (int j = 0; j < d; j++) mean[j] = Math.min(Math.max(mean[j] / train.n(), 1e-7), 1 - 1e-7);
        double s = 0;
        for (int i = 0; i < test.n(); i++) {
            for (int j = 0; j < d; j++) {
                double t = test.x()[i * d + j];
                s -= t * Math.log(mean[j]) + (1 - t) * Math.log(1 - mean[j]);
            }
        }
        return s / test.n();
    }
}
