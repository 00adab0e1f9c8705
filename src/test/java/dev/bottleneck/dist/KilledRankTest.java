package dev.bottleneck.dist;

import dev.bottleneck.cli.Main;
import dev.bottleneck.io.IdxFixtures;
import dev.bottleneck.testing.ProcessOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Ranks started the way a scheduler starts them (environment only, no launcher to clean up): when one is killed
 * with SIGKILL in the middle of training, the others stop by themselves with an error naming it, well within the
 * collective timeout.
 */
class KilledRankTest {
    static final double COLLECTIVE_TIMEOUT_S = 30;

    @Test
    void aRankKilledMidTrainingMakesTheOthersExitWithAClearError(@TempDir Path tmp) throws Exception {
        Path data = IdxFixtures.writeDigitsFolder(tmp.resolve("data"), 600, 100, 12);
        int port = Ranks.freePort(), world = 3;
        List<String> jvm = Launcher.thisJvm(Main.class.getName(), world);
        List<Process> ranks = new ArrayList<>();
        List<List<String>> errors = new ArrayList<>();
        try {
            for (int r = 0; r < world; r++) {
                List<String> cmd = new ArrayList<>(jvm);
                cmd.addAll(List.of("train", data.toString(), "--model", "144-24-8", "--epochs", "100000", "--batch", "16",
                        "--validation", "0", "--pictures", "0", "--backend", "cpu", "--out", tmp.resolve("run").toString(),
                        "--collective-timeout", Double.toString(COLLECTIVE_TIMEOUT_S), "--rendezvous-timeout", "60"));
                ProcessBuilder pb = new ProcessBuilder(cmd);
                pb.environment().put("RANK", Integer.toString(r));
                pb.environment().put("WORLD_SIZE", Integer.toString(world));
                pb.environment().put("MASTER_ADDR", "127.0.0.1");
                pb.environment().put("MASTER_PORT", Integer.toString(port));
                pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
                Process p = pb.start();
                ranks.add(p);
                errors.add(ProcessOutput.errorLines(p));
            }
            // rank 0 logs its epochs: once two are done, every rank is training
            long until = System.nanoTime() + 120_000_000_000L;
            while (errors.get(0).stream().filter(l -> l.startsWith("epoch ")).count() < 2) {
                assertTrue(System.nanoTime() < until, "training did not start: " + errors.get(0));
                for (Process p : ranks) assertTrue(p.isAlive(), "a rank ended early: " + errors);
                Thread.sleep(50);
            }
            ranks.get(1).toHandle().destroyForcibly(); // SIGKILL
            long t0 = System.nanoTime();
            for (int r : new int[] {0, 2}) {
                assertTrue(ranks.get(r).waitFor((long) COLLECTIVE_TIMEOUT_S, TimeUnit.SECONDS), "rank " + r + " did not stop; its stderr: " + errors.get(r));
            }
            double s = (System.nanoTime() - t0) / 1e9;
            for (int r : new int[] {0, 2}) {
                assertEquals(1, ranks.get(r).exitValue(), "rank " + r + ": " + errors.get(r));
                Thread.sleep(100);
                String last = errors.get(r).isEmpty() ? "" : errors.get(r).get(errors.get(r).size() - 1);
                assertTrue(last.startsWith("error: ") && last.contains("rank 1"), "rank " + r + " says: " + last);
                System.out.println("[killed rank] rank " + r + " stopped " + String.format("%.2f", s) + " s after rank 1 was killed: " + last);
            }
            assertTrue(s < COLLECTIVE_TIMEOUT_S, "took " + s + " s");
        } finally {
            for (Process p : ranks) p.destroyForcibly();
        }
    }
}
