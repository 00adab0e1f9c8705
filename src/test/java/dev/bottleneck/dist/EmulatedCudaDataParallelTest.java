package dev.bottleneck.dist;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.cuda.EmulatedCudaBackend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.TrainState;
import dev.bottleneck.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data-parallel training on the CUDA backend's code without a GPU: two ranks, each on its own
 * {@value EmulatedCudaBackend#NAME} backend (the kernels in the emulator), joined through the TCP ring since there is
 * no NCCL here. Rank 0's parameters are broadcast at the start and the gradient arena is all-reduced every step
 * through the CUDA backend's downloads and uploads; the ranks end with the same bits, and with the weights of one
 * process taking the same steps with the double batch, within {@link DataParallelEquivalenceTest#WEIGHT_TOLERANCE}.
 */
class EmulatedCudaDataParallelTest {
    private static final ModelSpec SPEC = ModelSpec.dense("784-32-8-32-784", "relu", "sigmoid", Loss.BCE);

    private record Run(float[] weights, TrainState state) { }

    private static FitConfig config(int batch) {
        return DataParallelEquivalenceTest.config(3, batch);
    }

    private static Run alone(Dataset data, int batch) {
        Backend be = BackendsUnderTest.get(EmulatedCudaBackend.NAME);
        Autoencoder ae = new Autoencoder(SPEC).bind(be, 5);
        try (Trainer t = new Trainer(ae, config(batch), s -> { })) {
            TrainState st = t.fit(data, null, null).state();
            return new Run(ae.params().valuesToHost(), st);
        } finally {
            ae.close();
        }
    }

    @Test
    void twoRanksTakeTheStepsOfOneProcessWithTheDoubleBatch() {
        BackendsUnderTest.get(EmulatedCudaBackend.NAME);   // skips (saying why) where the emulator cannot be built
        Dataset data = DataParallelEquivalenceTest.digits(150, 4);   // 150 = 4 × 32 + 22: a short last batch, split unevenly
        Run single = alone(data, 32);
        int port = Ranks.freePort();
        List<Ranks.Outcome<Run>> out = Ranks.all(2, 180, r -> {
            try (EmulatedCudaBackend be = EmulatedCudaBackend.createOrNull();
                 DistributedRun run = DistributedRun.of(DistEnv.local(r, 2, DataParallelEquivalenceTest.HOST, port), Timeouts.ofSeconds(20, 20))) {
                run.join(s -> { });
                Autoencoder ae = new Autoencoder(SPEC).bind(be, r == 0 ? 5 : 77);   // rank 0's weights win
                try (Trainer t = new Trainer(ae, config(run.globalBatch(16)), s -> { })) {
                    TrainState start = run.start(be, ae.params(), t.optimizer(), null, s -> { });
                    TrainState st = t.dataParallel(run.dataParallel()).fit(data, null, start).state();
                    return new Run(ae.params().valuesToHost(), st);
                } finally {
                    ae.close();
                }
            }
        });
        Run rank0 = out.get(0).get(), rank1 = out.get(1).get();
        assertArrayEquals(rank0.weights(), rank1.weights(), "both ranks end with the same bits");
        assertEquals(single.state().globalStep(), rank0.state().globalStep());
        assertEquals(15, rank0.state().globalStep(), "5 steps per epoch, 3 epochs");
        double diff = DataParallelEquivalenceTest.maxDiff(single.weights(), rank0.weights());
        assertTrue(diff <= DataParallelEquivalenceTest.WEIGHT_TOLERANCE, "2 ranks vs one process: weights differ by " + diff);
        double lossSingle = single.state().history().get(2).trainLoss(), lossRanks = rank0.state().history().get(2).trainLoss();
        assertEquals(lossSingle, lossRanks, 1e-5 * lossSingle, "the logged loss is the global one");
    }
}
