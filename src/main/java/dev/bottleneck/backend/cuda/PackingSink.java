package dev.bottleneck.backend.cuda;

/**
 * A {@link KernelSink} that packs the arguments of each launch into one reused {@link LaunchArgs} block (the
 * {@code void*[]} of {@code cuLaunchKernel}); subclasses do the launch: {@link KernelLauncher} on a GPU, the kernel
 * emulator's sink in the tests, from the same bytes.
 */
abstract class PackingSink implements KernelSink {
    final LaunchArgs args = new LaunchArgs();

    @Override public KernelSink begin() { args.reset(); return this; }
    @Override public KernelSink ptr(long address) { args.ptr(address); return this; }
    @Override public KernelSink i32(int v) { args.i32(v); return this; }
    @Override public KernelSink i64(long v) { args.i64(v); return this; }
    @Override public KernelSink f32(float v) { args.f32(v); return this; }
    @Override public KernelSink f64(double v) { args.f64(v); return this; }
    @Override public KernelSink struct(KernelStruct s) { args.struct(s.longs(), s.ints()); return this; }

    void close() {
        args.close();
    }
}
