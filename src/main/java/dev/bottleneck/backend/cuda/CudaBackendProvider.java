package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Availability;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.BackendProvider;
import dev.bottleneck.tensor.DType;

/**
 * The CUDA backend ({@code --backend cuda}), preferred over the CPU by {@code auto} when {@link #probe()} finds
 * a usable GPU. Found through {@code META-INF/services/dev.bottleneck.backend.BackendProvider}.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int priority() {
        return 100;
    }

    /** Once per process; never throws, never crashes the JVM (see {@link CudaProbe}). */
    @Override
    public Availability probe() {
        return CudaProbe.get().availability();
    }

    @Override
    public Backend create(BackendOptions options) {
        if (options.dtype() != DType.F32) {
            throw new BottleneckException("the cuda backend computes in F32 only (asked for " + options.dtype()
                    + "); use --backend cpu for F64");
        }
        CudaProbe.Result probe = CudaProbe.get();
        if (!probe.available()) {
            throw new BottleneckException("backend 'cuda' cannot be used: " + probe.availability().reason());
        }
        return new CudaBackend(probe, options);
    }
}
