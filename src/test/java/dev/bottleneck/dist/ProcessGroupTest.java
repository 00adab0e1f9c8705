package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The rendezvous and the job's store: every failure is an error on every rank that arrived, never a wait without end. */
class ProcessGroupTest {
    private static final String HOST = "127.0.0.1";

    @Test
    void ranksMeetShareBytesAndSumInRankOrder() {
        int port = Ranks.freePort();
        List<Ranks.Outcome<double[]>> out = Ranks.all(3, 30, r -> {
            try (ProcessGroup pg = ProcessGroup.join(DistEnv.local(r, 3, HOST, port), Timeouts.ofSeconds(10, 10))) {
                byte[] b = pg.broadcastBytes(("hello from " + r).getBytes(StandardCharsets.UTF_8), 0, "greeting");
                assertEquals("hello from 0", new String(b, StandardCharsets.UTF_8));
                pg.barrier("middle");
                return pg.sumThroughStore(new double[] {r, 0.1 * r}, 5_000);
            }
        });
        for (Ranks.Outcome<double[]> o : out) assertArrayEquals(new double[] {3, (0.0 + 0.1) + 0.2}, o.get(), 0.0);
    }

    @Test
    void aRankThatNeverArrivesIsNamedOnEveryRankThatDid() {
        int port = Ranks.freePort();
        long t0 = System.nanoTime();
        List<Ranks.Outcome<Object>> out = Ranks.run(new int[] {0, 2, 3}, 30, r -> {
            ProcessGroup.join(DistEnv.local(r, 4, HOST, port), Timeouts.ofSeconds(1.5, 10)).close();
            return null;
        });
        double s = (System.nanoTime() - t0) / 1e9;
        for (Ranks.Outcome<Object> o : out) {
            assertInstanceOf(BottleneckException.class, o.error());
            assertTrue(o.error().getMessage().contains("rank 1 of 4 did not arrive within 1.5 s"), o.error().getMessage());
        }
        assertTrue(s < 10, "the rendezvous gave up after " + s + " s");
    }

    @Test
    void withoutRankZeroTheOthersSayThatItDidNotArrive() {
        int port = Ranks.freePort();
        List<Ranks.Outcome<Object>> out = Ranks.run(new int[] {1}, 20, r -> {
            ProcessGroup.join(DistEnv.local(r, 2, HOST, port), Timeouts.ofSeconds(1, 10)).close();
            return null;
        });
        String m = out.get(0).error().getMessage();
        assertTrue(m.contains("rank 0 did not arrive") && m.contains(HOST + ":" + port), m);
    }

    @Test
    void aSecondProcessClaimingARankAndAWrongWorldSizeAreRefused() {
        int port = Ranks.freePort();
        List<Ranks.Outcome<Object>> out = Ranks.run(new int[] {0, 1, 1, 2}, 30, r -> {
            DistEnv e = r == 2 ? DistEnv.local(1, 3, HOST, port) : DistEnv.local(r, 2, HOST, port);
            ProcessGroup pg = ProcessGroup.join(e, Timeouts.ofSeconds(3, 10));
            Thread.sleep(1500); // keep rank 0's store up until the intruders have had their answer
            pg.close();
            return null;
        });
        long duplicates = out.stream().filter(o -> o.error() != null && o.error().getMessage().contains("two processes claim rank 1")).count();
        long worlds = out.stream().filter(o -> o.error() != null && o.error().getMessage().contains("world size of 3, rank 0 with 2")).count();
        assertTrue(duplicates + worlds >= 2, "refusals: " + out);
        assertTrue(worlds >= 1, "the wrong world size is named: " + out);
    }

    @Test
    void aRankThatLeavesWithoutGoodbyeAbortsTheOthersAndIsNamed() {
        int port = Ranks.freePort();
        List<Ranks.Outcome<String>> out = Ranks.all(3, 30, r -> {
            ProcessGroup pg = ProcessGroup.join(DistEnv.local(r, 3, HOST, port), Timeouts.ofSeconds(10, 10));
            if (r == 1) {
                pg.closeAfterFailure(); // no goodbye: as if the process had died
                return "gone";
            }
            long until = System.nanoTime() + 10_000_000_000L;
            while (pg.abortReason() == null && System.nanoTime() < until) Thread.sleep(10);
            String why = pg.abortReason();
            pg.close();
            return why;
        });
        assertTrue(out.get(0).get().contains("rank 1 left the job"), out.get(0).get());
        assertTrue(out.get(2).get().contains("rank 1 left the job"), out.get(2).get());
    }

    @Test
    void aFailureReportedByOneRankReachesTheOthers() {
        int port = Ranks.freePort();
        List<Ranks.Outcome<String>> out = Ranks.all(2, 30, r -> {
            try (ProcessGroup pg = ProcessGroup.join(DistEnv.local(r, 2, HOST, port), Timeouts.ofSeconds(10, 10))) {
                if (r == 0) {
                    pg.fail("disk full");
                    return null;
                }
                try {
                    pg.barrier("never complete");
                    return "no error";
                } catch (BottleneckException e) {
                    return e.getMessage();
                }
            }
        });
        assertEquals("rank 0 failed: disk full", out.get(1).get());
    }

    @Test
    void rankListsReadWell() {
        assertEquals("rank 2", ProcessGroup.rankList(List.of(2)));
        assertEquals("ranks 1 and 3", ProcessGroup.rankList(List.of(1, 3)));
        assertEquals("ranks 1, 2 and 5", ProcessGroup.rankList(List.of(1, 2, 5)));
    }
}
