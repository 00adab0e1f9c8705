package dev.bottleneck.e2e;

import dev.bottleneck.analysis.Pca;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.model.Regularizer;
import dev.bottleneck.optim.LrSchedule;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.Trainer;
import dev.bottleneck.testing.Mnist;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Short runs on real MNIST (skipped when it is not installed): a linear autoencoder reaches PCA's test error
 * (Baldi &amp; Hornik), and an L1 activity penalty lowers the mean code activation (the Keras sparse example).
 */
class VariantsMnistTest {
    static TrainTest mnist;
    static Backend be;

    @BeforeAll
    static void load() {
        mnist = Mnist.orSkip();
        be = new CpuBackend(DType.F32);
    }

    @AfterAll
    static void close() {
        if (be != null) be.close();
    }

    @Test
    void linearAutoencoderComesWithinTwoPercentOfPca() {
        int k = 8, epochs = 3;
        long t0 = System.nanoTime();
        Pca pca = Pca.fit(be, mnist.train());
        double pcaMse = pca.reconstructionMse(mnist.test(), k)[0];
        ModelSpec ms = ModelSpec.dense("784-" + k + ":linear", "relu", "linear", Loss.MSE);
        FitConfig cfg = new FitConfig().epochs(epochs).batch(128).seed(42).validation(0).optimizer(OptimizerConfig.adam(3e-3))
                .schedule(LrSchedule.cosine(epochs, 0)).progress(false);
        double aeMse;
        try (Autoencoder ae = new Autoencoder(ms).bind(be, 42); Trainer t = new Trainer(ae, cfg, System.out::println)) {
            t.fit(mnist.train(), null, null);
            aeMse = Trainer.evaluate(ae, mnist.test(), 1000).reconstruction();
        }
        System.out.printf("k=%d: PCA test MSE %.6f, linear AE (%d epochs) %.6f, ratio %.4f (%.1f s)%n", k, pcaMse, epochs, aeMse,
                aeMse / pcaMse, (System.nanoTime() - t0) / 1e9);
        assertTrue(aeMse < 1.02 * pcaMse, "linear AE " + aeMse + " vs PCA " + pcaMse);
        assertTrue(aeMse > 0.99 * pcaMse, "a linear AE cannot beat PCA by much: " + aeMse + " vs " + pcaMse);
    }

    private static double meanActivation(Double l1, Dataset train, Dataset test, int epochs) {
        ModelSpec ms = ModelSpec.dense("784-32", "relu", "sigmoid", Loss.BCE);
        if (l1 != null) ms = ms.withRegularizers(List.of(new Regularizer.L1Activity(l1).spec()));
        FitConfig cfg = new FitConfig().epochs(epochs).batch(256).seed(42).validation(0).optimizer(OptimizerConfig.adam(1e-3)).progress(false);
        try (Autoencoder ae = new Autoencoder(ms).bind(be, 42); Trainer t = new Trainer(ae, cfg, System.out::println)) {
            t.fit(train, null, null);
            return Trainer.meanCodeActivation(ae, test, 10000);
        }
    }

    @Test
    void l1ActivityPenaltyLowersTheMeanCodeActivation() {
        Dataset train = mnist.train().head(30000, "mnist-30k");
        int epochs = 3;
        double plain = meanActivation(null, train, mnist.test(), epochs);
        double sparse = meanActivation(1e-4, train, mnist.test(), epochs);
        System.out.printf("784-32 ReLU code, %d epochs on 30k: mean code activation on test %.4f without L1, %.4f with L1 1e-4%n",
                epochs, plain, sparse);
        assertTrue(sparse < 0.85 * plain, "L1 must lower the mean code activation: " + sparse + " vs " + plain);
    }
}
