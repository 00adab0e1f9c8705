package dev.bottleneck.backend.cuda;

import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link KernelSink} that packs arguments exactly as {@link KernelLauncher} does (the same {@link PackingSink}:
 * the {@code void*[]} of cuLaunchKernel) and hands the launch to the {@link KernelEmulator}. Counts the
 * launches of each kernel.
 */
final class EmulatedKernelSink extends PackingSink {
    private final Map<String, Integer> launches = new TreeMap<>();

    @Override
    public synchronized void launch(String kernel, int grid, int block) {
        String error = KernelEmulator.launch(kernel, grid, block, args.params.address(), args.count());
        if (error != null) throw new IllegalStateException("kernel emulator: " + error);
        launches.merge(kernel, 1, Integer::sum);
    }

    /** Launches so far, per kernel name. */
    synchronized Map<String, Integer> launches() {
        return new TreeMap<>(launches);
    }
}
