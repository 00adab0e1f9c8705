package dev.bottleneck.backend.cuda;

/** An op group of the {@link CudaBackend} ({@code CudaMemory}, {@code CudaElementwise}, …): the backend it runs on. */
abstract class CudaOps {
    final CudaBackend be;

    CudaOps(CudaBackend be) {
        this.be = be;
    }
}
