package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts the processes of one node of a data-parallel job, as {@code torchrun} does: {@code nprocPerNode} copies of
 * a Bottleneck command, each with {@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE},
 * {@code GROUP_RANK}, {@code MASTER_ADDR} and {@code MASTER_PORT} set. Then it
 * <ul>
 *   <li>passes their output on (lines of ranks other than 0 prefixed with {@code [rank r]});</li>
 *   <li>forwards SIGINT, SIGTERM and SIGHUP to every rank, and kills those still running {@code grace} seconds
 *       later;</li>
 *   <li>when one rank fails, prints one line naming it and its exit status, stops the others (SIGTERM, then SIGKILL
 *       after the grace period), and returns that status.</li>
 * </ul>
 * The ranks are JVMs started like this one (same {@code java}, JVM options and class path). With several ranks per
 * node each JVM sees its share of the cores ({@code -XX:ActiveProcessorCount}) unless the options set it.
 */
public final class Launcher {
    /**
     * @param command     the Bottleneck command line each rank runs ({@code train mnist ...})
     * @param rendezvousS passed to the ranks as {@code BOTTLENECK_RENDEZVOUS_TIMEOUT} (null: not set)
     * @param collectiveS passed as {@code BOTTLENECK_COLLECTIVE_TIMEOUT} (null: not set)
     * @param graceS      seconds between SIGTERM and SIGKILL when ranks are stopped
     */
    public record Spec(int nprocPerNode, int nnodes, int nodeRank, String masterAddr, int masterPort, Double rendezvousS,
                       Double collectiveS, double graceS, List<String> command) {
        public Spec {
            if (nprocPerNode < 1) throw new BottleneckException("--nproc-per-node must be at least 1, got " + nprocPerNode);
            if (nnodes < 1) throw new BottleneckException("--nnodes must be at least 1, got " + nnodes);
            if (nodeRank < 0 || nodeRank >= nnodes) {
                throw new BottleneckException("--node-rank must be in [0, " + nnodes + "), got " + nodeRank);
            }
            if ((long) nprocPerNode * nnodes > 1 << 20) throw new BottleneckException("a job of " + (long) nprocPerNode * nnodes + " ranks is too large");
            if (command == null || command.isEmpty()) {
                throw new BottleneckException("launch needs the command the ranks run, after '--', e.g. bottleneck launch --nproc-per-node 2 -- train mnist");
            }
            if (command.get(0).equals("launch")) throw new BottleneckException("the ranks of a launch cannot launch again: give them a command such as train");
            if (!RANK_COMMANDS.contains(command.get(0))) {
                throw new BottleneckException("launch runs 'train' (or 'info') on every rank; '" + command.get(0)
                        + "' does not train data-parallel, so its ranks would each run alone and write the same files");
            }
            if (!(graceS >= 0) || Double.isInfinite(graceS)) throw new BottleneckException("--grace must be a number of seconds >= 0");
            command = List.copyOf(command);
        }

        public int worldSize() { return nprocPerNode * nnodes; }
    }

    /** The commands that know how to run as one rank of a job (or, for info, harmlessly run on each). */
    static final List<String> RANK_COMMANDS = List.of("train", "info");

    private final Spec spec;
    private final List<String> javaCommand;
    private final PrintWriter out, err;
    private final List<Process> procs = new ArrayList<>();
    private final List<Thread> pumps = new ArrayList<>();
    private final Map<Integer, Thread> errorPumps = new java.util.concurrent.ConcurrentHashMap<>();
    /** The last error line each rank printed, by local index. */
    private final Map<Integer, String> lastErrors = new java.util.concurrent.ConcurrentHashMap<>();
    /** Local indices of the ranks in the order they ended (as the operating system reported it). */
    private final java.util.concurrent.LinkedBlockingQueue<Integer> exits = new java.util.concurrent.LinkedBlockingQueue<>();
    private volatile String stoppedBy;
    private volatile long killAt = Long.MAX_VALUE;

    /**
     * @param java the start of each rank's command line: the {@code java} binary, JVM options, class path and main
     *             class ({@link #thisJvm} gives this JVM's)
     */
    public Launcher(Spec spec, List<String> java, PrintWriter out, PrintWriter err) {
        this.spec = spec;
        this.javaCommand = List.copyOf(java);
        this.out = out;
        this.err = err;
    }

    /** The command line that starts {@code mainClass} in a JVM like this one (its binary, options and class path). */
    public static List<String> thisJvm(String mainClass, int ranksPerNode) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        boolean cores = false;
        try {
            for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (a.startsWith("-agentlib:jdwp") || a.startsWith("-Xrunjdwp")) continue; // one debugger port, not N
                if (a.startsWith("-XX:ActiveProcessorCount")) cores = true;
                cmd.add(a);
            }
        } catch (LinkageError e) {
            // a runtime without java.management: the ranks get the default options
        }
        if (!cores && ranksPerNode > 1) {
            cmd.add("-XX:ActiveProcessorCount=" + Math.max(1, Runtime.getRuntime().availableProcessors() / ranksPerNode));
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        return cmd;
    }

    /** Runs the node's ranks to their end; returns the exit status of the job on this node. */
    public int run(Map<String, String> extraEnv) {
        List<sun.misc.Signal> signals = new ArrayList<>();
        List<sun.misc.SignalHandler> previous = new ArrayList<>();
        Thread hook = new Thread(this::killAll, "bottleneck-launch-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            for (String name : new String[] {"INT", "TERM", "HUP"}) {
                try {
                    sun.misc.Signal s = new sun.misc.Signal(name);
                    previous.add(sun.misc.Signal.handle(s, this::onSignal));
                    signals.add(s);
                } catch (IllegalArgumentException e) {
                    // the JVM keeps this one (-Xrs, or not on this platform)
                }
            }
            start(extraEnv);
            return waitForRanks();
        } finally {
            killAll();
            for (Thread t : pumps) {
                try {
                    t.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            for (int i = 0; i < signals.size(); i++) sun.misc.Signal.handle(signals.get(i), previous.get(i));
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already
            }
            out.flush();
            err.flush();
        }
    }

    private void start(Map<String, String> extraEnv) {
        int n = spec.nprocPerNode();
        err.println(String.format(Locale.ROOT, "launch: %d %s on node %d of %d (ranks %d-%d of %d), master %s:%d", n, n == 1 ? "rank" : "ranks",
                spec.nodeRank(), spec.nnodes(), spec.nodeRank() * n, spec.nodeRank() * n + n - 1, spec.worldSize(),
                spec.masterAddr(), spec.masterPort()));
        err.flush();
        for (int local = 0; local < n; local++) {
            int rank = spec.nodeRank() * n + local;
            List<String> cmd = new ArrayList<>(javaCommand);
            cmd.addAll(spec.command());
            ProcessBuilder pb = new ProcessBuilder(cmd);
            Map<String, String> env = pb.environment();
            env.putAll(extraEnv);
            env.put("RANK", Integer.toString(rank));
            env.put("WORLD_SIZE", Integer.toString(spec.worldSize()));
            env.put("LOCAL_RANK", Integer.toString(local));
            env.put("LOCAL_WORLD_SIZE", Integer.toString(n));
            env.put("GROUP_RANK", Integer.toString(spec.nodeRank()));
            env.put("MASTER_ADDR", spec.masterAddr());
            env.put("MASTER_PORT", Integer.toString(spec.masterPort()));
            if (spec.rendezvousS() != null) env.put(Timeouts.RENDEZVOUS_ENV, Double.toString(spec.rendezvousS()));
            if (spec.collectiveS() != null) env.put(Timeouts.COLLECTIVE_ENV, Double.toString(spec.collectiveS()));
            env.remove(DistEnv.OFF_SWITCH);
            env.put(DistributedRun.LAUNCHER_ENV, Long.toString(ProcessHandle.current().pid()));
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                stop();
                throw new BottleneckException("launch cannot start rank " + rank + " (" + cmd.get(0) + "): " + e.getMessage());
            }
            int index = local;
            synchronized (procs) {
                procs.add(p);
            }
            p.onExit().thenRun(() -> exits.add(index));
            String prefix = rank == 0 ? "" : "[rank " + rank + "] ";
            pump(p.getInputStream(), out, prefix, "out-" + rank, -1);
            errorPumps.put(local, pump(p.getErrorStream(), err, prefix, "err-" + rank, local));
        }
    }

    private Thread pump(InputStream in, PrintWriter to, String prefix, String name, int errorsOf) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (errorsOf >= 0 && (line.startsWith("error: ") || line.startsWith("internal error: "))) {
                        lastErrors.put(errorsOf, line.startsWith("error: ") ? line.substring(7) : line);
                    }
                    synchronized (to) {
                        to.println(prefix + line);
                        to.flush();
                    }
                }
            } catch (IOException ignored) {
                // the rank is gone
            }
        }, "bottleneck-launch-" + name);
        t.setDaemon(true);
        t.start();
        pumps.add(t);
        return t;
    }

    private int waitForRanks() {
        int n = procs.size();
        boolean[] done = new boolean[n];
        int left = n, failedStatus = 0;
        while (left > 0) {
            Integer next;
            try {
                next = exits.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                if (stoppedBy == null) stoppedBy = "INT"; // the launcher itself is being stopped
                killAll();
                next = null;
            }
            if (next != null && !done[next]) {
                int i = next;
                Process p = procs.get(i);
                done[i] = true;
                left--;
                int status = p.exitValue();
                if (status != 0 && failedStatus == 0 && stoppedBy == null) {
                    failedStatus = status;
                    int rank = spec.nodeRank() * spec.nprocPerNode() + i;
                    try {
                        errorPumps.get(i).join(1_000); // its last words, which usually say what went wrong
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    String why = lastErrors.get(i);
                    err.println("error: rank " + rank + " (pid " + p.pid() + ") " + describeStatus(status)
                            + (why == null ? "" : " (" + why + ")") + (left > 0 ? "; stopping the other ranks" : ""));
                    err.flush();
                    stop();
                }
            }
            if (System.nanoTime() > killAt) killAll();
        }
        if (stoppedBy != null) return 128 + signalNumber(stoppedBy);
        return failedStatus;
    }

    /** {@code exited with status 1}, {@code was killed by SIGKILL (status 137)}. */
    static String describeStatus(int status) {
        if (status > 128 && status < 128 + 65) {
            String name = switch (status - 128) {
                case 1 -> "SIGHUP";
                case 2 -> "SIGINT";
                case 6 -> "SIGABRT";
                case 9 -> "SIGKILL";
                case 11 -> "SIGSEGV";
                case 15 -> "SIGTERM";
                default -> "signal " + (status - 128);
            };
            return "was killed by " + name + " (status " + status + ")";
        }
        return "exited with status " + status;
    }

    private static int signalNumber(String name) {
        return switch (name) {
            case "HUP" -> 1;
            case "INT" -> 2;
            default -> 15;
        };
    }

    private void onSignal(sun.misc.Signal s) {
        if (stoppedBy != null) {
            killAll(); // a second signal: no more waiting
            return;
        }
        stoppedBy = s.getName();
        err.println("launch: forwarding SIG" + s.getName() + " to every rank");
        err.flush();
        List<Process> live;
        synchronized (procs) {
            live = new ArrayList<>(procs);
        }
        for (Process p : live) {
            if (!p.isAlive()) continue;
            if (s.getName().equals("TERM")) {
                p.toHandle().destroy(); // Process.destroy would also close the pipes we read its last words from
            } else {
                try {
                    new ProcessBuilder("kill", "-" + s.getName(), Long.toString(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
                } catch (IOException e) {
                    p.toHandle().destroy();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        killAt = System.nanoTime() + (long) (spec.graceS() * 1e9);
    }

    /** SIGTERM to every rank still running, SIGKILL after the grace period. */
    private void stop() {
        List<Process> live;
        synchronized (procs) {
            live = new ArrayList<>(procs);
        }
        for (Process p : live) if (p.isAlive()) p.toHandle().destroy();
        killAt = Math.min(killAt, System.nanoTime() + (long) (spec.graceS() * 1e9));
    }

    private void killAll() {
        List<Process> live;
        synchronized (procs) {
            live = new ArrayList<>(procs);
        }
        for (Process p : live) if (p.isAlive()) p.toHandle().destroyForcibly();
    }
}
