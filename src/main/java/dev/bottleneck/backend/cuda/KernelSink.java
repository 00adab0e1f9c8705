package dev.bottleneck.backend.cuda;

/**
 * Where the typed entry points of {@link Kernels} put a launch: the argument values in the order of the kernel's
 * parameters, then the launch itself. {@link KernelLauncher} packs them for {@code cuLaunchKernel}; tests record
 * them to check, without a GPU, that every entry point passes what its kernel declares.
 */
interface KernelSink {
    /** Starts the arguments of the next launch. */
    KernelSink begin();

    /** A pointer parameter ({@code T*}): a device address, 0 for a null pointer. */
    KernelSink ptr(long address);

    /** {@code int} (4 bytes). */
    KernelSink i32(int v);

    /** {@code long long} / {@code i64} / {@code u64} (8 bytes). */
    KernelSink i64(long v);

    /** {@code float}. */
    KernelSink f32(float v);

    /** {@code double}. */
    KernelSink f64(double v);

    /** A struct passed by value. */
    KernelSink struct(KernelStruct s);

    /** Launches {@code kernel} on a 1-D grid of {@code grid} blocks of {@code block} threads with the arguments given. */
    void launch(String kernel, int grid, int block);
}
