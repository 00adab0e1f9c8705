package dev.bottleneck.train;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.backend.cuda.EmulatedCudaBackend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.testing.BackendsUnderTest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.bottleneck.testing.Asserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The open training loop on the CUDA backend's code, without a GPU: a dense autoencoder with dropout trained with
 * Adam for three epochs on {@value EmulatedCudaBackend#NAME} (our kernels in the kernel emulator, the CUDA
 * backend's GEMM mapping onto a reference SGEMM) and on the CPU backend from the same seed. The CUDA path reads
 * the loss only at sync points and draws dropout masks from the same counter-based generator, so both runs see
 * the same masks and reach the same weights up to float32 rounding.
 */
class EmulatedCudaTrainingTest {
    private static final ModelSpec SPEC = ModelSpec.parse("{\"input\":[1,8,8],\"encoder\":[{\"type\":\"linear\",\"units\":12,"
            + "\"activation\":\"relu\"},{\"type\":\"dropout\",\"rate\":0.2},{\"type\":\"linear\",\"units\":4,\"activation\":\"tanh\"}],"
            + "\"decoder\":[{\"type\":\"linear\",\"units\":12,\"activation\":\"elu\"},{\"type\":\"linear\",\"units\":64,"
            + "\"activation\":\"sigmoid\"}],\"loss\":\"bce\"}", 64);

    private record Run(List<Double> losses, float[] params) {}

    private static Run train(Backend be, Dataset data) {
        FitConfig cfg = new FitConfig().epochs(3).batch(16).seed(9).validation(0).optimizer(OptimizerConfig.adam(1e-2)).progress(false);
        Autoencoder a = new Autoencoder(SPEC).bind(be, 4);
        try (Optimizer opt = new Optimizer(cfg.optimizer(), a.params()); AlignedArrays src = AlignedArrays.of(be, data)) {
            TrainingLoop.Result r = new TrainingLoop(a.params(), opt, ReconstructionStep.of(a, cfg, data), cfg).fit(src, null);
            return new Run(r.state().history().stream().map(EpochMetrics::trainLoss).toList(), a.params().valuesToHost());
        } finally {
            a.close();
        }
    }

    @Test
    void trainsToTheWeightsOfTheCpuBackend() {
        Backend emulated = BackendsUnderTest.get(EmulatedCudaBackend.NAME);
        Dataset data = CheckpointResumeTest.synthetic(120, 8, 11);
        Run gpu = train(emulated, data);
        Run cpu;
        try (CpuBackend c = new CpuBackend(DType.F32)) {
            cpu = train(c, data);
        }
        assertEquals(3, gpu.losses().size());
        assertTrue(gpu.losses().get(2) < gpu.losses().get(0), "the loss falls: " + gpu.losses());
        for (int e = 0; e < 3; e++) {
            assertClose(cpu.losses().get(e), gpu.losses().get(e), 1e-4, 0, "epoch " + (e + 1) + " training loss, cuda code vs cpu");
        }
        float max = 0;
        for (float v : cpu.params()) max = Math.max(max, Math.abs(v));
        double[] want = new double[cpu.params().length], got = new double[want.length];
        for (int i = 0; i < want.length; i++) {
            want[i] = cpu.params()[i];
            got[i] = gpu.params()[i];
        }
        assertClose(want, got, 1e-3, 1e-4 * max, "parameters after 24 Adam steps, cuda code vs cpu");
    }
}
