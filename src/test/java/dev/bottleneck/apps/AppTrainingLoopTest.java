package dev.bottleneck.apps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.Ratings;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.testing.SyncCountingBackend;
import dev.bottleneck.train.Checkpoint;
import dev.bottleneck.train.EpochMetrics;
import dev.bottleneck.train.LoopContext;
import dev.bottleneck.train.TrainOptions;
import dev.bottleneck.train.TrainingListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * AutoRec, segmentation and super-resolution on the shared training loop: an interrupted and resumed run ends with
 * the same weights and losses as an uninterrupted one (validation included), every epoch leaves a checkpoint, and on
 * a device-like backend the loss comes back to the host once per epoch instead of once per step.
 */
class AppTrainingLoopTest {
    private final CpuBackend cpu = new CpuBackend(DType.F32);

    @AfterEach
    void close() { cpu.close(); }

    /** What an app's training gives back, whatever the app. */
    record Run(float[] weights, double[] trainLoss, double[] valLoss) { }

    @FunctionalInterface
    interface App {
        Run train(Backend be, int epochs, TrainOptions o);
    }

    // ------------------------------------------------------------------------------------------ the three apps, small

    static Ratings ratings() {
        SplittableRandom r = new SplittableRandom(3);
        List<Integer> us = new ArrayList<>(), is = new ArrayList<>();
        List<Float> rs = new ArrayList<>();
        for (int u = 0; u < 40; u++) {
            for (int i = 0; i < 30; i++) {
                if (r.nextDouble() > 0.5) continue;
                us.add(u);
                is.add(i);
                rs.add((float) (((u % 2 == 0) == (i % 2 == 0) ? 4.5 : 1.5) + r.nextDouble(-0.5, 0.5)));
            }
        }
        List<String> uid = new ArrayList<>(), iid = new ArrayList<>();
        for (int u = 0; u < 40; u++) uid.add("u" + u);
        for (int i = 0; i < 30; i++) iid.add("m" + i);
        float[] v = new float[rs.size()];
        for (int k = 0; k < v.length; k++) v[k] = rs.get(k);
        return new Ratings(us.stream().mapToInt(x -> x).toArray(), is.stream().mapToInt(x -> x).toArray(), v, uid, iid, "synthetic");
    }

    /** Gray images with one soft blob each, and a random label per image (enough to stand in for digits). */
    static Dataset blobs(int n, int side, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * side * side];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            double cx = r.nextDouble(side), cy = r.nextDouble(side), w = 1 + r.nextDouble(side / 5.0);
            for (int p = 0; p < side * side; p++) {
                double dx = (p % side) - cx, dy = (p / side) - cy;
                x[i * side * side + p] = (float) Math.exp(-(dx * dx + dy * dy) / (2 * w * w));
            }
            labels[i] = r.nextInt(10);
        }
        return new Dataset(x, n, new int[] {1, side, side}, labels, "blobs");
    }

    static Run run(ParameterStore p, double[] train, double[] val, AutoCloseable model) {
        Run r = new Run(p.valuesToHost(), train, val);
        try {
            model.close();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return r;
    }

    private static final Ratings RATINGS = ratings();
    private static final App AUTOREC = (be, epochs, o) -> {
        AutoRec.Trained t = AutoRec.train(be, RATINGS, new AutoRec.Config(8, "sigmoid", 0.001, epochs, 4, 0.01, 42), o);
        return run(t.model().params(), t.epochLoss(), t.validationLoss(), t.model());
    };
    private static final Segmentation.Canvases CANVASES = Segmentation.build(blobs(60, 28, 9), 12, 1);
    private static final App SEGMENTATION = (be, epochs, o) -> {
        Segmentation.Trained t = Segmentation.train(be, CANVASES, new ConvTaskConfig(3, epochs, 4, 0.01, 42), o);
        return run(t.model().params(), t.epochLoss(), t.validationLoss(), t.model());
    };
    private static final Dataset IMAGES = blobs(48, 8, 4);
    private static final App SUPER_RESOLUTION = (be, epochs, o) -> {
        SuperResolution.Trained t = SuperResolution.train(be, IMAGES, new ConvTaskConfig(3, epochs, 8, 0.002, 42), o);
        return run(t.model().params(), t.epochLoss(), t.validationLoss(), t.model());
    };

    // ------------------------------------------------------------------------------------------ resume

    private void resumesExactly(App app, Path dir) throws Exception {
        Path straight = dir.resolve("straight"), split = dir.resolve("split");
        Run full = app.train(cpu, 3, TrainOptions.defaults().validation(0.25).outDir(straight));
        app.train(cpu, 1, TrainOptions.defaults().validation(0.25).outDir(split));
        List<Integer> epochsSeen = new ArrayList<>();
        Run resumed = app.train(cpu, 3, TrainOptions.defaults().validation(0.25).outDir(split).resume(true)
                .listener(new TrainingListener() {
                    @Override public void onEpochEnd(LoopContext ctx, EpochMetrics m) { epochsSeen.add(m.epoch()); }
                }));
        assertEquals(List.of(2, 3), epochsSeen, "the resumed run trains only the missing epochs");
        assertArrayEquals(full.weights(), resumed.weights(), "final weights differ after resuming");
        assertArrayEquals(full.trainLoss(), resumed.trainLoss(), 0.0, "training loss per epoch");
        assertArrayEquals(full.valLoss(), resumed.valLoss(), 0.0, "validation loss per epoch");
        assertEquals(3, full.valLoss().length);
        for (double v : full.valLoss()) assertTrue(Double.isFinite(v) && v > 0, "a validation loss every epoch: " + v);
        assertArrayEquals(Files.readAllBytes(straight.resolve(Checkpoint.MODEL)), Files.readAllBytes(split.resolve(Checkpoint.MODEL)));
        for (String f : List.of(Checkpoint.OPTIMIZER, Checkpoint.CONFIG, Checkpoint.STATE, "metrics.csv", "loss.png")) {
            assertTrue(Files.isRegularFile(split.resolve(f)), f + " missing");
        }
        JsonNode state = new ObjectMapper().readTree(split.resolve(Checkpoint.STATE).toFile());
        assertEquals(3, state.get("epochs_done").asInt());
        assertEquals(3, state.get("history").size());
        assertEquals(4, Files.readAllLines(split.resolve("metrics.csv")).size(), "header and three epochs");
    }

    @Test
    void autoRecResumesExactly(@TempDir Path dir) throws Exception {
        resumesExactly(AUTOREC, dir);
    }

    @Test
    void segmentationResumesExactly(@TempDir Path dir) throws Exception {
        resumesExactly(SEGMENTATION, dir);
    }

    @Test
    void superResolutionResumesExactly(@TempDir Path dir) throws Exception {
        resumesExactly(SUPER_RESOLUTION, dir);
    }

    @Test
    void checkpointsCarryTheConfigTheCallerGives(@TempDir Path dir) throws Exception {
        Run r = AUTOREC.train(cpu, 1, TrainOptions.defaults().outDir(dir)
                .config(Map.of("kind", "autorec", "model", AutoRec.spec(RATINGS.users(), 8, "sigmoid").toMap())));
        assertEquals("autorec", Checkpoint.readConfig(dir).get("kind"));
        // with its spec in config.json, an AutoRec checkpoint is a model directory like any other
        try (var back = Checkpoint.load(dir, cpu).model()) {
            assertArrayEquals(r.weights(), back.params().valuesToHost());
        }
    }

    // ------------------------------------------------------------------------------------------ host syncs

    /**
     * On a backend whose reads are expensive, an epoch of fewer than {@code SYNC_EVERY} steps reads the loss once (and
     * a validation pass once more); before the shared loop each app read it after every step.
     */
    private void readsTheLossOncePerEpoch(App app, int stepsPerEpoch) {
        SyncCountingBackend device = new SyncCountingBackend(cpu, false);
        Run r = app.train(device, 2, TrainOptions.defaults());
        assertEquals(2, device.scalarReads(), "one read per epoch, not one per step (" + stepsPerEpoch + " steps)");
        assertEquals(1, device.downloads(), "and no other traffic to the host than the final weights");
        assertEquals(2, r.trainLoss().length);

        device.resetCounts();
        app.train(device, 2, TrainOptions.defaults().validation(0.25));
        assertEquals(4, device.scalarReads(), "plus one per validation pass");

        // and the numbers are those of the CPU, which syncs every step
        assertArrayEquals(app.train(cpu, 2, TrainOptions.defaults()).weights(), r.weights());
    }

    @Test
    void autoRecReadsTheLossOncePerEpoch() {
        readsTheLossOncePerEpoch(AUTOREC, 8);
    }

    @Test
    void segmentationReadsTheLossOncePerEpoch() {
        readsTheLossOncePerEpoch(SEGMENTATION, 3);
    }

    @Test
    void superResolutionReadsTheLossOncePerEpoch() {
        readsTheLossOncePerEpoch(SUPER_RESOLUTION, 6);
    }
}
