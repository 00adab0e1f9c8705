package dev.bottleneck.cli;

import dev.bottleneck.dist.DistributedRun;
import picocli.CommandLine.Option;

/**
 * The timeouts of a data-parallel job. Whether a process is part of one is decided by its environment (see
 * {@link dev.bottleneck.dist.DistEnv}: torchrun, PyTorchJob, Slurm, {@code bottleneck launch}), not by options.
 */
final class DistributedOptions {
    @Range(min = 0, minExclusive = true, max = 604800)
    @Option(names = "--rendezvous-timeout", paramLabel = "SECONDS",
            description = "In a job of several processes: how long every rank waits for the others to arrive before it stops with an error naming those missing (default: $BOTTLENECK_RENDEZVOUS_TIMEOUT, else 300).")
    Double rendezvousTimeout;

    @Range(min = 0, minExclusive = true, max = 604800)
    @Option(names = "--collective-timeout", paramLabel = "SECONDS",
            description = "In a job of several processes: how long one gradient exchange (on a GPU: the time between two steps) may take before the rank decides another one is stuck or gone (default: $BOTTLENECK_COLLECTIVE_TIMEOUT, else 600).")
    Double collectiveTimeout;

    /** The job this process belongs to according to its environment (an inactive run when none). */
    DistributedRun run() {
        return DistributedRun.fromEnvironment(System.getenv(), rendezvousTimeout, collectiveTimeout);
    }
}
