package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.dist.DistEnv;
import dev.bottleneck.dist.Launcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "launch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Start the processes of a data-parallel job on this machine (one per GPU), like torchrun: each gets RANK, WORLD_SIZE,"
                + " LOCAL_RANK and MASTER_ADDR/MASTER_PORT, uses GPU LOCAL_RANK, and the gradients are averaged every step.",
                "Signals are forwarded to every rank; when one rank fails, the others are stopped and launch exits with its status.",
                "Examples:",
                "  bottleneck launch --nproc-per-node 4 -- train mnist --model w2 --batch 64 --out runs/w2",
                "  bottleneck launch --nproc-per-node 8 --nnodes 2 --node-rank 0 --master-addr node01 -- train mnist --model w2",
                "  srun --ntasks-per-node=1 bottleneck launch --nproc-per-node 8 --nnodes $SLURM_NNODES --node-rank $SLURM_NODEID --master-addr <first host> -- train ..."})
final class LaunchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Range(min = 1)
    @Option(names = "--nproc-per-node", required = true, paramLabel = "N", description = "Processes (ranks) to start on this machine, usually one per GPU.")
    int nprocPerNode;

    @Range(min = 1)
    @Option(names = "--nnodes", defaultValue = "1", paramLabel = "M", description = "Machines in the job (default: ${DEFAULT-VALUE}); run launch once on each.")
    int nnodes;

    @Range(min = 0)
    @Option(names = "--node-rank", defaultValue = "0", paramLabel = "R", description = "This machine's place in the job, 0 to M-1 (default: ${DEFAULT-VALUE}); node 0 holds rank 0.")
    int nodeRank;

    @Option(names = "--master-addr", paramLabel = "HOST", description = "Host of rank 0 (node 0), reachable from every machine (default: $MASTER_ADDR, else 127.0.0.1 for one machine).")
    String masterAddr;

    @Range(min = 1, max = 65535)
    @Option(names = "--master-port", paramLabel = "PORT", description = "Port rank 0 serves the rendezvous on (default: $MASTER_PORT, else 29500).")
    Integer masterPort;

    @Range(min = 0, minExclusive = true, max = 604800)
    @Option(names = "--rendezvous-timeout", paramLabel = "SECONDS", description = "Passed to every rank (see train --help; default 300).")
    Double rendezvousTimeout;

    @Range(min = 0, minExclusive = true, max = 604800)
    @Option(names = "--collective-timeout", paramLabel = "SECONDS", description = "Passed to every rank (see train --help; default 600).")
    Double collectiveTimeout;

    @Range(min = 0, max = 3600)
    @Option(names = "--grace", defaultValue = "30", paramLabel = "SECONDS", description = "How long stopped ranks get between SIGTERM and SIGKILL (default: ${DEFAULT-VALUE}).")
    double grace;

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The command every rank runs, after '--' (e.g. train mnist --batch 64).")
    List<String> command;

    @Override
    public Integer call() {
        Map<String, String> env = System.getenv();
        String addr = masterAddr;
        if (addr == null || addr.isBlank()) {
            addr = env.get("MASTER_ADDR");
            if (addr == null || addr.isBlank()) {
                if (nnodes > 1) throw new BottleneckException("--master-addr is needed with --nnodes " + nnodes + ": the host of node 0, reachable from every machine");
                addr = "127.0.0.1";
            }
        }
        int port = masterPort != null ? masterPort : portFromEnv(env);
        Launcher.Spec s = new Launcher.Spec(nprocPerNode, nnodes, nodeRank, addr.trim(), port, rendezvousTimeout, collectiveTimeout, grace, command);
        return new Launcher(s, Launcher.thisJvm(Main.class.getName(), nprocPerNode), spec.commandLine().getOut(), spec.commandLine().getErr())
                .run(Map.of());
    }

    private static int portFromEnv(Map<String, String> env) {
        String p = env.get("MASTER_PORT");
        if (p == null || p.isBlank()) return DistEnv.DEFAULT_PORT;
        try {
            return Integer.parseInt(p.trim());
        } catch (NumberFormatException e) {
            throw new BottleneckException("MASTER_PORT='" + p + "' is not a port number");
        }
    }
}
