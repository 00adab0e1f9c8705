package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where this process stands in a data-parallel job, read from the environment that job launchers set:
 * <ul>
 *   <li>{@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR},
 *       {@code MASTER_PORT}: set by {@code torchrun}, by Kubeflow's PyTorchJob (which leaves {@code LOCAL_RANK}
 *       out: one process per pod, local rank 0) and by {@code bottleneck launch};</li>
 *   <li>under Slurm ({@code srun}, one task per GPU): {@code SLURM_PROCID}, {@code SLURM_NTASKS},
 *       {@code SLURM_LOCALID}, and as master the first host of {@code SLURM_STEP_NODELIST} (else
 *       {@code SLURM_JOB_NODELIST}) unless {@code MASTER_ADDR} is set; the port is {@code MASTER_PORT} or
 *       {@link #DEFAULT_PORT}.</li>
 * </ul>
 * The first set that is present wins ({@code RANK} before Slurm, so torchrun inside a Slurm allocation works).
 * {@code BOTTLENECK_DISTRIBUTED=off} makes a process ignore both and train alone.
 *
 * @param origin which variables it came from, for log lines
 */
public record DistEnv(int rank, int worldSize, int localRank, int localWorldSize, String masterAddr, int masterPort,
                      String origin) {
    /** The port torchrun uses when none is given. */
    public static final int DEFAULT_PORT = 29500;
    public static final String OFF_SWITCH = "BOTTLENECK_DISTRIBUTED";

    public DistEnv {
        if (worldSize < 1) throw new BottleneckException("the world size must be at least 1, got " + worldSize + " (" + origin + ")");
        if (rank < 0 || rank >= worldSize) {
            throw new BottleneckException("rank " + rank + " is not in [0, " + worldSize + ") (" + origin + ")");
        }
        if (localRank < 0) throw new BottleneckException("the local rank must be >= 0, got " + localRank + " (" + origin + ")");
        if (localWorldSize < 1) localWorldSize = 1;
        if (masterAddr == null || masterAddr.isBlank()) {
            throw new BottleneckException("no master address: set MASTER_ADDR to the host of rank 0 (" + origin + ")");
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new BottleneckException("the master port must be in [1, 65535], got " + masterPort + " (" + origin + ")");
        }
    }

    /** A job of {@code worldSize} ranks whose rank 0 serves on {@code addr:port}, with every rank on one host. */
    public static DistEnv local(int rank, int worldSize, String addr, int port) {
        return new DistEnv(rank, worldSize, rank, worldSize, addr, port, "local");
    }

    /** Rank 0 is the one that writes checkpoints, metrics and pictures, and prints the results. */
    public boolean writer() {
        return rank == 0;
    }

    public String describe() {
        return "rank " + rank + " of " + worldSize + " (local rank " + localRank + ", master " + masterAddr + ":" + masterPort
                + ", from " + origin + ")";
    }

    /** The job this process belongs to, or empty when none of the variables is set (a plain single-process run). */
    public static Optional<DistEnv> fromEnvironment(Map<String, String> env) {
        String off = env.get(OFF_SWITCH);
        if (off != null && (off.equalsIgnoreCase("off") || off.equals("0") || off.equalsIgnoreCase("false"))) return Optional.empty();
        if (present(env, "RANK") || present(env, "WORLD_SIZE")) {
            String origin = "RANK/WORLD_SIZE";
            int world = number(env, "WORLD_SIZE", null, origin);
            int rank = number(env, "RANK", null, origin);
            int local = number(env, "LOCAL_RANK", 0, origin);
            int localWorld = number(env, "LOCAL_WORLD_SIZE", 1, origin);
            String addr = env.get("MASTER_ADDR");
            if (!present(env, "MASTER_ADDR")) {
                if (world > 1) throw new BottleneckException("RANK and WORLD_SIZE are set but MASTER_ADDR is not: set it to the host of rank 0");
                addr = "127.0.0.1";
            }
            return Optional.of(new DistEnv(rank, world, local, localWorld, addr.trim(), number(env, "MASTER_PORT", DEFAULT_PORT, origin), origin));
        }
        if (present(env, "SLURM_PROCID")) {
            String origin = "Slurm";
            int rank = number(env, "SLURM_PROCID", null, origin);
            int world = present(env, "SLURM_STEP_NUM_TASKS") ? number(env, "SLURM_STEP_NUM_TASKS", null, origin)
                    : number(env, "SLURM_NTASKS", 1, origin);
            int local = number(env, "SLURM_LOCALID", 0, origin);
            int localWorld = tasksOnFirstNode(env.get("SLURM_STEP_TASKS_PER_NODE"));
            String addr = env.get("MASTER_ADDR");
            if (!present(env, "MASTER_ADDR")) {
                String list = present(env, "SLURM_STEP_NODELIST") ? env.get("SLURM_STEP_NODELIST") : env.get("SLURM_JOB_NODELIST");
                if (list == null || list.isBlank()) {
                    if (world > 1) throw new BottleneckException("Slurm sets no node list (SLURM_STEP_NODELIST, SLURM_JOB_NODELIST): set MASTER_ADDR to the host of rank 0");
                    addr = "127.0.0.1";
                } else {
                    addr = firstHost(list);
                }
            }
            return Optional.of(new DistEnv(rank, world, local, localWorld, addr.trim(), number(env, "MASTER_PORT", DEFAULT_PORT, origin), origin));
        }
        return Optional.empty();
    }

    private static boolean present(Map<String, String> env, String key) {
        String v = env.get(key);
        return v != null && !v.isBlank();
    }

    private static int number(Map<String, String> env, String key, Integer fallback, String origin) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            if (fallback != null) return fallback;
            throw new BottleneckException(key + " is not set but the other variables of a job are (" + origin + ")");
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new BottleneckException(key + "='" + v + "' is not a whole number");
        }
    }

    /** {@code 4(x2),2} → 4: the tasks of the first node (rank 0's), 1 when unknown. */
    static int tasksOnFirstNode(String perNode) {
        if (perNode == null || perNode.isBlank()) return 1;
        String first = perNode.split(",")[0].trim();
        int paren = first.indexOf('(');
        if (paren >= 0) first = first.substring(0, paren);
        try {
            return Math.max(1, Integer.parseInt(first));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /**
     * The first host of a Slurm host list: {@code node[003-005,9],gpu1} → {@code node003};
     * {@code rack[1-2]-n[07-08]} → {@code rack1-n07} (every bracket expands to its first value, zero padding kept).
     */
    public static String firstHost(String nodeList) {
        List<String> entries = topLevelEntries(nodeList.trim());
        if (entries.isEmpty()) throw new BottleneckException("empty Slurm node list '" + nodeList + "'");
        String e = entries.get(0);
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < e.length()) {
            char c = e.charAt(i);
            if (c != '[') {
                out.append(c);
                i++;
                continue;
            }
            int close = e.indexOf(']', i);
            if (close < 0) throw new BottleneckException("bad Slurm node list '" + nodeList + "': unclosed '['");
            String inner = e.substring(i + 1, close);
            String firstRange = inner.split(",")[0];
            String lo = firstRange.split("-")[0].trim();
            if (lo.isEmpty()) throw new BottleneckException("bad Slurm node list '" + nodeList + "': empty range");
            out.append(lo);
            i = close + 1;
        }
        return out.toString();
    }

    private static List<String> topLevelEntries(String list) {
        List<String> out = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < list.length(); i++) {
            char c = list.charAt(i);
            if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == ',' && depth == 0) {
                if (i > start) out.add(list.substring(start, i));
                start = i + 1;
            }
        }
        if (start < list.length()) out.add(list.substring(start));
        return out;
    }
}
