package dev.bottleneck.cli;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.Backends;
import dev.bottleneck.tensor.DType;
import picocli.CommandLine.Option;

/** --backend, --threads, --tf32 shared by the commands that compute. */
final class BackendOptionsMixin {
    @Option(names = "--backend", paramLabel = "auto|cpu|cuda",
            description = "Compute backend (default: $BOTTLENECK_BACKEND, else auto). 'auto' says why it chose the CPU; 'cuda' fails loudly when CUDA cannot load.")
    String backend;

    @Range(min = 0)
    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all cores).")
    int threads;

    @Option(names = "--tf32", description = "Allow TF32 tensor-core maths on the GPU (faster, ~1e-3 relative error). Off by default.")
    boolean tf32;

    Backend create(Log log) {
        return Backends.create(backend, new BackendOptions(DType.F32, tf32, threads), log::info);
    }
}
