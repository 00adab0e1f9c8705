package dev.bottleneck.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.optim.LrSchedule;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.testing.SyncCountingBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Checkpoints as atomic units, checkpoints inside epochs, exact resume from any step, stop requests, resume checks
 * and write failures, in one process (the subprocess versions, with real signals and kill -9, are in
 * {@code cli.LongJobsCliTest}). The model has dropout and the run input noise and a cosine schedule, so a resume
 * that got the random streams, the data order or the schedule wrong would not end on the same weights.
 */
class LongJobsTest {
    private final CpuBackend cpu = new CpuBackend(DType.F32);

    @AfterEach
    void close() {
        AtomicFiles.injectFaults(null);
        Preemption.clear();
        cpu.close();
    }

    static final ModelSpec SPEC = ModelSpec.parse("{\"input\":[1,8,8],\"encoder\":[{\"type\":\"linear\",\"units\":12,\"activation\":\"relu\"},"
            + "{\"type\":\"dropout\",\"rate\":0.2},{\"type\":\"linear\",\"units\":4,\"activation\":\"tanh\"}],"
            + "\"decoder\":[{\"type\":\"linear\",\"units\":12,\"activation\":\"relu\"},{\"type\":\"linear\",\"units\":64,\"activation\":\"sigmoid\"}],"
            + "\"loss\":\"bce\"}", 64);
    static final Dataset.Split DATA = CheckpointResumeTest.synthetic(100, 8, 21).split(0.2, 3); // 80 training samples: 5 steps of 16

    /** The settings of the job; runs of fewer epochs are the first epochs of the 3-epoch run (the schedule spans 3). */
    static FitConfig config(Path out, int epochs) {
        return new FitConfig().epochs(epochs).batch(16).seed(9).validation(0.2).optimizer(OptimizerConfig.adam(3e-3))
                .schedule(LrSchedule.cosine(3, 1e-4)).noise(Noise.parse("gaussian:0.1")).earlyStopping(50, 0, true)
                .outDir(out).progress(false);
    }

    /** One run of the job, as a new process would do it: a fresh model, then resume as the mode says, then train. */
    float[] run(Backend be, FitConfig cfg, Resume.Mode mode, Consumer<Trainer> setup) {
        Autoencoder a = new Autoencoder(SPEC).bind(be, 5);
        try (Trainer t = new Trainer(a, cfg, s -> { })) {
            setup.accept(t);
            TrainState s = Resume.in(cfg.outDir()).mode(mode).load(t.config(), cfg, a.params(), t.optimizer());
            t.fit(DATA.train(), DATA.validation(), s);
        }
        return a.params().valuesToHost();
    }

    float[] run(FitConfig cfg, Resume.Mode mode) {
        return run(cpu, cfg, mode, t -> { });
    }

    /** What a real crash does that a thrown exception would not: nothing after it runs (the code must not catch it). */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(String where) { super("crash " + where, null, false, false); }
    }

    static List<String> temporaries(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> root.relativize(p).toString())
                    .filter(n -> AtomicFiles.isTemporary(Path.of(n).getFileName().toString()) || n.contains(".tmp-")).toList();
        }
    }

    static List<String> units(Path run) throws IOException {
        try (Stream<Path> s = Files.list(run.resolve(CheckpointStore.DIR))) {
            return s.map(p -> p.getFileName().toString()).filter(CheckpointStore::isUnitName).sorted().toList();
        }
    }

    // ------------------------------------------------------------------------------------------ point 1

    /**
     * Stops the process at every write and rename of the last checkpoint of a run (and of metrics.csv and loss.png
     * after it), the way a kill would (nothing after the crash point runs): a restart with {@code --resume auto}
     * always finds the last complete checkpoint (the one inside epoch 2, or the new one), removes what the
     * interrupted write left, and ends on the weights of an uninterrupted run, with the top-level files the
     * published checkpoint's.
     */
    @Test
    void aCrashAtAnyWriteOrRenameOfACheckpointLosesNothingButThatCheckpoint(@TempDir Path diskTmp) throws Exception {
        // about 140 short runs: in memory where there is a tmpfs (fsync costs nothing there, and a crash in-process
        // does not depend on it: what was written before the crash is in the page cache either way)
        Path shm = Path.of("/dev/shm");
        Path tmp = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "bottleneck-crash-") : diskTmp;
        try {
            crashEverywhere(tmp);
        } finally {
            if (!tmp.equals(diskTmp)) CheckpointStore.deleteTree(tmp);
        }
    }

    private void crashEverywhere(Path tmp) throws Exception {
        Path ref = tmp.resolve("reference");
        float[] reference = run(config(ref, 2).checkpointEvery(4, null), Resume.Mode.NEVER);
        // the hook calls of the last checkpoint (epoch 2's end, step 10) and what follows it (metrics.csv, loss.png)
        List<String> labels = new ArrayList<>();
        AtomicFiles.injectFaults(new AtomicFiles.FaultHook() {
            @Override public void beforeWrite(Path t) { labels.add("writing " + t); }
            @Override public void beforeRename(Path f, Path t) { labels.add("before renaming " + f + " to " + t); }
            @Override public void afterRename(Path f, Path t) { labels.add("after renaming " + f + " to " + t); }
        });
        run(config(tmp.resolve("count"), 2).checkpointEvery(4, null), Resume.Mode.NEVER);
        AtomicFiles.injectFaults(null);
        int first = 0;
        while (!labels.get(first).contains(".tmp-0000000010")) first++;
        List<String> window = List.copyOf(labels.subList(first, labels.size()));
        assertTrue(window.size() > 30, "a checkpoint is written in many steps: " + window);

        int leftBehind = 0;
        for (int k = 0; k < window.size(); k++) {
            Path dir = tmp.resolve("crash" + k);
            int crashAt = first + k + 1;
            AtomicInteger n = new AtomicInteger();
            AtomicFiles.injectFaults(new AtomicFiles.FaultHook() {
                void tick() { if (n.incrementAndGet() == crashAt) throw new SimulatedCrash("at " + crashAt); }
                @Override public void beforeWrite(Path t) { tick(); }
                @Override public void beforeRename(Path f, Path t) { tick(); }
                @Override public void afterRename(Path f, Path t) { tick(); }
            });
            FitConfig cfg = config(dir, 2).checkpointEvery(4, null);
            assertThrows(SimulatedCrash.class, () -> run(cfg, Resume.Mode.NEVER), "crash point " + k);
            AtomicFiles.injectFaults(null);
            if (!temporaries(dir).isEmpty()) leftBehind++;
            String where = window.get(k).replace(tmp.resolve("count").toString(), "DIR");
            float[] resumed = run(cfg, Resume.Mode.AUTO);
            assertArrayEquals(reference, resumed, "final weights differ after a crash " + where);
            assertEquals(List.of(), temporaries(dir), "temporary files left after the restart, crash " + where);
            assertEquals(1, units(dir).size(), "one published checkpoint, crash " + where);
            CheckpointStore.Unit u = new CheckpointStore(dir).latest();
            for (String f : List.of(Checkpoint.MODEL, Checkpoint.STATE)) {
                assertArrayEquals(Files.readAllBytes(u.file(f)), Files.readAllBytes(dir.resolve(f)), f + " at the top, crash " + where);
            }
            assertArrayEquals(Files.readAllBytes(ref.resolve(Checkpoint.MODEL)), Files.readAllBytes(dir.resolve(Checkpoint.MODEL)), where);
        }
        System.out.printf("crash points in the last checkpoint and after it: %d, %d of them left temporary files, all removed at the restart%n",
                window.size(), leftBehind);
        assertTrue(leftBehind > 0, "some crash points leave temporary files (the cleanup is exercised)");
    }

    @Test
    void aCheckpointIsOneUnitAndTheTopLevelFilesFollowIt(@TempDir Path dir) throws Exception {
        run(config(dir, 2), Resume.Mode.NEVER);
        CheckpointStore store = new CheckpointStore(dir);
        CheckpointStore.Unit u = store.latest();
        assertEquals(10, u.globalStep());
        assertEquals(2, u.epochsDone());
        assertEquals(List.of(u.name()), units(dir), "the previous unit is gone once the new one is published");
        for (String f : List.of(Checkpoint.MODEL, Checkpoint.OPTIMIZER, Checkpoint.CONFIG, Checkpoint.STATE, Checkpoint.BEST)) {
            assertArrayEquals(Files.readAllBytes(u.file(f)), Files.readAllBytes(dir.resolve(f)), f + " at the top is the unit's");
        }
        Map<?, ?> manifest = new ObjectMapper().readValue(u.file(CheckpointStore.MANIFEST).toFile(), Map.class);
        assertEquals(CheckpointStore.FORMAT, manifest.get("format"));
        assertEquals("epoch", manifest.get("reason"));
        assertEquals(u.name(), Files.readString(store.directory().resolve(CheckpointStore.LATEST)).trim());
        // commands that read a model directory read the top
        assertArrayEquals(Checkpoint.load(dir, cpu).model().params().valuesToHost(), Checkpoint.load(u.dir(), cpu).model().params().valuesToHost());
    }

    @Test
    void strayTemporaryFilesAndUnpublishedUnitsAreRemovedAtTheNextStart(@TempDir Path dir) throws Exception {
        run(config(dir, 1), Resume.Mode.NEVER);
        String published = units(dir).get(0);
        Path cks = dir.resolve(CheckpointStore.DIR);
        Files.writeString(dir.resolve(".model.safetensors.tmp-1x2y3z"), "half");
        Files.writeString(cks.resolve(".LATEST.tmp-abc"), "0000000009");
        Files.createDirectories(cks.resolve(".tmp-0000000009-k2j3"));
        Files.writeString(cks.resolve(".tmp-0000000009-k2j3").resolve("model.safetensors"), "half");
        Files.createDirectories(cks.resolve("0000000009"));
        Files.writeString(dir.resolve("notes.txt"), "mine");
        List<String> log = new ArrayList<>();
        try (RunDirectory held = RunDirectory.open(dir, log::add)) {
            assertTrue(RunDirectory.heldByThisProcess(dir));
            try (RunDirectory again = RunDirectory.open(dir, log::add)) {
                assertTrue(RunDirectory.heldByThisProcess(dir), "a second user in the same process shares the hold");
            }
            assertTrue(RunDirectory.heldByThisProcess(dir), "the first user still holds it");
            assertTrue(Files.readString(dir.resolve(RunDirectory.LOCK)).startsWith("pid " + ProcessHandle.current().pid() + " on "));
        }
        assertFalse(RunDirectory.heldByThisProcess(dir));
        assertEquals(List.of("removed 4 temporary files left in " + dir + " by an interrupted write"), log);
        assertEquals(List.of(), temporaries(dir));
        assertEquals(List.of(published), units(dir));
        assertTrue(Files.exists(dir.resolve("notes.txt")), "other files are left alone");
    }

    // ------------------------------------------------------------------------------------------ points 2, 3, 4

    @Test
    void checkpointsInsideEpochsByStepsAndByTime(@TempDir Path tmp) throws Exception {
        List<Map<String, Object>> events = new ArrayList<>();
        EventSink sink = (e, f) -> { if (e.equals("checkpoint")) events.add(f); };
        run(cpu, config(tmp.resolve("steps"), 2).checkpointEvery(3, null), Resume.Mode.NEVER, t -> t.events(sink));
        assertEquals(List.of(3L, 5L, 6L, 9L, 10L), events.stream().map(m -> ((Number) m.get("global_step")).longValue()).toList(),
                "every 3 global steps inside epochs (not at an epoch's last step), and at every epoch end");
        assertEquals(List.of("steps", "epoch", "steps", "steps", "epoch"), events.stream().map(m -> m.get("reason")).toList());
        events.clear();
        run(cpu, config(tmp.resolve("time"), 1).checkpointEvery(0, Duration.ofNanos(1)), Resume.Mode.NEVER, t -> t.events(sink));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), events.stream().map(m -> ((Number) m.get("global_step")).longValue()).toList(),
                "when the time has passed: after every step");
        Map<?, ?> trainer = new ObjectMapper().readValue(tmp.resolve("steps").resolve(Checkpoint.STATE).toFile(), Map.class);
        assertEquals(0, trainer.get("step_in_epoch"));
        assertEquals(5, trainer.get("steps_per_epoch"));
        assertTrue(trainer.get("data_fingerprint").toString().startsWith("crc32c:"));
        assertTrue(trainer.get("settings") instanceof Map, "the loop settings are saved for the resume check");
    }

    /**
     * Stops a run at random steps (seeded; the seed is printed) through the same path a SIGTERM takes, and resumes
     * it each time: the run ends on the weights and losses of an uninterrupted one, on the CPU and on a backend that
     * syncs like a GPU.
     */
    @Test
    void aRunStoppedAtRandomStepsAndResumedEndsExactlyAsAnUninterruptedOne(@TempDir Path tmp) throws Exception {
        long seed = System.nanoTime();
        System.out.println("stop points seed: " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] reference = run(config(tmp.resolve("reference"), 3), Resume.Mode.NEVER);
        List<EpochMetrics> refHistory = Checkpoint.readState(tmp.resolve("reference")).history();
        for (Backend be : List.of(cpu, new SyncCountingBackend(cpu, false))) {
            Path dir = tmp.resolve("stopped-" + be.name() + "-" + be.cheapSync());
            FitConfig cfg = config(dir, 3);
            int at = 0, stops = 0;
            float[] end = null;
            while (end == null) {
                at += 1 + rnd.nextInt(5);
                int stopAt = at;
                TrainingListener stopper = new TrainingListener() {
                    @Override public void onStepEnd(LoopContext ctx) { if (ctx.globalStep() == stopAt) Preemption.request("TERM"); }
                };
                try {
                    end = run(be, cfg, Resume.Mode.AUTO, t -> t.listener(stopper));
                } catch (TrainingInterrupted e) {
                    stops++;
                    assertEquals(143, e.exitStatus());
                    TrainState s = Checkpoint.readState(dir);
                    assertEquals(stopAt, s.globalStep(), "the checkpoint is at the step the stop came after");
                    int inEpoch = stopAt % 5 == 0 ? 5 : stopAt % 5;
                    assertEquals("interrupted at epoch " + ((stopAt - 1) / 5 + 1) + ", step " + inEpoch + " of 5; checkpoint written; "
                            + "rerun the same command to continue", e.getMessage());
                    assertEquals(dir.resolve(CheckpointStore.DIR).resolve(new CheckpointStore(dir).latestName()), e.checkpoint());
                }
            }
            System.out.println(be.name() + (be.cheapSync() ? "" : " (syncs like a GPU)") + ": stopped " + stops + " times, last at step " + at);
            assertTrue(stops >= 2);
            assertArrayEquals(reference, end, "final weights differ after " + stops + " stops");
            List<EpochMetrics> h = Checkpoint.readState(dir).history();
            for (int e = 0; e < 3; e++) {
                assertEquals(refHistory.get(e).trainLoss(), h.get(e).trainLoss(), 0.0, "training loss of epoch " + (e + 1));
                assertEquals(refHistory.get(e).valLoss(), h.get(e).valLoss(), 0.0, "validation loss of epoch " + (e + 1));
            }
        }
    }

    // ------------------------------------------------------------------------------------------ points 5, 6

    @Test
    void resumeRefusesADifferentRunNamingTheSetting(@TempDir Path dir) throws Exception {
        run(config(dir, 2), Resume.Mode.NEVER);
        record Case(FitConfig cfg, String message) { }
        List<Case> cases = List.of(
                new Case(config(dir, 2).optimizer(OptimizerConfig.adam(1e-3)), "lr is 0.003 in the checkpoint, 0.001 now"),
                new Case(config(dir, 2).seed(10), "seed is 9 in the checkpoint, 10 now"),
                new Case(config(dir, 2).batch(8), "batch is 16 in the checkpoint, 8 now"),
                new Case(config(dir, 1), "epochs is 2 in the checkpoint, 1 now"),
                new Case(config(dir, 3).schedule(LrSchedule.cosine(5, 1e-4)), "epochs (training.schedule.epochs) is 3 in the checkpoint, 5 now"));
        for (Case c : cases) {
            BottleneckException e = assertThrows(BottleneckException.class, () -> run(c.cfg(), Resume.Mode.ALWAYS));
            assertTrue(e.getMessage().startsWith("--resume: the checkpoint " + dir.resolve("checkpoints")), e.getMessage());
            assertTrue(e.getMessage().contains(c.message()), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line");
            BottleneckException auto = assertThrows(BottleneckException.class, () -> run(c.cfg(), Resume.Mode.AUTO));
            assertTrue(auto.getMessage().startsWith("--resume auto: " + dir + " holds a checkpoint of a different run ("), auto.getMessage());
        }
        // a larger epochs count continues the run (the schedule does not depend on it)
        assertEquals(3, runState(config(dir, 3), Resume.Mode.ALWAYS, List.of()).epochsDone());
        // a deliberate change, allowed by name
        FitConfig lower = config(dir, 4).optimizer(OptimizerConfig.adam(1e-3));
        assertEquals(4, runState(lower, Resume.Mode.ALWAYS, List.of("lr")).epochsDone());
    }

    private TrainState runState(FitConfig cfg, Resume.Mode mode, List<String> allowed) {
        Autoencoder a = new Autoencoder(SPEC).bind(cpu, 5);
        try (Trainer t = new Trainer(a, cfg, s -> { })) {
            TrainState s = Resume.in(cfg.outDir()).mode(mode).allowChanged(allowed).load(t.config(), cfg, a.params(), t.optimizer());
            return t.fit(DATA.train(), DATA.validation(), s).state();
        }
    }

    @Test
    void resumeRefusesOtherDataAndDamagedOrMixedCheckpoints(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        run(config(dir, 2), Resume.Mode.NEVER);
        // other training data, same shape: found by the fingerprint when the loop starts
        Autoencoder a = new Autoencoder(SPEC).bind(cpu, 5);
        try (Trainer t = new Trainer(a, config(dir, 3), s -> { })) {
            TrainState s = Resume.in(dir).load(t.config(), config(dir, 3), a.params(), t.optimizer());
            Dataset other = CheckpointResumeTest.synthetic(80, 8, 99);
            BottleneckException e = assertThrows(BottleneckException.class, () -> t.fit(other, DATA.validation(), s));
            assertTrue(e.getMessage().startsWith("--resume: the training data is not the data of the checkpoint"), e.getMessage());
            assertTrue(e.getMessage().contains("--allow-changed data"), e.getMessage());
        }
        // the weights of another run in the checkpoint
        Path other = tmp.resolve("other");
        run(config(other, 2).seed(77), Resume.Mode.NEVER);
        CheckpointStore.Unit u = new CheckpointStore(dir).latest();
        Files.copy(other.resolve(Checkpoint.MODEL), u.file(Checkpoint.MODEL), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        BottleneckException mixed = assertThrows(BottleneckException.class, () -> run(config(dir, 3), Resume.Mode.ALWAYS));
        assertTrue(mixed.getMessage().matches("checkpoint .* is damaged: model.safetensors does not match its checksum in manifest.json .*"),
                mixed.getMessage());
        // a hand-edited position
        ObjectMapper json = new ObjectMapper();
        Path old = tmp.resolve("old");
        run(config(old, 2), Resume.Mode.NEVER);
        Path unitState = new CheckpointStore(old).latest().file(Checkpoint.STATE);
        ObjectNode st = (ObjectNode) json.readTree(unitState.toFile());
        st.put("epochs_done", -5);
        Files.delete(unitState); // a hard link to the top-level copy: replace, do not write through
        json.writeValue(unitState.toFile(), st);
        BottleneckException edited = assertThrows(BottleneckException.class, () -> run(config(old, 6), Resume.Mode.ALWAYS));
        assertTrue(edited.getMessage().contains("trainer.json has") || edited.getMessage().contains("trainer.json does not match"), edited.getMessage());
        // the same edit in a run directory of an older version (no checkpoints/): caught by the state's own checks
        CheckpointStore.deleteTree(old.resolve(CheckpointStore.DIR));
        Files.delete(old.resolve(Checkpoint.STATE));
        json.writeValue(old.resolve(Checkpoint.STATE).toFile(), st);
        BottleneckException legacy = assertThrows(BottleneckException.class, () -> run(config(old, 6), Resume.Mode.ALWAYS));
        assertEquals(old.resolve(Checkpoint.STATE) + " is damaged: epochs_done is -5; it cannot be negative", legacy.getMessage());
    }

    @Test
    void runDirectoriesOfTheOlderLayoutResume(@TempDir Path tmp) throws Exception {
        float[] reference = run(config(tmp.resolve("reference"), 3), Resume.Mode.NEVER);
        Path dir = tmp.resolve("old");
        run(config(dir, 2), Resume.Mode.NEVER);
        // what an older version left: the files at the top only, trainer.json without the new fields
        CheckpointStore.deleteTree(dir.resolve(CheckpointStore.DIR));
        ObjectMapper json = new ObjectMapper();
        ObjectNode st = (ObjectNode) json.readTree(dir.resolve(Checkpoint.STATE).toFile());
        for (String k : List.of("step_in_epoch", "steps_per_epoch", "samples_per_epoch", "epoch_loss_sum", "epoch_weight_sum", "epoch_seconds",
                "data_fingerprint", "run_id", "settings")) st.remove(k);
        Files.delete(dir.resolve(Checkpoint.STATE));
        json.writeValue(dir.resolve(Checkpoint.STATE).toFile(), st);
        assertArrayEquals(reference, run(config(dir, 3), Resume.Mode.AUTO), "an old run directory continues exactly");
        assertNotNull(new CheckpointStore(dir).latest(), "and is a new one from its first checkpoint on");

        // an old directory whose files belong to different steps (an interrupted write of an older version)
        Path mixed = tmp.resolve("mixed");
        run(config(mixed, 1), Resume.Mode.NEVER);
        Path keep = tmp.resolve("trainer-epoch1.json");
        Files.copy(mixed.resolve(Checkpoint.STATE), keep);
        run(config(mixed, 2), Resume.Mode.ALWAYS);
        CheckpointStore.deleteTree(mixed.resolve(CheckpointStore.DIR));
        Files.delete(mixed.resolve(Checkpoint.STATE));
        Files.copy(keep, mixed.resolve(Checkpoint.STATE));
        BottleneckException e = assertThrows(BottleneckException.class, () -> run(config(mixed, 3), Resume.Mode.ALWAYS));
        assertTrue(e.getMessage().startsWith("checkpoint in " + mixed + " is inconsistent: optimizer at step 10, trainer.json at step 5"),
                e.getMessage());
        assertTrue(e.getMessage().contains("rerun without --resume to start afresh"), e.getMessage());
    }

    @Test
    void resumeModes(@TempDir Path tmp) {
        assertEquals(Resume.Mode.NEVER, Resume.mode(null, Map.of()));
        assertEquals(Resume.Mode.ALWAYS, Resume.mode("", Map.of()));
        assertEquals(Resume.Mode.AUTO, Resume.mode("auto", Map.of()));
        assertEquals(Resume.Mode.AUTO, Resume.mode(null, Map.of(Resume.ENV, "auto")), "the environment, for job specs");
        assertEquals(Resume.Mode.ALWAYS, Resume.mode("", Map.of(Resume.ENV, "auto")), "plain --resume keeps its meaning");
        assertEquals(Resume.Mode.NEVER, Resume.mode(null, Map.of(Resume.ENV, "")));
        assertThrows(BottleneckException.class, () -> Resume.mode(null, Map.of(Resume.ENV, "yes please")));

        Path dir = tmp.resolve("auto");
        List<Map<String, Object>> decisions = new ArrayList<>();
        List<String> log = new ArrayList<>();
        Autoencoder a = new Autoencoder(SPEC).bind(cpu, 5);
        FitConfig cfg = config(dir, 1);
        try (Trainer t = new Trainer(a, cfg, s -> { })) {
            assertNull(Resume.in(dir).mode(Resume.Mode.AUTO).log(log::add).events((e, f) -> decisions.add(f))
                    .load(t.config(), cfg, a.params(), t.optimizer()), "nothing there: start afresh");
            t.fit(DATA.train(), DATA.validation(), null);
            TrainState s = Resume.in(dir).mode(Resume.Mode.AUTO).log(log::add).events((e, f) -> decisions.add(f))
                    .load(t.config(), cfg, a.params(), t.optimizer());
            assertEquals(1, s.epochsDone(), "a checkpoint of this run: continue it");
        }
        assertEquals(List.of("fresh", "resumed"), decisions.stream().map(m -> m.get("decision")).toList());
        assertEquals(List.of("no checkpoint in " + dir + ": starting afresh", "resuming from epoch 1 of " + dir), log);
        BottleneckException none = assertThrows(BottleneckException.class, () -> run(config(tmp.resolve("none"), 1), Resume.Mode.ALWAYS));
        assertTrue(none.getMessage().startsWith("--resume: no training to resume in " + tmp.resolve("none")), none.getMessage());
    }

    // ------------------------------------------------------------------------------------------ point 8

    /**
     * A full disk while a checkpoint is written (injected: the CLI test mounts a real small tmpfs where it can):
     * training stops with one line naming the file and the previous checkpoint, which stays loadable, and nothing
     * temporary is left.
     */
    @Test
    void aFullDiskStopsTrainingAndKeepsThePreviousCheckpoint(@TempDir Path tmp) throws Exception {
        float[] reference = run(config(tmp.resolve("reference"), 3), Resume.Mode.NEVER);
        Path dir = tmp.resolve("full");
        AtomicInteger models = new AtomicInteger();
        AtomicFiles.injectFaults(new AtomicFiles.FaultHook() {
            @Override public void beforeWrite(Path target) throws IOException {
                if (target.getFileName().toString().equals(Checkpoint.OPTIMIZER) && target.toString().contains(".tmp-")
                        && models.incrementAndGet() == 2) {
                    throw new java.nio.file.FileSystemException(target.toString(), null, "No space left on device");
                }
            }
        });
        BottleneckException e = assertThrows(BottleneckException.class, () -> run(config(dir, 3), Resume.Mode.NEVER));
        AtomicFiles.injectFaults(null);
        String unit1 = dir.resolve("checkpoints").resolve("0000000005").toString();
        assertTrue(e.getMessage().startsWith("cannot write checkpoint " + dir.resolve("checkpoints").resolve("0000000010")
                + " (optimizer.safetensors: No space left on device"), e.getMessage());
        assertTrue(e.getMessage().endsWith("; the previous checkpoint " + unit1 + " (epoch 1) is intact and --resume continues from it"),
                e.getMessage());
        assertEquals(List.of(), temporaries(dir), "no temporary files are left");
        assertEquals(List.of("0000000005"), units(dir));
        assertNotNull(new CheckpointStore(dir).latest(), "the previous checkpoint verifies");
        assertArrayEquals(reference, run(config(dir, 3), Resume.Mode.ALWAYS), "and continues exactly once there is space again");
    }
}
