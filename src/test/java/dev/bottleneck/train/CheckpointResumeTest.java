package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.backend.cuda.EmulatedCudaBackend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.testing.BackendsUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Save/load round trips and exact resumption of training, on the CPU backend and on the CUDA backend's code in the
 * kernel emulator ({@value EmulatedCudaBackend#NAME}: its downloads, uploads and loss reads every 50 steps).
 */
class CheckpointResumeTest {
    private final Backend cpu = new CpuBackend(DType.F32);
    private Backend be = cpu;

    @AfterEach
    void close() { cpu.close(); }

    /** Runs the test on the backend of that name (the CPU one of this test, or a shared one). */
    private void on(String name) {
        be = name.equals("cpu") ? cpu : BackendsUnderTest.get(name);
    }

    /** Smooth synthetic images: sums of a few random bumps, in [0, 1]. */
    static Dataset synthetic(int n, int side, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * side * side];
        for (int i = 0; i < n; i++) {
            double cx = r.nextDouble(side), cy = r.nextDouble(side), w = 1 + r.nextDouble(3);
            for (int p = 0; p < side * side; p++) {
                double dx = (p % side) - cx, dy = (p / side) - cy;
                x[i * side * side + p] = (float) Math.exp(-(dx * dx + dy * dy) / (2 * w * w));
            }
        }
        return new Dataset(x, n, new int[] {1, side, side}, null, "bumps");
    }

    private static ModelSpec spec() {
        return ModelSpec.parse("{\"input\":[1,8,8],\"encoder\":[{\"type\":\"linear\",\"units\":12,\"activation\":\"relu\"},"
                + "{\"type\":\"dropout\",\"rate\":0.1},{\"type\":\"linear\",\"units\":4,\"activation\":\"tanh\"}],"
                + "\"decoder\":[{\"type\":\"linear\",\"units\":12,\"activation\":\"relu\"},{\"type\":\"linear\",\"units\":64,\"activation\":\"sigmoid\"}],"
                + "\"loss\":\"bce\"}", 64);
    }

    private FitConfig config(Path out, int epochs) {
        return new FitConfig().epochs(epochs).batch(32).seed(7).validation(0).optimizer(OptimizerConfig.adam(3e-3))
                .outDir(out).progress(false);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cpu", EmulatedCudaBackend.NAME})
    void weightsAndOptimizerStateRoundTripBitExactly(String backend, @TempDir Path dir) throws Exception {
        on(backend);
        Dataset data = synthetic(200, 8, 1);
        Autoencoder a = new Autoencoder(spec()).bind(be, 3);
        try (Trainer t = new Trainer(a, config(dir, 2), s -> { })) {
            t.fit(data, null, null);
            float[] weights = a.params().valuesToHost();
            Autoencoder b = Checkpoint.load(dir, be).model();
            assertArrayEquals(weights, b.params().valuesToHost(), "weights differ after save + load");
            try (dev.bottleneck.optim.Optimizer o = new dev.bottleneck.optim.Optimizer(OptimizerConfig.adam(3e-3), b.params())) {
                Checkpoint.loadOptimizer(dir.resolve(Checkpoint.OPTIMIZER), o);
                assertEquals(t.optimizer().steps(), o.steps());
                for (String k : List.of("m", "v")) {
                    assertArrayEquals(be.memory().toFloatArray(t.optimizer().state().get(k)),
                            be.memory().toFloatArray(o.state().get(k)), "optimizer state " + k);
                }
            }
            // the file itself is byte-for-byte stable: saving the loaded model gives the same tensors
            Path again = dir.resolve("again.safetensors");
            Checkpoint.saveWeights(again, b);
            var l1 = dev.bottleneck.io.Safetensors.read(dir.resolve(Checkpoint.MODEL));
            var l2 = dev.bottleneck.io.Safetensors.read(again);
            assertEquals(l1.tensors().keySet(), l2.tensors().keySet());
            for (String k : l1.tensors().keySet()) {
                assertArrayEquals(l1.tensors().get(k).asFloats(), l2.tensors().get(k).asFloats(), k);
            }
            assertTrue(l1.tensors().containsKey("encoder.0.weight"));
            assertArrayEquals(new long[] {12, 64}, l1.tensors().get("encoder.0.weight").shape());
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tmp")), "temporary files left behind");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cpu", EmulatedCudaBackend.NAME})
    void resumedTrainingContinuesTheSameLossCurve(String backend, @TempDir Path dir) {
        on(backend);
        Dataset data = synthetic(300, 8, 2);
        Path straight = dir.resolve("straight"), split = dir.resolve("split");

        Autoencoder a = new Autoencoder(spec()).bind(be, 11);
        Trainer.Result full;
        try (Trainer t = new Trainer(a, config(straight, 5), s -> { })) {
            full = t.fit(data, null, null);
        }

        Autoencoder b = new Autoencoder(spec()).bind(be, 11);
        try (Trainer t = new Trainer(b, config(split, 2), s -> { })) {
            t.fit(data, null, null);
        }
        // a new process would do exactly this: read the directory back and continue to 5 epochs
        Autoencoder c = new Autoencoder(spec()).bind(be, 999); // different init: everything must come from disk
        Trainer.Result resumed;
        try (Trainer t = new Trainer(c, config(split, 5), s -> { })) {
            Checkpoint.loadWeights(split.resolve(Checkpoint.MODEL), c);
            Checkpoint.loadOptimizer(split.resolve(Checkpoint.OPTIMIZER), t.optimizer());
            resumed = t.fit(data, null, Checkpoint.readState(split));
        }
        List<EpochMetrics> h1 = full.state().history(), h2 = resumed.state().history();
        assertEquals(5, h1.size());
        assertEquals(5, h2.size());
        for (int e = 0; e < 5; e++) {
            assertEquals(h1.get(e).trainLoss(), h2.get(e).trainLoss(), 0.0, "epoch " + (e + 1) + " loss differs after resuming");
        }
        assertArrayEquals(a.params().valuesToHost(), c.params().valuesToHost(), "final weights differ after resuming");
        assertTrue(h1.get(4).trainLoss() < h1.get(0).trainLoss(), "the loss did not go down at all");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cpu", EmulatedCudaBackend.NAME})
    void nonFiniteLossStopsWithEpochAndStep(String backend) {
        on(backend);
        Dataset data = synthetic(100, 8, 3);
        float[] x = data.x().clone();
        x[64 * 40 + 5] = Float.NaN; // sample 40 lands in some batch of epoch 1
        Dataset bad = new Dataset(x, 100, new int[] {1, 8, 8}, null, "bad");
        Autoencoder a = new Autoencoder(spec()).bind(be, 1);
        try (Trainer t = new Trainer(a, config(null, 3), s -> { })) {
            BottleneckException e = assertThrows(BottleneckException.class, () -> t.fit(bad, null, null));
            // the CPU reads the loss every step; a device every 50 steps and at the epoch's end, so it names the range
            String where = be == cpu ? "step [1-4] of 4" : "steps 1-4 of 4";
            assertTrue(e.getMessage().matches("(?s).*loss became NaN at epoch 1, " + where + ".*"), e.getMessage());
        }
    }

    @Test
    void earlyStoppingRestoresTheBestEpoch(@TempDir Path dir) {
        Dataset data = synthetic(120, 8, 4);
        Dataset.Split sp = data.split(0.25, 1);
        Autoencoder a = new Autoencoder(spec()).bind(be, 1);
        // an absurd learning rate makes validation worse after the first epoch
        FitConfig cfg = config(dir, 30).optimizer(OptimizerConfig.sgd(50.0, 0.9, false)).earlyStopping(2, 0, true);
        try (Trainer t = new Trainer(a, cfg, s -> { })) {
            Trainer.Result r;
            try {
                r = t.fit(sp.train(), sp.validation(), null);
            } catch (BottleneckException diverged) {
                return; // the NaN guard may fire first; that is also a correct stop
            }
            assertTrue(r.state().stoppedEarly(), "did not stop early");
            assertTrue(r.state().epochsDone() < 30);
            double restored = t.evaluate(sp.validation(), 64).loss();
            assertEquals(r.state().best(), restored, 1e-5, "weights of the best epoch were not restored");
        }
    }

    @Test
    void clippingBoundsTheUpdate() {
        Dataset data = synthetic(64, 8, 5);
        Autoencoder a = new Autoencoder(spec()).bind(be, 1);
        Autoencoder b = new Autoencoder(spec()).bind(be, 1);
        float[] before = a.params().valuesToHost();
        // plain SGD, one step, lr 1: with clipping at 1e-3 no parameter can move by more than 1e-3
        FitConfig cfg = config(null, 1).batch(64).optimizer(OptimizerConfig.sgd(1.0, 0, false)).clipNorm(1e-3);
        try (Trainer t = new Trainer(a, cfg, s -> { })) {
            t.fit(data, null, null);
        }
        float[] after = a.params().valuesToHost();
        double norm = 0;
        for (int i = 0; i < before.length; i++) norm += (after[i] - before[i]) * (double) (after[i] - before[i]);
        assertEquals(1e-3, Math.sqrt(norm), 2e-5, "clipped update norm");
        try (Trainer t = new Trainer(b, config(null, 1).batch(64).optimizer(OptimizerConfig.sgd(1.0, 0, false)), s -> { })) {
            t.fit(data, null, null);
        }
        float[] unclipped = b.params().valuesToHost();
        double n2 = 0;
        for (int i = 0; i < before.length; i++) n2 += (unclipped[i] - before[i]) * (double) (unclipped[i] - before[i]);
        assertTrue(Math.sqrt(n2) > 1e-2, "without clipping the step should be much larger");
    }
}
