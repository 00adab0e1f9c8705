package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.Presets;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.train.LoopContext;
import dev.bottleneck.train.TrainState;
import dev.bottleneck.train.Trainer;
import dev.bottleneck.train.TrainingListener;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The device path of a job on the CPU, through {@link FakeDeviceBackend}, whose collectives wait for their peers as
 * NCCL's kernels do: the ranks choose it, train as with the ring, and the watchdog gets a rank out of a collective
 * whose peer died or hangs.
 */
class DeviceCollectiveTest {
    /** How rank 1 misbehaves after a few steps. */
    enum Fault { NONE, DIES, HANGS }

    record Outcome(float[] weights, String collective) { }

    static List<Ranks.Outcome<Outcome>> run(Dataset data, int epochs, Fault fault, double collectiveS, List<String> fatal) {
        int port = Ranks.freePort();
        return Ranks.all(2, 120, r -> {
            try (FakeDeviceBackend be = new FakeDeviceBackend(new CpuBackend(new BackendOptions(DType.F32, false, 1)));
                 DistributedRun run = DistributedRun.of(DistEnv.local(r, 2, DataParallelEquivalenceTest.HOST, port), Timeouts.ofSeconds(20, collectiveS))) {
                run.onFatal(fatal::add);
                run.join(s -> { });
                Autoencoder ae = new Autoencoder(Presets.get("w1")).bind(be, 5);
                try (Trainer t = new Trainer(ae, DataParallelEquivalenceTest.config(epochs, run.globalBatch(64)), s -> { })) {
                    TrainState start = run.start(be, ae.params(), t.optimizer(), null, s -> { });
                    if (r == 1 && fault != Fault.NONE) {
                        t.listener(new TrainingListener() {
                            @Override
                            public void onStepEnd(LoopContext ctx) {
                                if (ctx.globalStep() != 5) return;
                                if (fault == Fault.DIES) {
                                    run.group().closeAfterFailure(); // gone without a goodbye, as after kill -9
                                    throw new IllegalStateException("rank 1 died");
                                }
                                try {
                                    Thread.sleep(6_000); // alive, but takes no part
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }
                        });
                    }
                    t.dataParallel(run.dataParallel()).fit(data, null, start);
                    return new Outcome(ae.params().valuesToHost(), run.describe(64).get("collective").toString());
                }
            }
        });
    }

    @Test
    void everyRankWithDeviceCollectivesUsesThemAndTrainsAsWithTheRing() {
        Dataset data = DataParallelEquivalenceTest.digits(512, 7);
        List<Ranks.Outcome<Outcome>> out = run(data, 3, Fault.NONE, 20, new CopyOnWriteArrayList<>());
        assertEquals("FAKE 1.0 over 2 ranks", out.get(0).get().collective());
        assertArrayEquals(out.get(0).get().weights(), out.get(1).get().weights());
        float[] single = DataParallelEquivalenceTest.alone(data, 3, 128).weights();
        assertTrue(DataParallelEquivalenceTest.maxDiff(single, out.get(0).get().weights()) <= DataParallelEquivalenceTest.WEIGHT_TOLERANCE);
    }

    @Test
    void aRankThatDiesInsideACollectiveIsAbortedAndNamed() {
        Dataset data = DataParallelEquivalenceTest.digits(512, 7);
        List<String> fatal = new CopyOnWriteArrayList<>();
        long t0 = System.nanoTime();
        List<Ranks.Outcome<Outcome>> out = run(data, 50, Fault.DIES, 60, fatal);
        double s = (System.nanoTime() - t0) / 1e9;
        Throwable e = out.get(0).error();
        assertInstanceOf(BottleneckException.class, e, String.valueOf(e));
        assertTrue(e.getMessage().contains("rank 1 left the job"), e.getMessage());
        assertTrue(s < 30, "took " + s + " s, the collective timeout is 60 s: the store's news ended the wait");
        assertTrue(fatal.isEmpty(), "the training thread got out by itself: " + fatal);
    }

    @Test
    void aRankThatHangsTripsTheWatchdogAfterTheCollectiveTimeout() {
        Dataset data = DataParallelEquivalenceTest.digits(512, 7);
        List<String> fatal = new CopyOnWriteArrayList<>();
        List<Ranks.Outcome<Outcome>> out = run(data, 50, Fault.HANGS, 1.5, fatal);
        Throwable e = out.get(0).error();
        assertInstanceOf(BottleneckException.class, e, String.valueOf(e));
        assertTrue(e.getMessage().contains("finished no training step for 1.5 s"), e.getMessage());
        assertNotNull(out.get(1).error(), "the hung rank fails too once it wakes");
    }
}
