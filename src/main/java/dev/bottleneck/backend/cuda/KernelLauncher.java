package dev.bottleneck.backend.cuda;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.PointerPointer;

import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cudaGetLastError;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

/**
 * Launches the kernels of a {@link KernelLibrary} on the backend's stream through the driver API
 * ({@code cuLaunchKernel}), with the arguments packed into one reused {@link LaunchArgs} block. With
 * {@code syncEveryLaunch} (the {@code BOTTLENECK_CUDA_SYNC=1} debugging mode) it waits after every launch, so an
 * asynchronous fault is reported with the kernel that caused it. Not thread-safe: call under the backend lock.
 */
final class KernelLauncher implements KernelSink {
    private final KernelLibrary library;
    private final CUstream_st stream;
    private final boolean syncEveryLaunch;
    private final LaunchArgs args = new LaunchArgs();

    KernelLauncher(KernelLibrary library, CUstream_st stream, boolean syncEveryLaunch) {
        this.library = library;
        this.stream = stream;
        this.syncEveryLaunch = syncEveryLaunch;
    }

    @Override public KernelSink begin() { args.reset(); return this; }
    @Override public KernelSink ptr(long address) { args.ptr(address); return this; }
    @Override public KernelSink i32(int v) { args.i32(v); return this; }
    @Override public KernelSink i64(long v) { args.i64(v); return this; }
    @Override public KernelSink f32(float v) { args.f32(v); return this; }
    @Override public KernelSink f64(double v) { args.f64(v); return this; }
    @Override public KernelSink struct(KernelStruct s) { args.struct(s.longs(), s.ints()); return this; }

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

    void close() {
        args.close();
    }
}
