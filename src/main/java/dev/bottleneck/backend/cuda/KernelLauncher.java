package dev.bottleneck.backend.cuda;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.PointerPointer;

import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cudaGetLastError;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

/**
 * Launches the kernels of a {@link KernelLibrary} on the backend's stream through the driver API
 * ({@code cuLaunchKernel}), with the arguments packed into one reused {@link LaunchArgs} block ({@link PackingSink}). With
 * {@code syncEveryLaunch} (the {@code BOTTLENECK_CUDA_SYNC=1} debugging mode) it waits after every launch, so an
 * asynchronous fault is reported with the kernel that caused it. Not thread-safe: call under the backend lock.
 */
final class KernelLauncher extends PackingSink {
    private final KernelLibrary library;
    private final CUstream_st stream;
    private final boolean syncEveryLaunch;

    KernelLauncher(KernelLibrary library, CUstream_st stream, boolean syncEveryLaunch) {
        this.library = library;
        this.stream = stream;
        this.syncEveryLaunch = syncEveryLaunch;
    }

    @Override
    public void launch(String kernel, int grid, int block) {
        CUfunc_st fn = library.function(kernel);
        CudaCheck.cu(cuLaunchKernel(fn, grid, 1, 1, block, 1, 1, 0, stream, args.params, (PointerPointer<?>) null),
                "cuLaunchKernel(" + kernel + ", grid " + grid + ", block " + block + ")");
        if (syncEveryLaunch) {
            CudaCheck.cuda(cudaStreamSynchronize(stream), "kernel " + kernel);
            CudaCheck.cuda(cudaGetLastError(), "kernel " + kernel);
        }
    }
}
