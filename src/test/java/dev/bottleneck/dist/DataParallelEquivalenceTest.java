package dev.bottleneck.dist;

import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.Presets;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.TrainState;
import dev.bottleneck.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The data-parallel contract on the CPU: W ranks with batch 64 each take the same steps as one process with batch
 * 64 W. The gradients of the two differ only in the order of their float32 additions (the one process sums 64 W
 * rows in one GEMM, each rank sums its 64 rows and the ring adds the W partial sums in its fixed order), about one
 * ulp per step. Measured after 300 W1 steps: at most 1.1e-7 between the weights (one or two ulps of a weight near 1),
 * while the weights moved by 0.32. Bound: |Δw| ≤ 1e-5, which leaves two orders of magnitude for other GEMM blockings and
 * still fails a wrong weighting of uneven shares (averaging them equally gives 9.4e-5 under SGD).
 * The ranks themselves must end with the same bits.
 */
class DataParallelEquivalenceTest {
    static final String HOST = "127.0.0.1";
    /** The largest weight difference accepted between W ranks and one process (see the class comment). */
    static final double WEIGHT_TOLERANCE = 1e-5;

    /** MNIST-sized synthetic digits: a few Gaussian strokes on 28 × 28, in [0, 1]. */
    static Dataset digits(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int side = 28;
        float[] x = new float[n * side * side];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 3; k++) {
                double cx = 6 + r.nextDouble(16), cy = 6 + r.nextDouble(16), w = 1 + r.nextDouble(2.5);
                for (int p = 0; p < side * side; p++) {
                    double dx = (p % side) - cx, dy = (p / side) - cy;
                    int at = i * side * side + p;
                    x[at] = (float) Math.min(1, x[at] + Math.exp(-(dx * dx + dy * dy) / (2 * w * w)));
                }
            }
        }
        return new Dataset(x, n, new int[] {1, side, side}, null, "digits");
    }

    static OptimizerConfig optimizer = OptimizerConfig.adam(1e-3);

    static FitConfig config(int epochs, int batch) {
        return new FitConfig().epochs(epochs).batch(batch).seed(11).validation(0).optimizer(optimizer).progress(false);
    }

    record Run(float[] weights, TrainState state) { }

    static Run alone(Dataset data, int epochs, int batch) {
        try (CpuBackend be = new CpuBackend(new BackendOptions(DType.F32, false, 1))) {
            Autoencoder ae = new Autoencoder(Presets.get("w1")).bind(be, 5);
            try (Trainer t = new Trainer(ae, config(epochs, batch), s -> { })) {
                TrainState st = t.fit(data, null, null).state();
                return new Run(ae.params().valuesToHost(), st);
            }
        }
    }

    static List<Ranks.Outcome<Run>> ranks(Dataset data, int world, int epochs, int perRank) {
        return ranks(data, world, epochs, perRank, null, false);
    }

    /** With {@code out}, rank 0 checkpoints there; with {@code resume}, rank 0 continues from it. */
    static List<Ranks.Outcome<Run>> ranks(Dataset data, int world, int epochs, int perRank, java.nio.file.Path out, boolean resume) {
        int port = Ranks.freePort();
        return Ranks.all(world, 300, r -> {
            try (CpuBackend be = new CpuBackend(new BackendOptions(DType.F32, false, 1));
                 DistributedRun run = DistributedRun.of(DistEnv.local(r, world, HOST, port), Timeouts.ofSeconds(20, 20))) {
                run.join(s -> { });
                Autoencoder ae = new Autoencoder(Presets.get("w1")).bind(be, r == 0 ? 5 : 1000 + r); // rank 0's weights win
                FitConfig cfg = config(epochs, run.globalBatch(perRank)).outDir(r == 0 ? out : null);
                try (Trainer t = new Trainer(ae, cfg, s -> { })) {
                    TrainState saved = resume && r == 0 ? dev.bottleneck.train.Checkpoint.resume(out, ae.params(), t.optimizer()) : null;
                    TrainState start = run.start(be, ae.params(), t.optimizer(), saved, s -> { });
                    TrainState st = t.dataParallel(run.dataParallel()).fit(data, null, start).state();
                    return new Run(ae.params().valuesToHost(), st);
                }
            }
        });
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @Test
    void twoAndFourRanksOfBatch64TakeTheStepsOfOneProcessWithBatch128And256() {
        Dataset data = digits(1001, 3); // 1001 = 7 × 128 + 105 = 3 × 256 + 233: the last batch is short and splits unevenly
        for (int world : new int[] {2, 4}) {
            int epochs = world == 2 ? 38 : 75; // 8 × 38 = 304 and 4 × 75 = 300 steps
            long t0 = System.nanoTime();
            Run single = alone(data, epochs, 64 * world);
            long t1 = System.nanoTime();
            List<Ranks.Outcome<Run>> out = ranks(data, world, epochs, 64);
            long t2 = System.nanoTime();
            Run rank0 = out.get(0).get();
            for (Ranks.Outcome<Run> o : out) {
                assertArrayEquals(rank0.weights(), o.get().weights(), "every rank ends with rank 0's bits");
                assertEquals(rank0.state().history().stream().map(m -> m.trainLoss()).toList(),
                        o.get().state().history().stream().map(m -> m.trainLoss()).toList(), "and the same losses");
            }
            assertEquals(single.state().globalStep(), rank0.state().globalStep());
            assertEquals(world == 2 ? 304 : 300, rank0.state().globalStep());
            double diff = maxDiff(single.weights(), rank0.weights());
            double moved = maxDiff(single.weights(), alone(data, 1, 64 * world).weights());
            double lossSingle = single.state().history().get(epochs - 1).trainLoss();
            double lossRanks = rank0.state().history().get(epochs - 1).trainLoss();
            System.out.printf(Locale.ROOT, "[ddp] W=%d: max |w_ranks - w_single| = %.3g after %d steps (the weights moved %.3g since"
                            + " epoch 1); last train loss %.7f vs %.7f; %.1f s alone, %.1f s as %d ranks%n", world, diff, rank0.state().globalStep(), moved,
                    lossRanks, lossSingle, (t1 - t0) / 1e9, (t2 - t1) / 1e9, world);
            assertTrue(diff <= WEIGHT_TOLERANCE, "W=" + world + ": weights differ by " + diff);
            assertEquals(lossSingle, lossRanks, 1e-5 * lossSingle, "the logged loss is the global one");
        }
    }

    @Test
    void aJobResumedOnTheSameWorldSizeTakesExactlyTheStepsOfAnUninterruptedOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        Dataset data = digits(500, 6);
        Run whole = ranks(data, 3, 4, 32, tmp.resolve("whole"), false).get(0).get();
        ranks(data, 3, 2, 32, tmp.resolve("parts"), false).get(0).get();
        List<Ranks.Outcome<Run>> resumed = ranks(data, 3, 4, 32, tmp.resolve("parts"), true);
        for (Ranks.Outcome<Run> o : resumed) {
            assertArrayEquals(whole.weights(), o.get().weights(), "rank 0's checkpoint, broadcast to every rank, continues bit for bit");
        }
        assertEquals(whole.state().globalStep(), resumed.get(0).get().state().globalStep());
    }

    /**
     * Adam does not see a constant factor on the gradient, so SGD checks the weighting of the shares: 3 ranks of 50
     * (a last batch of 101 = 34 + 34 + 33), and 4 ranks of 2 on 9 samples, whose last batch of 1 sample leaves three
     * ranks without one (they count with weight 0).
     */
    @Test
    void unevenAndEmptySharesAreWeightedExactlyUnderSgd() {
        OptimizerConfig saved = optimizer;
        optimizer = OptimizerConfig.of("sgd", 0.5).withMomentum(0.9, false);
        try {
            for (int[] c : new int[][] {{3, 50, 1001, 10}, {4, 2, 9, 20}}) {
                int world = c[0], perRank = c[1], epochs = c[3];
                Dataset data = digits(c[2], 4);
                Run single = alone(data, epochs, perRank * world);
                Run rank0 = ranks(data, world, epochs, perRank).get(0).get();
                double diff = maxDiff(single.weights(), rank0.weights());
                System.out.printf(Locale.ROOT, "[ddp] SGD, W=%d x %d on %d samples: max |w_ranks - w_single| = %.3g after %d steps%n",
                        world, perRank, c[2], diff, rank0.state().globalStep());
                assertEquals(single.state().globalStep(), rank0.state().globalStep());
                assertTrue(diff <= WEIGHT_TOLERANCE, "W=" + world + ": weights differ by " + diff);
                assertEquals(single.state().history().get(epochs - 1).trainLoss(), rank0.state().history().get(epochs - 1).trainLoss(), 1e-5);
            }
        } finally {
            optimizer = saved;
        }
    }
}
