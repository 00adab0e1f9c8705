package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.dist.Launcher;
import dev.bottleneck.io.IdxFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** {@code bottleneck launch}: ranks as child JVMs, the job's result from rank 0, one line when a rank fails, signals forwarded. */
class LaunchCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static int freePort() {
        return dev.bottleneck.dist.RanksForTests.freePort();
    }

    @Test
    void twoRanksTrainOneModelAndResumeIt(@TempDir Path tmp) throws Exception {
        Path data = IdxFixtures.writeDigitsFolder(tmp.resolve("data"), 600, 100, 12);
        Path out = tmp.resolve("model");
        String[] common = {"train", data.toString(), "--model", "144-24-8", "--batch", "25", "--out", out.toString(), "--backend", "cpu", "--json"};
        List<String> args = new ArrayList<>(List.of("launch", "--nproc-per-node", "2", "--master-port", Integer.toString(freePort()), "--"));
        args.addAll(List.of(common));
        args.addAll(List.of("--epochs", "2"));
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, r.rc(), r.err());
        JsonNode res = JSON.readTree(r.lastLine());
        assertEquals(2, res.get("distributed").get("world_size").asInt());
        assertEquals(50, res.get("distributed").get("global_batch").asInt());
        assertEquals(2, res.get("epochs").asInt());
        assertTrue(r.err().contains("distributed: 2 ranks joined"), r.err());
        assertFalse(r.out().contains("[rank 1]"), "only rank 0 reports: " + r.out());
        assertEquals(3, Files.readAllLines(out.resolve("metrics.csv")).size(), "header + 2 epochs, written once");
        assertEquals(2, JSON.readTree(out.resolve("config.json").toFile()).get("distributed").get("world_size").asInt());

        args.set(args.indexOf("--master-port") + 1, Integer.toString(freePort()));
        args.set(args.size() - 1, "3");
        args.add("--resume");
        CliTest.Run again = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, again.rc(), again.err());
        assertTrue(again.err().contains("resuming from epoch 2"), again.err());
        assertEquals(3, JSON.readTree(again.lastLine()).get("epochs").asInt());
        assertEquals(4, Files.readAllLines(out.resolve("metrics.csv")).size());
    }

    @Test
    void aFailingRankFailsTheJobWithOneLineNamingIt(@TempDir Path tmp) throws Exception {
        CliTest.Run r = CliTest.run("launch", "--nproc-per-node", "2", "--master-port", Integer.toString(freePort()), "--rendezvous-timeout", "20",
                "--", "train", tmp.resolve("missing.csv").toString(), "--backend", "cpu");
        assertEquals(1, r.rc(), r.err());
        List<String> summary = r.err().lines().filter(l -> l.matches("error: rank \\d+ \\(pid .*")).toList();
        assertEquals(1, summary.size(), r.err());
        assertTrue(summary.get(0).matches("error: rank [01] \\(pid \\d+\\) exited with status 1 \\(.*missing\\.csv.*\\).*"), summary.get(0));
    }

    @Test
    void badLaunchCommandsAreUsageErrors() {
        assertEquals(2, CliTest.run("launch", "--nproc-per-node", "0", "--", "train", "mnist").rc());
        CliTest.Run r = CliTest.run("launch", "--nproc-per-node", "2", "--nnodes", "2", "--node-rank", "2", "--", "train", "mnist");
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("--node-rank must be in [0, 2)") || r.err().contains("--master-addr"), r.err());
        assertEquals(1, CliTest.run("launch", "--nproc-per-node", "1", "--", "launch", "--nproc-per-node", "1", "--", "train").rc());
        CliTest.Run other = CliTest.run("launch", "--nproc-per-node", "2", "--", "autorec", "ratings.csv");
        assertEquals(1, other.rc());
        assertTrue(other.err().contains("'autorec' does not train data-parallel"), other.err());
    }

    @Test
    void sigtermToTheLauncherReachesEveryRank(@TempDir Path tmp) throws Exception {
        Path data = IdxFixtures.writeDigitsFolder(tmp.resolve("data"), 600, 100, 12);
        List<String> cmd = new ArrayList<>(Launcher.thisJvm(Main.class.getName(), 1));
        cmd.addAll(List.of("launch", "--nproc-per-node", "2", "--master-port", Integer.toString(freePort()), "--grace", "20", "--",
                "train", data.toString(), "--model", "144-24-8", "--epochs", "100000", "--batch", "16", "--validation", "0",
                "--backend", "cpu", "--out", tmp.resolve("run").toString()));
        Process launcher = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread t = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(launcher.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = in.readLine()) != null; ) lines.add(l);
            } catch (java.io.IOException ignored) {
                // gone
            }
        });
        t.setDaemon(true);
        t.start();
        try {
            long until = System.nanoTime() + 120_000_000_000L;
            while (lines.stream().noneMatch(l -> l.startsWith("epoch 1/"))) {
                assertTrue(System.nanoTime() < until && launcher.isAlive(), "training did not start: " + lines);
                Thread.sleep(50);
            }
            List<ProcessHandle> children = launcher.descendants().toList();
            assertTrue(children.size() >= 2, "two ranks: " + children);
            launcher.toHandle().destroy(); // SIGTERM (Process.destroy would also close the pipe we read)
            assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), "the launcher did not stop");
            assertEquals(143, launcher.exitValue(), String.join("\n", lines));
            t.join(5_000);
            assertTrue(lines.contains("launch: forwarding SIGTERM to every rank"), String.join("\n", lines));
            for (ProcessHandle c : children) assertFalse(c.isAlive(), "rank " + c.pid() + " still runs");
        } finally {
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
    }
}
