package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.io.IdxFixtures;
import dev.bottleneck.train.CheckpointStore;
import dev.bottleneck.train.FitConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The train command as a preemptible job, in real processes: kill -9 at random moments, SIGTERM and SIGINT, a
 * second process on the same --out, a full disk and a read-only mount, and JSON logs. Every run uses the same
 * command line, as a scheduler restarting a job would, and every interrupted job ends with the bytes of
 * model.safetensors of an uninterrupted run.
 */
class LongJobsCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path diskTmp;
    static Path shared;
    static Path data;
    private static Path reference;

    /**
     * The runs write about 25 checkpoints each; where there is a tmpfs they go there, since every fsync on a
     * virtual disk costs milliseconds and a killed process leaves the same files either way (the page cache
     * survives it; only a power cut would not, and that is not what these tests do).
     */
    @BeforeAll
    static void data() throws IOException {
        Path shm = Path.of("/dev/shm");
        shared = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "bottleneck-jobs-") : diskTmp;
        data = IdxFixtures.writeDigitsFolder(shared.resolve("data"), 600, 100, 12);
    }

    @AfterAll
    static void removeShared() throws IOException {
        if (shared != null && !shared.equals(diskTmp)) {
            try (Stream<Path> s = Files.walk(shared)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    /** The job: 6 epochs of 34 steps, noise, dropout-free dense model, cosine schedule, early-stopping record, checkpoints every 10 steps. */
    static List<String> command(Path out, String... more) {
        return command(data, out, more);
    }

    /** The same job on another copy of the data (a shard directory). */
    static List<String> command(Path data, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", data.toString(), "--model", "144-32-8", "--epochs", "6", "--batch", "16",
                "--noise", "gaussian:0.2", "--schedule", "cosine", "--patience", "10", "--checkpoint-every", "10", "--pictures", "2",
                "--threads", "1", "--backend", "cpu", "--out", out.toString()));
        a.addAll(Arrays.asList(more));
        return a;
    }

    /** model.safetensors of the job run straight through (computed once). */
    static synchronized byte[] referenceModel() throws Exception {
        if (reference == null) {
            Path out = shared.resolve("reference");
            Job j = new Job(command(out, "--log-format", "json"), Map.of(), null);
            assertEquals(0, j.waitFor(120), j.err());
            reference = out;
        }
        return Files.readAllBytes(reference.resolve("model.safetensors"));
    }

    /** A CLI process; its stderr lines go to {@code onLine} as they come. */
    static final class Job {
        final Process process;
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final Thread reader;

        Job(List<String> args, Map<String, String> env, BiConsumer<Job, String> onLine) throws IOException {
            // C1 only and the serial collector: these JVMs live a few seconds (Java's floating point does not depend on the JIT)
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().remove("BOTTLENECK_RESUME");
            pb.environment().putAll(env);
            process = pb.start();
            reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                        if (onLine != null) onLine.accept(this, l);
                    }
                } catch (IOException | RuntimeException e) {
                    // the process is gone
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        int waitFor(int seconds) throws InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("the job did not end within " + seconds + " s:\n" + err());
            }
            reader.join(5000);
            return process.exitValue();
        }

        String err() {
            synchronized (lines) {
                return String.join("\n", lines);
            }
        }

        void signal(String name) {
            try {
                new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    static JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not a JSON line: " + line);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether this JVM ignores SIGINT because its parent did (a background job of a script): its children then
     * ignore it too, and a SIGINT test cannot work.
     */
    static boolean sigintIgnoredHere() {
        sun.misc.Signal intr = new sun.misc.Signal("INT");
        sun.misc.SignalHandler old = sun.misc.Signal.handle(intr, s -> { });
        if (old == sun.misc.SignalHandler.SIG_IGN) return true;
        sun.misc.Signal.handle(intr, old);
        return false;
    }

    static List<String> temporaries(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-")).toList();
        }
    }

    // ------------------------------------------------------------------------------------------ point 3 (and 10)

    /**
     * kill -9 at random moments (the seed is printed): after a random step, right after an epoch ends (when its
     * checkpoint is being written), or a few milliseconds into a checkpoint write. Each restart uses the same command
     * ({@code --resume auto}; once {@code BOTTLENECK_RESUME=auto} instead), and the last one ends on the bytes of
     * an uninterrupted run. Every stderr line of every run is one JSON object.
     */
    @Test
    void killedAtRandomMomentsAndRestartedTheJobEndsBitIdentical() throws Exception {
        byte[] expected = referenceModel();
        long seed = Long.getLong("killSeed", System.nanoTime());
        System.out.println("kill points seed: " + seed + " (rerun with -DkillSeed=" + seed + ")");
        SplittableRandom rnd = new SplittableRandom(seed);
        Path out = shared.resolve("killed");
        int points = 5;
        long[] after = new long[points];
        for (int i = 0; i < points; i++) after[i] = 5 + rnd.nextInt(190); // global steps of 204
        Arrays.sort(after);
        List<String> report = new ArrayList<>();
        Set<String> events = new LinkedHashSet<>();
        int killed = 0;
        for (int i = 0; i <= points; i++) {
            boolean last = i == points;
            String kind = last ? "none" : List.of("after a step", "at an epoch end", "in a checkpoint write").get(rnd.nextInt(3));
            long threshold = last ? Long.MAX_VALUE : after[i];
            int delay = rnd.nextInt(kind.equals("after a step") ? 3 : 25);
            boolean viaEnv = i == 2;
            List<String> args = viaEnv ? command(out, "--log-format", "json") : command(out, "--resume", "auto", "--log-format", "json");
            boolean[] fired = {false};
            Job j = new Job(args, viaEnv ? Map.of("BOTTLENECK_RESUME", "auto") : Map.of(), (job, line) -> {
                if (fired[0] || !line.startsWith("{")) return;
                JsonNode e = json(line);
                String ev = e.path("event").asText();
                boolean trigger = switch (kind) {
                    case "after a step" -> ev.equals("step") || ev.equals("checkpoint") ? e.path("global_step").asLong() >= threshold : false;
                    case "at an epoch end" -> ev.equals("epoch") && e.path("global_step").asLong() >= threshold;
                    case "in a checkpoint write" -> ev.equals("checkpoint") && e.path("global_step").asLong() >= threshold;
                    default -> false;
                };
                if (!trigger) return;
                fired[0] = true;
                sleep(delay);
                job.process.destroyForcibly(); // SIGKILL
            });
            int rc = j.waitFor(120);
            for (String l : j.lines) events.add(json(l).path("event").asText()); // every line is JSON
            if (fired[0] && rc != 0) { // (0: the job was done before the kill came)
                killed++;
                assertEquals(137, rc, "killed by SIGKILL");
                List<String> tmp = temporaries(out);
                String latest = new CheckpointStore(out).latestName();
                report.add(String.format("kill %d: %s (global step >= %d, +%d ms): %s, last checkpoint %s", killed, kind, threshold, delay,
                        tmp.isEmpty() ? "no temporary files" : "left " + tmp.size() + " temporary files", latest));
            } else {
                assertEquals(0, rc, j.err());
                JsonNode resume = j.lines.stream().map(LongJobsCliTest::json).filter(n -> n.path("event").asText().equals("resume"))
                        .findFirst().orElseThrow();
                report.add("run to the end: " + resume.path("decision").asText() + " at global step " + resume.path("global_step").asLong());
                break;
            }
        }
        report.forEach(System.out::println);
        assertTrue(killed >= 3, "most kill points fall inside the run: " + report);
        assertArrayEquals(expected, Files.readAllBytes(out.resolve("model.safetensors")), "final weights differ:\n" + String.join("\n", report));
        assertEquals(List.of(), temporaries(out), "the last run removed what the kills left");
        for (String e : List.of("log", "resume", "fit_start", "step", "checkpoint", "epoch", "fit_end", "result")) {
            assertTrue(events.contains(e), "a '" + e + "' event in the JSON log: " + events);
        }
    }

    /**
     * The same job streamed from a shard directory: killed right after a checkpoint inside an epoch and again a few
     * steps after another one, then resumed; it ends on the bytes of the in-memory run.
     */
    @Test
    void aJobOnShardsKilledInsideEpochsResumesToTheBytesOfTheInMemoryRun() throws Exception {
        byte[] expected = referenceModel();
        Path shards = shared.resolve("shards");
        CliTest.Run s = CliTest.run("shard", data.toString(), "--out", shards.toString(), "--shard-size", "16KB");
        assertEquals(0, s.rc(), s.err());
        Path out = shared.resolve("killed-shards");
        long[] killAt = {20, 75}; // global steps; an epoch has 34, so both are inside epochs
        for (long at : killAt) {
            boolean[] fired = {false};
            Job j = new Job(command(shards, out, "--resume", "auto", "--log-format", "json"), Map.of(), (job, line) -> {
                if (fired[0] || !line.startsWith("{")) return;
                JsonNode e = json(line);
                String ev = e.path("event").asText();
                if ((ev.equals("checkpoint") || ev.equals("step")) && e.path("global_step").asLong() >= at) {
                    fired[0] = true;
                    job.process.destroyForcibly();
                }
            });
            assertEquals(137, j.waitFor(120), "killed at global step " + at + ": " + j.err());
        }
        String latest = new CheckpointStore(out).latestName();
        Job last = new Job(command(shards, out, "--resume", "auto", "--log-format", "json"), Map.of(), null);
        assertEquals(0, last.waitFor(120), last.err());
        JsonNode resume = last.lines.stream().map(LongJobsCliTest::json).filter(n -> n.path("event").asText().equals("resume"))
                .findFirst().orElseThrow();
        long from = resume.path("global_step").asLong();
        assertTrue(from % 34 != 0, "the last run resumed inside an epoch (global step " + from + ", checkpoint " + latest + ")");
        assertArrayEquals(expected, Files.readAllBytes(out.resolve("model.safetensors")), "shards + resume = in memory, uninterrupted");
    }

    // ------------------------------------------------------------------------------------------ point 4

    @Test
    void sigtermAndSigintFinishTheStepCheckpointAndExitWithTheirStatus() throws Exception {
        byte[] expected = referenceModel();
        Path out = shared.resolve("signalled");
        // SIGTERM at the end of epoch 1 or in epoch 2, text log: one line, status 143, and the same command continues
        Job term = new Job(command(out, "--resume", "auto"), Map.of(), (job, line) -> {
            if (line.startsWith("epoch 1/6")) job.signal("TERM"); // not Process.destroy(): it closes our end of stderr
        });
        assertEquals(143, term.waitFor(120), term.err());
        String lastLine = term.lines.get(term.lines.size() - 1);
        assertTrue(lastLine.matches("interrupted at epoch [1-6], step [0-9]+ of 34; checkpoint written; rerun the same command to continue"),
                term.err());
        assertFalse(term.err().contains("\r"), "no progress bar when stderr is not a terminal");
        assertNotNull(new CheckpointStore(out).latest(), "the checkpoint verifies");
        Job again = new Job(command(out, "--resume", "auto"), Map.of(), null);
        assertEquals(0, again.waitFor(120), again.err());
        assertTrue(again.err().contains("resuming from epoch "), again.err());
        assertArrayEquals(expected, Files.readAllBytes(out.resolve("model.safetensors")), "weights after SIGTERM and a rerun");

        // SIGINT: status 130; without --resume the line says how to continue
        Path outInt = shared.resolve("interrupted");
        Job intr = new Job(command(outInt), Map.of(), (job, line) -> {
            if (line.startsWith("epoch 1/6")) job.signal("INT");
        });
        int intRc = intr.waitFor(120);
        if (sigintIgnoredHere()) {
            System.out.println("SIGINT not checked: this test runs with SIGINT ignored (a background job), and so does its child");
        } else {
            assertEquals(130, intRc, intr.err());
            assertTrue(intr.lines.get(intr.lines.size() - 1).matches(
                    "interrupted at epoch [1-6], step [0-9]+ of 34; checkpoint written; rerun it with --resume auto to continue"), intr.err());
        }

        // two SIGTERMs: the second ends the process at once; the last good checkpoint still continues exactly
        Path outTwice = shared.resolve("twice");
        Job twice = new Job(command(outTwice, "--resume", "auto", "--log-format", "json"), Map.of(), (job, line) -> {
            if (line.contains("\"event\":\"checkpoint\"") && line.contains("\"reason\":\"epoch\"")) {
                job.signal("TERM");
                job.signal("TERM");
            }
        });
        assertEquals(143, twice.waitFor(120), twice.err());
        assertNotNull(new CheckpointStore(outTwice).latest(), "the last good checkpoint verifies (size and CRC of every file)");
        StringWriter o = new StringWriter(), e = new StringWriter();
        assertEquals(0, Main.run(new PrintWriter(o), new PrintWriter(e), "eval", outTwice.toString()), e.toString());
    }

    // ------------------------------------------------------------------------------------------ point 7

    @Test
    void aSecondProcessOnTheSameOutFailsAtOnceAndAKilledHolderLeavesNoStaleLock() throws Exception {
        byte[] expected = referenceModel();
        Path out = shared.resolve("locked");
        List<String> cmd = command(out, "--resume", "auto", "--log-format", "json");
        Job holder = new Job(cmd, Map.of(), null);
        long t0 = System.nanoTime();
        while (holder.lines.stream().noneMatch(l -> l.contains("\"event\":\"fit_start\""))) {
            assertTrue(holder.process.isAlive(), holder.err());
            assertTrue(System.nanoTime() - t0 < 60e9, "the holder did not start training");
            sleep(5);
        }
        StringWriter o = new StringWriter(), e = new StringWriter();
        long s0 = System.nanoTime();
        int rc = Main.run(new PrintWriter(o), new PrintWriter(e), command(out, "--resume", "auto").toArray(String[]::new));
        double seconds = (System.nanoTime() - s0) / 1e9;
        assertEquals(1, rc, e.toString());
        assertTrue(e.toString().startsWith("error: " + out + " is in use by another training (pid " + holder.process.pid() + " on "), e.toString());
        assertTrue(seconds < 5, "refused before loading data: " + seconds + " s");
        holder.process.destroyForcibly();
        assertEquals(137, holder.waitFor(60));
        // the same command right after kill -9: the OS released the lock; the run continues the holder's checkpoint
        StringWriter o2 = new StringWriter(), e2 = new StringWriter();
        assertEquals(0, Main.run(new PrintWriter(o2), new PrintWriter(e2), cmd.toArray(String[]::new)), e2.toString());
        assertArrayEquals(expected, Files.readAllBytes(out.resolve("model.safetensors")));
    }

    // ------------------------------------------------------------------------------------------ point 8

    /**
     * A real full disk (a 4 MiB tmpfs, filled after the first checkpoint) and a read-only mount. Needs root for the
     * mounts; elsewhere it is skipped, and {@code train.LongJobsTest} injects the same failure instead.
     */
    @Test
    void aFullDiskOrAReadOnlyMountStopsWithOneLineAndKeepsTheLastCheckpoint() throws Exception {
        Path mnt = Files.createDirectories(diskTmp.resolve("small-disk"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt.toString()) == 0, "cannot mount a tmpfs here (not root)");
        try {
            byte[] expected = referenceModel();
            Path out = mnt.resolve("run");
            Path filler = mnt.resolve("filler");
            List<String> cmd = command(out, "--resume", "auto", "--log-format", "json");
            Job full = new Job(cmd, Map.of(), (job, line) -> {
                if (line.contains("\"event\":\"checkpoint\"") && !Files.exists(filler)) {
                    try {
                        long free = Files.getFileStore(mnt).getUsableSpace();
                        Files.write(filler, new byte[(int) Math.max(0, free - 24 * 1024)]);
                    } catch (IOException ex) {
                        // the disk is full: that is the point
                    }
                }
            });
            assertEquals(1, full.waitFor(120), full.err());
            JsonNode error = json(full.lines.get(full.lines.size() - 1));
            assertEquals("error", error.path("event").asText(), full.err());
            String msg = error.path("message").asText();
            assertTrue(msg.contains("No space left on device") && msg.contains(out.toString()), msg);
            assertTrue(msg.matches(".*the (previous|last) checkpoint,? " + out.resolve("checkpoints") + "/[0-9]+,? .*is intact and --resume continues from it"),
                    msg);
            assertFalse(msg.contains("\n"));
            System.out.println("full disk: " + msg);
            assertEquals(List.of(), temporaries(out), "no temporary files are left");
            assertNotNull(new CheckpointStore(out).latest(), "the previous checkpoint verifies");
            StringWriter eo = new StringWriter(), ee = new StringWriter();
            assertEquals(0, Main.run(new PrintWriter(eo), new PrintWriter(ee), "eval", out.toString(), "--json"), ee.toString());

            // read-only: refused before training, naming the checkpoint that stays
            assertEquals(0, run("mount", "-o", "remount,ro", mnt.toString()));
            Job ro = new Job(cmd, Map.of(), null);
            assertEquals(1, ro.waitFor(120), ro.err());
            String roMsg = json(ro.lines.get(ro.lines.size() - 1)).path("message").asText();
            assertTrue(roMsg.startsWith("cannot write to " + out + ": Read-only file system"), roMsg);
            assertTrue(roMsg.contains("; the checkpoint there, " + out.resolve("checkpoints")), roMsg);
            System.out.println("read-only: " + roMsg);
            assertEquals(0, run("mount", "-o", "remount,rw", mnt.toString()));

            // with space again, the same command continues exactly
            Files.delete(filler);
            Job done = new Job(cmd, Map.of(), null);
            assertEquals(0, done.waitFor(120), done.err());
            assertArrayEquals(expected, Files.readAllBytes(out.resolve("model.safetensors")));
        } finally {
            run("umount", mnt.toString());
        }
    }

    static int run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    // ------------------------------------------------------------------------------------------ point 10

    @Test
    void jsonLogsHaveOneObjectPerLineAndTheProgressBarStaysOffWithoutATerminal() throws Exception {
        Path out = shared.resolve("json");
        StringWriter o = new StringWriter(), e = new StringWriter();
        List<String> cmd = new ArrayList<>(command(out, "--log-format", "json", "--json"));
        cmd.set(cmd.indexOf("--epochs") + 1, "2");
        assertEquals(0, Main.run(new PrintWriter(o), new PrintWriter(e), cmd.toArray(String[]::new)), e.toString());
        List<JsonNode> lines = e.toString().lines().map(LongJobsCliTest::json).toList();
        List<String> kinds = lines.stream().map(n -> n.path("event").asText()).distinct().toList();
        for (String k : List.of("log", "fit_start", "step", "checkpoint", "epoch", "fit_end", "result")) assertTrue(kinds.contains(k), k + " in " + kinds);
        JsonNode epoch = lines.stream().filter(n -> n.path("event").asText().equals("epoch")).findFirst().orElseThrow();
        for (String k : List.of("time", "epoch", "epochs", "global_step", "train_loss", "val_loss", "lr", "samples_per_s")) assertTrue(epoch.has(k), k);
        JsonNode ck = lines.stream().filter(n -> n.path("event").asText().equals("checkpoint")).findFirst().orElseThrow();
        assertEquals(out.resolve("checkpoints").resolve("0000000010").toString(), ck.path("path").asText());
        assertEquals("steps", ck.path("reason").asText());
        JsonNode result = lines.get(lines.size() - 1);
        assertEquals("result", result.path("event").asText());
        assertEquals(2, result.path("epochs").asInt());
        assertEquals(result.path("test_loss").asDouble(), json(o.toString().strip()).path("test_loss").asDouble(), 0.0,
                "stdout keeps its --json result");
        // a resume decision and an error are events too
        StringWriter e2 = new StringWriter();
        cmd.add("--resume");
        cmd.add("--lr");
        cmd.add("0.01");
        assertEquals(1, Main.run(new PrintWriter(new StringWriter()), new PrintWriter(e2), cmd.toArray(String[]::new)));
        List<JsonNode> l2 = e2.toString().lines().map(LongJobsCliTest::json).toList();
        assertTrue(l2.stream().anyMatch(n -> n.path("event").asText().equals("resume") && n.path("decision").asText().equals("refused")), e2.toString());
        JsonNode err = l2.get(l2.size() - 1);
        assertEquals("error", err.path("event").asText());
        assertTrue(err.path("message").asText().contains("lr is 0.001 in the checkpoint, 0.01 now"), err.toString());
        assertFalse(new FitConfig().progress(), "the test's stderr is not a terminal: no progress bar by default");
    }
}
