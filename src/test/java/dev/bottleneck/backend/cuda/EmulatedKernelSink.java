package dev.bottleneck.backend.cuda;

import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link KernelSink} that packs arguments exactly as {@link KernelLauncher} does (the same {@link PackingSink}:
 * the {@code void*[]} of cuLaunchKernel) and queues the launch on the {@link EmulatedRuntime}'s stream, where the
 * {@link KernelEmulator} runs it when the host next waits. Counts the launches of each kernel.
 */
final class EmulatedKernelSink extends PackingSink {
    private final Map<String, Integer> launches = new TreeMap<>();
    private final EmulatedRuntime rt;

    EmulatedKernelSink(EmulatedRuntime rt) {
        this.rt = rt;
    }

    @Override
    public synchronized void launch(String kernel, int grid, int block) {
        rt.enqueueLaunch(kernel, grid, block, args);
        launches.merge(kernel, 1, Integer::sum);
    }

    /** Launches so far, per kernel name. */
    synchronized Map<String, Integer> launches() {
        return new TreeMap<>(launches);
    }
}
