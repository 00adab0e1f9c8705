package dev.bottleneck.data.shard;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.train.AlignedArrays;
import dev.bottleneck.train.Batch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The streamed batch source gives exactly the batches of the in-memory one, for any order, start and access pattern. */
class StreamingBatchSourceTest {
    private final CpuBackend cpu = new CpuBackend(DType.F32);

    @AfterEach
    void close() { cpu.close(); }

    static Dataset data(int n, int f) {
        SplittableRandom r = new SplittableRandom(11);
        float[] x = new float[n * f];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-1, 1);
        return new Dataset(x, n, new int[] {f}, null, "t");
    }

    private void same(AlignedArrays ref, StreamingBatchSource s, int[] order, int from, int count) {
        try (Batch a = ref.gather(order, from, count); Batch b = s.gather(order, from, count)) {
            assertArrayEquals(cpu.memory().toFloatArray(a.tensor(0)), cpu.memory().toFloatArray(b.tensor(0)), "samples at " + from);
            assertArrayEquals(a.tensor(0).shape(), b.tensor(0).shape());
            for (int k = 0; k < count; k++) assertEquals(a.row(k), b.row(k));
        }
    }

    @Test
    void epochsOfShuffledBatchesMatchAlignedArraysForAnyThreadsAndDepth() {
        Dataset d = data(103, 5);
        int[] rows = Dataset.permutation(103, 4);   // a subset view: batches report the rows of the whole split
        int[] sub = java.util.Arrays.copyOf(rows, 90);
        for (int[] cfg : new int[][] {{0, 1}, {1, 1}, {1, 4}, {3, 2}, {3, 8}}) {
            try (AlignedArrays ref = AlignedArrays.builder(cpu, 103).add("x", d.x(), 5).rows(sub).build();
                 StreamingBatchSource s = new StreamingBatchSource(cpu, Samples.of(d).rows(sub), cfg[0], cfg[1])) {
                assertEquals(90, s.size());
                for (int epoch = 0; epoch < 3; epoch++) {
                    int[] perm = Dataset.epochPermutation(90, 42, epoch);
                    if (epoch != 1) s.position(perm, 0, 8);   // epoch 1 without the hint: still correct
                    for (int from = 0; from < 90; from += 8) same(ref, s, perm, from, Math.min(8, 90 - from));
                }
                if (cfg[0] > 0) assertTrue(s.misses() <= 1, "only the epoch without a hint starts with a miss: " + s.misses());
            }
        }
    }

    @Test
    void theTrainingLoopAnnouncesEveryEpochSoEveryBatchWasReadAhead() {
        Dataset d = data(120, 6);
        var ae = new dev.bottleneck.model.Autoencoder(dev.bottleneck.model.ModelSpec.dense("6-3-6", "tanh", "sigmoid",
                dev.bottleneck.backend.Loss.MSE)).bind(cpu, 1);
        var cfg = new dev.bottleneck.train.FitConfig().epochs(3).batch(16).seed(5).validation(0)
                .optimizer(dev.bottleneck.optim.OptimizerConfig.adam(1e-3)).progress(false);
        try (var t = new dev.bottleneck.train.Trainer(ae, cfg, s -> { });
             StreamingBatchSource s = new StreamingBatchSource(cpu, Samples.of(d), 1, 3)) {
            var r = t.fit(s, new dev.bottleneck.train.ReconstructionStep(ae, null, null), null, null, null);
            assertEquals(3, r.state().epochsDone());
            assertEquals(3 * 8, s.gathers());
            assertEquals(0, s.misses(), "BatchSource.position at every epoch start");
        }
    }

    @Test
    void aRunResumedInsideAnEpochStartsWhereItLeftOff() {
        Dataset d = data(64, 3);
        try (AlignedArrays ref = AlignedArrays.of(cpu, d); StreamingBatchSource s = new StreamingBatchSource(cpu, Samples.of(d), 2, 3)) {
            int[] perm = s.startAt(7, 2, 5, 6);           // epoch 2, step 5, batch 6
            assertArrayEquals(Dataset.epochPermutation(64, 7, 2), perm);
            for (int from = 30; from < 64; from += 6) same(ref, s, perm, from, Math.min(6, 64 - from));
            assertEquals(0, s.misses(), "every batch after the start was read ahead");
        }
    }

    @Test
    void interleavedSlicesOfOnePermutationAreReadAheadWithTheirStride() {
        // two ranks share a global batch of 10: rank 1 takes samples [s*10 + 5, s*10 + 10)
        Dataset d = data(100, 4);
        try (AlignedArrays ref = AlignedArrays.of(cpu, d); StreamingBatchSource s = new StreamingBatchSource(cpu, Samples.of(d), 1, 3)) {
            int[] perm = Dataset.epochPermutation(100, 1, 0);
            for (int step = 0; step < 10; step++) same(ref, s, perm, step * 10 + 5, 5);
            assertTrue(s.misses() <= 2, "the stride is learnt from the first two requests: " + s.misses() + " misses");
        }
    }

    @Test
    void anyRequestIsServedCorrectly() {
        Dataset d = data(50, 2);
        SplittableRandom r = new SplittableRandom(3);
        try (AlignedArrays ref = AlignedArrays.of(cpu, d); StreamingBatchSource s = new StreamingBatchSource(cpu, Samples.of(d), 2, 4)) {
            int[][] orders = {Dataset.permutation(50, 1), Dataset.permutation(50, 2)};
            for (int i = 0; i < 300; i++) {
                int[] o = orders[r.nextInt(2)];
                int from = r.nextInt(50), count = 1 + r.nextInt(50 - from);
                if (r.nextInt(5) == 0) s.position(o, r.nextInt(50), 1 + r.nextInt(9));
                same(ref, s, o, from, count);
            }
        }
    }

    @Test
    void aLoaderErrorReachesTheStepAndTheSourceRecovers() {
        Dataset d = data(40, 2);
        Samples bad = new Samples() {
            final Samples base = Samples.of(d);
            @Override public int size() { return 40; }
            @Override public int[] sampleShape() { return new int[] {2}; }
            @Override public String name() { return "bad"; }
            @Override public boolean hasLabels() { return false; }
            @Override public int label(int i) { throw new IllegalStateException(); }

            @Override
            public void read(int i, float[] dst, int off) {
                if (i == 13) throw new BottleneckException("sample 13 is unreadable");
                base.read(i, dst, off);
            }
        };
        int[] order = StreamedModelOps.identity(40);
        try (AlignedArrays ref = AlignedArrays.of(cpu, d); StreamingBatchSource s = new StreamingBatchSource(cpu, bad, 2, 4)) {
            s.position(order, 0, 5);
            same(ref, s, order, 0, 5);
            BottleneckException e = assertThrows(BottleneckException.class, () -> s.gather(order, 10, 5).close());
            assertEquals("sample 13 is unreadable", e.getMessage());
            same(ref, s, order, 15, 5);
            same(ref, s, order, 20, 5);
        }
    }
}
