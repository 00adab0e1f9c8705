package dev.bottleneck.backend;

import dev.bottleneck.tensor.DType;

/**
 * Settings a backend is created with.
 *
 * @param dtype   element type (F32 for training; F64 for the CPU reference used by tests)
 * @param tf32    allow TF32 tensor-core maths on GPUs (off by default; printed when on)
 * @param threads CPU threads for Java loops and OpenBLAS (0: all available processors)
 */
public record BackendOptions(DType dtype, boolean tf32, int threads) {
    public BackendOptions {
        if (threads < 0) throw new dev.bottleneck.BottleneckException("--threads must be 0 (all cores) or more, got " + threads);
    }

    public static BackendOptions defaults() {
        return new BackendOptions(DType.F32, false, 0);
    }

    public BackendOptions withDtype(DType d) {
        return new BackendOptions(d, tf32, threads);
    }
}
