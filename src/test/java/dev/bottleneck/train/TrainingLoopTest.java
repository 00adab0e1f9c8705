package dev.bottleneck.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.SyncCountingBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The open training loop: hook order, sync policy, listeners for the divergence guard and early stopping, gradient hooks, batches. */
class TrainingLoopTest {
    private final CpuBackend cpu = new CpuBackend(DType.F32);

    @AfterEach
    void close() { cpu.close(); }

    private static final ModelSpec SPEC = ModelSpec.dense("64-6-64", "tanh", "sigmoid", Loss.MSE);

    private static FitConfig config(int epochs, int batch) {
        return new FitConfig().epochs(epochs).batch(batch).seed(5).validation(0).optimizer(OptimizerConfig.adam(3e-3)).progress(false);
    }

    /** Records every hook as a short string. */
    static final class Recorder implements TrainingListener {
        final List<String> events = new ArrayList<>();

        @Override public void onFitStart(LoopContext ctx) { events.add("fitStart@" + ctx.state().epochsDone()); }
        @Override public void onEpochStart(LoopContext ctx) { events.add("epochStart " + ctx.epoch()); }
        @Override public void onStepEnd(LoopContext ctx) { events.add("step " + ctx.globalStep()); }
        @Override public void onSync(LoopContext ctx, SyncPoint p) { events.add("sync " + p.firstStep() + "-" + p.step() + (p.last() ? " last" : "")); }
        @Override public void onValidation(LoopContext ctx, double loss) { events.add("validation"); }

        @Override
        public void onEpochEnd(LoopContext ctx, EpochMetrics m) {
            assertEquals(m.epoch(), ctx.state().epochsDone(), "the epoch is counted before onEpochEnd");
            assertEquals(m, ctx.state().history().get(ctx.state().history().size() - 1), "and in the history");
            events.add("epochEnd " + m.epoch());
        }

        @Override public void onFitEnd(LoopContext ctx, TrainingLoop.Result r) { events.add("fitEnd@" + r.state().epochsDone()); }
    }

    @Test
    void listenersSeeTheHooksInOrderAlsoWhenResuming() {
        Dataset data = CheckpointResumeTest.synthetic(10, 8, 1);
        Autoencoder a = new Autoencoder(SPEC).bind(cpu, 1);
        Recorder rec = new Recorder();
        TrainState state;
        try (Optimizer opt = new Optimizer(OptimizerConfig.adam(3e-3), a.params()); AlignedArrays src = AlignedArrays.of(cpu, data)) {
            TrainingLoop loop = new TrainingLoop(a.params(), opt, ReconstructionStep.of(a, config(2, 4), data), config(2, 4))
                    .validator(() -> 0.5).listener(rec);
            state = loop.fit(src, null).state();
            // the CPU syncs every step; 10 samples in batches of 4 are 3 steps
            assertEquals(List.of("fitStart@0",
                    "epochStart 0", "sync 1-1", "step 1", "sync 2-2", "step 2", "sync 3-3 last", "step 3", "validation", "epochEnd 1",
                    "epochStart 1", "sync 1-1", "step 4", "sync 2-2", "step 5", "sync 3-3 last", "step 6", "validation", "epochEnd 2",
                    "fitEnd@2"), rec.events);

            rec.events.clear();
            new TrainingLoop(a.params(), opt, ReconstructionStep.of(a, config(3, 4), data), config(3, 4)).listener(rec).fit(src, state);
            assertEquals(List.of("fitStart@2", "epochStart 2", "sync 1-1", "step 7", "sync 2-2", "step 8", "sync 3-3 last", "step 9",
                    "epochEnd 3", "fitEnd@3"), rec.events, "a resumed fit starts at its epoch and step; no validator, no onValidation");

            rec.events.clear();
            new TrainingLoop(a.params(), opt, ReconstructionStep.of(a, config(3, 4), data), config(3, 4)).listener(rec).fit(src, state);
            assertEquals(List.of("fitStart@3", "fitEnd@3"), rec.events, "nothing left to train");
        }
    }

    @Test
    void deviceBackendsReadTheLossOnlyEverySyncEveryStepsWithTheSameNumerics() {
        Dataset data = CheckpointResumeTest.synthetic(120, 8, 2);
        SyncCountingBackend device = new SyncCountingBackend(cpu, false);
        Autoencoder a = new Autoencoder(SPEC).bind(device, 3);
        List<SyncPoint> syncs = new ArrayList<>();
        TrainingLoop.Result r;
        FitConfig cfg = config(2, 1); // 120 steps per epoch
        try (Optimizer opt = new Optimizer(cfg.optimizer(), a.params()); AlignedArrays src = AlignedArrays.of(device, data)) {
            device.resetCounts();
            r = new TrainingLoop(a.params(), opt, ReconstructionStep.of(a, cfg, data), cfg)
                    .listener(new TrainingListener() {
                        @Override public void onSync(LoopContext ctx, SyncPoint p) { syncs.add(p); }
                    }).fit(src, null);
        }
        assertEquals(2 * 3, device.scalarReads(), "one read at steps 50, 100 and 120 of each epoch, no other");
        assertEquals(0, device.downloads(), "nothing else comes back to the host");
        for (int e = 0; e < 2; e++) {
            List<SyncPoint> ep = syncs.subList(3 * e, 3 * e + 3);
            assertEquals(List.of(50, 100, 120), ep.stream().map(SyncPoint::step).toList());
            assertEquals(List.of(1, 51, 101), ep.stream().map(SyncPoint::firstStep).toList());
            assertEquals(List.of(50L, 100L, 120L), ep.stream().map(SyncPoint::samplesDone).toList());
            assertTrue(ep.get(2).last() && !ep.get(1).last() && !ep.get(0).everyStep());
            assertEquals(r.state().history().get(e).trainLoss(), ep.get(2).meanLoss(), 0.0, "the epoch loss is the last sync's mean");
        }

        // the sync policy does not change a single weight
        Autoencoder b = new Autoencoder(SPEC).bind(cpu, 3);
        try (Optimizer opt = new Optimizer(cfg.optimizer(), b.params()); AlignedArrays src = AlignedArrays.of(cpu, data)) {
            TrainingLoop.Result rb = new TrainingLoop(b.params(), opt, ReconstructionStep.of(b, cfg, data), cfg).fit(src, null);
            assertEquals(rb.trainLoss(), r.trainLoss(), 0.0);
        }
        assertArrayEquals(b.params().valuesToHost(), a.params().valuesToHost());
    }

    @Test
    void divergenceGuardNamesTheStepsSinceTheLastRead() {
        Dataset clean = CheckpointResumeTest.synthetic(120, 8, 3);
        float[] x = clean.x().clone();
        x[64 * 70 + 3] = Float.NaN;
        Dataset bad = new Dataset(x, 120, new int[] {1, 8, 8}, null, "bad");
        SyncCountingBackend device = new SyncCountingBackend(cpu, false);
        Autoencoder a = new Autoencoder(SPEC).bind(device, 1);
        FitConfig cfg = config(2, 1);
        List<String> afterGuard = new ArrayList<>();
        try (Optimizer opt = new Optimizer(cfg.optimizer(), a.params()); AlignedArrays src = AlignedArrays.of(device, bad)) {
            TrainingLoop loop = new TrainingLoop(a.params(), opt, ReconstructionStep.of(a, cfg, bad), cfg)
                    .listener(new DivergenceGuard(lr -> "lower --lr (now " + lr + ")"))
                    .listener(new TrainingListener() {
                        @Override public void onSync(LoopContext ctx, SyncPoint p) { afterGuard.add("sync " + p.step()); }
                        @Override public void onEpochEnd(LoopContext ctx, EpochMetrics m) { afterGuard.add("epoch end"); }
                    });
            BottleneckException e = assertThrows(BottleneckException.class, () -> loop.fit(src, null));
            assertTrue(e.getMessage().matches("training diverged: the loss became NaN at epoch 1, steps (1-50|51-100|101-120) of 120; "
                    + "lower --lr \\(now 0.003\\)"), e.getMessage());
        }
        assertFalse(afterGuard.contains("epoch end"), "the run stopped at the guard");
        assertTrue(afterGuard.size() <= 2, "listeners after the guard saw only the finite reads: " + afterGuard);
    }

    @Test
    void earlyStoppingAndCheckpointerAsListenersRestoreTheBestEpoch(@TempDir Path dir) throws Exception {
        Dataset data = CheckpointResumeTest.synthetic(40, 8, 4);
        Autoencoder a = new Autoencoder(SPEC).bind(cpu, 1);
        FitConfig cfg = config(10, 16).earlyStopping(2, 0, true).outDir(dir);
        double[] scripted = {1.0, 0.5, 0.6, 0.7, 0.1, 0.1};
        AtomicInteger epoch = new AtomicInteger();
        List<float[]> weightsAfter = new ArrayList<>();
        List<String> log = new ArrayList<>();
        try (Optimizer opt = new Optimizer(cfg.optimizer(), a.params()); AlignedArrays src = AlignedArrays.of(cpu, data)) {
            TrainingLoop.Result r = new TrainingLoop(a.params(), opt, ReconstructionStep.of(a, cfg, data), cfg)
                    .validator(() -> scripted[epoch.getAndIncrement()])
                    .listeners(StandardListeners.builder(cfg, log::add)
                            .checkpoint(a.params(), SPEC.toMap(), opt, () -> java.util.Map.of("kind", "test")).build())
                    .listener(new TrainingListener() {
                        @Override public void onEpochEnd(LoopContext ctx, EpochMetrics m) {
                            if (!ctx.state().stoppedEarly()) weightsAfter.add(ctx.params().valuesToHost());
                        }
                    })
                    .fit(src, null);
            TrainState s = r.state();
            assertTrue(s.stoppedEarly());
            assertEquals(4, s.epochsDone(), "two epochs without improvement after epoch 2");
            assertEquals(2, s.bestEpoch());
            assertEquals(0.5, s.best(), 0.0);
            assertEquals(0.7, r.valLoss(), 0.0);
        }
        assertArrayEquals(weightsAfter.get(1), a.params().valuesToHost(), "the weights of epoch 2 are back");
        Autoencoder fromDisk = new Autoencoder(SPEC).bind(cpu, 99);
        Checkpoint.loadWeights(dir.resolve(Checkpoint.MODEL), fromDisk);
        assertArrayEquals(weightsAfter.get(1), fromDisk.params().valuesToHost(), "and in model.safetensors");
        assertTrue(log.contains("early stopping: no improvement for 2 epochs (best epoch 2)"), log.toString());
        assertEquals("restored the weights of epoch 2", log.get(log.size() - 1));
        JsonNode state = new ObjectMapper().readTree(dir.resolve(Checkpoint.STATE).toFile());
        assertTrue(state.get("stopped_early").asBoolean());
        assertEquals(2, state.get("best_epoch").asInt());
        for (String f : List.of(Checkpoint.BEST, Checkpoint.OPTIMIZER, Checkpoint.CONFIG, MetricsFile.CSV, LossCurve.FILE)) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        assertEquals(5, Files.readAllLines(dir.resolve(MetricsFile.CSV)).size(), "header and four epochs");
    }

    @Test
    void earlyStoppingWithoutPatienceOnlyKeepsTheRecord() {
        Dataset data = CheckpointResumeTest.synthetic(20, 8, 5);
        Autoencoder a = new Autoencoder(SPEC).bind(cpu, 1);
        FitConfig cfg = config(4, 8);
        double[] scripted = {0.3, 0.2, 0.9, 0.9};
        AtomicInteger epoch = new AtomicInteger();
        try (Optimizer opt = new Optimizer(cfg.optimizer(), a.params()); AlignedArrays src = AlignedArrays.of(cpu, data)) {
            TrainState s = new TrainingLoop(a.params(), opt, ReconstructionStep.of(a, cfg, data), cfg)
                    .validator(() -> scripted[epoch.getAndIncrement()]).listener(new EarlyStopping(0, 0, m -> fail(m)))
                    .fit(src, null).state();
            assertFalse(s.stoppedEarly());
            assertEquals(4, s.epochsDone());
            assertEquals(2, s.bestEpoch());
            assertEquals(0.2, s.best(), 0.0);
        }
    }

    @Test
    void aListenerCanStopAfterAnEpochWithoutEndingTheTraining() {
        Dataset data = CheckpointResumeTest.synthetic(20, 8, 6);
        Autoencoder a = new Autoencoder(SPEC).bind(cpu, 1);
        FitConfig cfg = config(5, 8);
        try (Optimizer opt = new Optimizer(cfg.optimizer(), a.params()); AlignedArrays src = AlignedArrays.of(cpu, data)) {
            TrainingLoop loop = new TrainingLoop(a.params(), opt, ReconstructionStep.of(a, cfg, data), cfg).listener(new TrainingListener() {
                @Override public void onEpochEnd(LoopContext ctx, EpochMetrics m) { if (m.epoch() == 2) ctx.requestStop(); }
            });
            TrainState s = loop.fit(src, null).state();
            assertEquals(2, s.epochsDone());
            assertFalse(s.stoppedEarly(), "a stop request is not early stopping");
            assertEquals(5, loop.fit(src, s).state().epochsDone(), "the next fit carries on to the end");
        }
    }

    @Test
    void gradientHooksRunBetweenBackwardAndTheUpdateBeforeClipping() {
        Dataset data = CheckpointResumeTest.synthetic(30, 8, 7);
        Autoencoder a = new Autoencoder(SPEC).bind(cpu, 1);
        float[] before = a.params().valuesToHost();
        FitConfig cfg = config(2, 10).optimizer(OptimizerConfig.sgd(1.0, 0, false)).clipNorm(1e-3);
        AtomicInteger calls = new AtomicInteger();
        List<Double> norms = new ArrayList<>();
        try (Optimizer opt = new Optimizer(cfg.optimizer(), a.params()); AlignedArrays src = AlignedArrays.of(cpu, data)) {
            new TrainingLoop(a.params(), opt, ReconstructionStep.of(a, cfg, data), cfg)
                    .gradientHook((g, params) -> {
                        calls.incrementAndGet();
                        Tensor s = g.temp(1);
                        cpu.reduce().sumSquares(params.grads(), s);
                        norms.add(Math.sqrt(cpu.memory().readScalar(s)));
                        cpu.memory().fill(params.grads(), 0.0); // no gradient: plain SGD leaves every weight alone
                    })
                    .fit(src, null);
        }
        assertEquals(6, calls.get(), "once per step");
        assertTrue(norms.stream().allMatch(v -> v > 1e-3), "the hook saw the unclipped gradients " + norms);
        assertArrayEquals(before, a.params().valuesToHost(), "the update used the gradients the hook left");
    }

    @Test
    void alignedArraysGatherTheSameRowsOfEveryArray() {
        float[] a = new float[5 * 2], b = new float[5 * 3];
        for (int i = 0; i < a.length; i++) a[i] = i;
        for (int i = 0; i < b.length; i++) b[i] = 100 + i;
        try (AlignedArrays src = AlignedArrays.builder(cpu, 5).add("a", a, 2).add("b", b, 1, 3).rows(new int[] {4, 1, 3}).build();
             Batch batch = src.gather(new int[] {2, 0, 1}, 0, 2)) {
            assertEquals(3, src.size());
            assertEquals(2, batch.size());
            assertEquals(3, batch.row(0), "sample 2 of the source is host row 3");
            assertEquals(4, batch.row(1));
            assertArrayEquals(new int[] {2, 2}, batch.tensor("a").shape());
            assertArrayEquals(new int[] {2, 1, 3}, batch.tensor(1).shape());
            assertArrayEquals(new float[] {6, 7, 8, 9}, cpu.memory().toFloatArray(batch.tensor("a")));
            assertArrayEquals(new float[] {109, 110, 111, 112, 113, 114}, cpu.memory().toFloatArray(batch.tensor("b")));
            assertThrows(IllegalArgumentException.class, () -> batch.tensor("c"));
        }
        assertThrows(BottleneckException.class, () -> AlignedArrays.builder(cpu, 5).add("a", new float[9], 2));
        assertArrayEquals(new int[] {0, 1, 2}, Dataset.splitIndices(3, 0, 1).train(), "no hold-out keeps the order");
        Dataset.IndexSplit sp = Dataset.splitIndices(10, 0.3, 4);
        int[] all = java.util.stream.IntStream.concat(Arrays.stream(sp.train()), Arrays.stream(sp.validation())).sorted().toArray();
        assertEquals(3, sp.validation().length);
        assertArrayEquals(java.util.stream.IntStream.range(0, 10).toArray(), all);
    }

    @Test
    void trainerListenersRunAfterTheCheckpoint(@TempDir Path dir) {
        Dataset data = CheckpointResumeTest.synthetic(30, 8, 8);
        Autoencoder a = new Autoencoder(SPEC).bind(cpu, 1);
        List<Integer> saved = new ArrayList<>();
        try (Trainer t = new Trainer(a, config(2, 16).outDir(dir), s -> { })) {
            t.listener(new TrainingListener() {
                @Override public void onEpochEnd(LoopContext ctx, EpochMetrics m) {
                    saved.add(Checkpoint.readState(dir).epochsDone());
                }
            }).fit(data, null, null);
        }
        assertEquals(List.of(1, 2), saved, "a Trainer's own listener sees each epoch's checkpoint already written");
    }
}
