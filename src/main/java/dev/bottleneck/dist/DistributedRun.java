package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.CollectiveSupport;
import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.train.DataParallel;
import dev.bottleneck.train.TrainState;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What a training command does differently as one rank of a job, in the order it needs it:
 * <ol>
 *   <li>{@link #fromEnvironment}: is this process part of a job ({@link DistEnv})? A plain run gets an inactive
 *       object whose methods change nothing;</li>
 *   <li>{@link #join}: the rendezvous (before the data is loaded, so a missing rank is reported early);</li>
 *   <li>{@link #globalBatch}, {@link #writer}: the batch the loop runs with, and whether this rank writes files;</li>
 *   <li>{@link #checkResume} on rank 0 before it loads a checkpoint;</li>
 *   <li>{@link #start}: the collective (the backend's own when every rank has it, else the TCP ring) and rank 0's
 *       weights, optimizer state and training state on every rank;</li>
 *   <li>{@link #dataParallel} for the loop; {@link #failed} when the command fails; {@link #close} at the end.</li>
 * </ol>
 */
public final class DistributedRun implements AutoCloseable {
    /** {@code tcp} makes the ranks use the TCP ring even where the backend has its own collectives. */
    public static final String COLLECTIVE_ENV = "BOTTLENECK_COLLECTIVE";
    /** Set by {@code bottleneck launch} to its own process id: a rank whose launcher is gone stops. */
    public static final String LAUNCHER_ENV = "BOTTLENECK_LAUNCHER_PID";

    private final DistEnv env;
    private final Timeouts timeouts;
    private final Map<String, String> environment;
    private ProcessGroup group;
    private Collective collective;
    private DistributedDataParallel ddp;
    private Consumer<String> fatal = DistributedRun::endProcess;

    private DistributedRun(DistEnv env, Timeouts timeouts, Map<String, String> environment) {
        this.env = env;
        this.timeouts = timeouts;
        this.environment = environment;
    }

    /**
     * The job described by {@code environment} ({@link DistEnv#fromEnvironment}), with timeouts from the options where
     * given, else from the environment ({@link Timeouts#resolve}).
     */
    public static DistributedRun fromEnvironment(Map<String, String> environment, Double rendezvousS, Double collectiveS) {
        Optional<DistEnv> e = DistEnv.fromEnvironment(environment);
        Timeouts t = e.isPresent() ? Timeouts.resolve(rendezvousS, collectiveS, environment) : null; // a plain run needs none
        return new DistributedRun(e.orElse(null), t, environment);
    }

    /** Rank {@code env.rank()} of an explicitly described job (tests, embedding). */
    public static DistributedRun of(DistEnv env, Timeouts timeouts) {
        return of(env, timeouts, Map.of());
    }

    /** The same, with settings such as {@link #COLLECTIVE_ENV} taken from {@code settings}. */
    public static DistributedRun of(DistEnv env, Timeouts timeouts, Map<String, String> settings) {
        return new DistributedRun(env, timeouts, Map.copyOf(settings));
    }

    /** Whether this process is a rank of a job (a job of one rank counts). */
    public boolean active() { return env != null; }

    public int rank() { return env == null ? 0 : env.rank(); }

    public int worldSize() { return env == null ? 1 : env.worldSize(); }

    /** Rank 0, or a plain run: writes checkpoints, metrics, pictures, and prints the results. */
    public boolean writer() { return env == null || env.writer(); }

    public DistEnv env() { return env; }

    /** Meets the other ranks; logs one line on success. */
    public void join(Consumer<String> log) {
        if (env == null || group != null) return;
        long t0 = System.nanoTime();
        group = ProcessGroup.join(env, timeouts);
        watchLauncher();
        log.accept(String.format(Locale.ROOT, "distributed: %d %s joined at %s:%d (%s) in %.1f s", env.worldSize(),
                env.worldSize() == 1 ? "rank" : "ranks", env.masterAddr(), env.masterPort(), env.origin(), (System.nanoTime() - t0) / 1e9));
    }

    /**
     * Runs a command as this rank: joins the job, runs {@code body}, tells the other ranks if it fails, and leaves
     * the job. A plain run just runs {@code body}.
     */
    public <T> T call(Consumer<String> log, Supplier<T> body) {
        try {
            join(log);
            try {
                return body.get();
            } catch (RuntimeException e) {
                failed(e);
                String why = abortReason();
                // a rank stopped because of another: the other's failure is the news, not what it broke here
                if (why != null && !why.equals(e.getMessage())) throw new BottleneckException(why, e);
                throw e;
            } catch (Error e) {
                failed(e);
                throw e;
            }
        } finally {
            close();
        }
    }

    /** Fails when the training split has fewer samples than one global batch. */
    public void checkEnoughSamples(int samples, int perRank) {
        if (env == null || worldSize() == 1) return;
        long global = (long) perRank * worldSize();
        if (samples < global) {
            throw new BottleneckException("the training split has " + samples + " samples, fewer than one global batch of " + global
                    + " (" + worldSize() + " ranks × --batch " + perRank + "); pass --batch " + Math.max(1, samples / worldSize()) + " or less");
        }
    }

    /**
     * A rank started by {@code bottleneck launch} stops when the launcher is gone (killed with SIGKILL, say): nobody
     * would see its output or stop it otherwise. The other ranks then learn from the job's store that it left.
     */
    private void watchLauncher() {
        String pid = environment.get(LAUNCHER_ENV);
        if (pid == null || pid.isBlank()) return;
        Optional<ProcessHandle> launcher;
        try {
            launcher = ProcessHandle.of(Long.parseLong(pid.trim()));
        } catch (NumberFormatException e) {
            return;
        }
        if (launcher.isEmpty()) return;
        ProcessHandle h = launcher.get();
        Thread t = new Thread(() -> {
            while (h.isAlive()) {
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.err.println("error: rank " + rank() + ": its launcher (pid " + pid.trim() + ") is gone; stopping");
            System.err.flush();
            System.exit(1);
        }, "bottleneck-launcher-watch");
        t.setDaemon(true);
        t.start();
    }

    /** The batch of all ranks together, given the batch of one. */
    public int globalBatch(int perRank) {
        return DistributedDataParallel.globalBatch(perRank, worldSize());
    }

    /**
     * Refuses to resume a checkpoint written with another global batch: its config.json {@code distributed} section
     * (if any) names the world size and batch per rank it was trained with. A different world size with the same
     * global batch takes the same steps and is accepted.
     */
    public void checkResume(Map<String, Object> savedConfig, int perRank) {
        Object d = savedConfig.get("distributed");
        int savedWorld = 1, savedPerRank;
        if (d instanceof Map) {
            Map<String, Object> m = MapValues.map(d, "config.json 'distributed'");
            savedWorld = MapValues.intValue(m.get("world_size"), "config.json 'distributed.world_size'", 1, Integer.MAX_VALUE);
            savedPerRank = MapValues.intValue(m.get("per_rank_batch"), "config.json 'distributed.per_rank_batch'", 1, Integer.MAX_VALUE);
        } else {
            return; // a single-process checkpoint: its batch is whatever the command line says, as before
        }
        long savedGlobal = (long) savedWorld * savedPerRank, global = (long) worldSize() * perRank;
        if (savedGlobal != global) {
            String fix = savedGlobal % worldSize() == 0
                    ? "pass --batch " + savedGlobal / worldSize() + " to continue it on " + worldSize() + (worldSize() == 1 ? " rank" : " ranks")
                    : "resume it on a world size that divides " + savedGlobal;
            throw new BottleneckException("--resume: the checkpoint was trained by " + savedWorld + (savedWorld == 1 ? " rank" : " ranks")
                    + " with --batch " + savedPerRank + " (global batch " + savedGlobal + "), this job has " + worldSize()
                    + (worldSize() == 1 ? " rank" : " ranks") + " with --batch " + perRank + " (global batch " + global
                    + "), which would take different steps: " + fix);
        }
    }

    /**
     * Sets up the collective on {@code backend} and makes every rank start from rank 0's state; returns the training
     * state to fit from (rank 0's {@code rank0State}, on every rank). A plain run returns {@code rank0State} as is.
     */
    public TrainState start(Backend backend, ParameterStore params, Optimizer optimizer, TrainState rank0State, Consumer<String> log) {
        if (env == null) return rank0State;
        if (collective != null) throw new IllegalStateException("already started");
        // the ranks must run the same loop: the same backend kind, the same parameter arena
        String mine = backend.name() + " " + params.size();
        String first = new String(group.broadcastBytes(mine.getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, "the backend of rank 0"),
                java.nio.charset.StandardCharsets.UTF_8);
        if (!first.equals(mine)) {
            String[] f = first.split(" ");
            throw new BottleneckException("rank " + rank() + " trains " + params.size() + " parameters on the " + backend.name()
                    + " backend, rank 0 trains " + f[1] + " on the " + f[0] + " backend: every rank needs the same model and --backend");
        }
        CollectiveSupport support = backend.collectives();
        String forced = environment.getOrDefault(COLLECTIVE_ENV, "");
        String mineWhyNot = support == null ? null : support.unavailable();
        boolean canDevice = support != null && mineWhyNot == null && !forced.equalsIgnoreCase("tcp");
        // every rank must pick the same kind; the backend's own only when all of them can use it
        double able = group.sumThroughStore(new double[] {canDevice ? 1 : 0}, timeouts.rendezvousMs())[0];
        if (able == worldSize()) {
            collective = DeviceCollective.open(group, backend, fatal);
        } else {
            collective = TcpRing.open(group, backend);
            if (support != null) {
                String why = forced.equalsIgnoreCase("tcp") ? COLLECTIVE_ENV + "=tcp"
                        : mineWhyNot != null ? support.library() + " cannot be used: " + mineWhyNot
                        : (worldSize() - (int) able) + " of the ranks cannot use " + support.library();
                log.accept("distributed: gradients go through the host (" + why + ")");
            }
        }
        ddp = new DistributedDataParallel(group, collective);
        TrainState state = ddp.start(params, optimizer, rank0State);
        group.barrier("training starts");
        log.accept("distributed: gradients averaged by " + collective.describe() + ", one all-reduce of " + params.size()
                + " values per step");
        return state;
    }

    /** The loop's view of this rank (null for a plain run). */
    public DataParallel dataParallel() {
        return ddp;
    }

    /** The config.json section of a job (null for a plain run). */
    public Map<String, Object> describe(int perRank) {
        if (env == null) return null;
        return Json.object("world_size", worldSize(), "per_rank_batch", perRank, "global_batch", globalBatch(perRank),
                "collective", collective == null ? null : collective.describe());
    }

    /** Why the job ended early (a rank left or failed, a collective was aborted), or null while it runs. */
    public String abortReason() {
        if (collective instanceof DeviceCollective d && d.abortReason() != null) return d.abortReason();
        return group == null ? null : group.abortReason();
    }

    /** Tells the other ranks that this one failed, so that they stop and say why instead of waiting. */
    public void failed(Throwable t) {
        if (group == null) return;
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        group.fail(m);
    }

    @Override
    public void close() {
        try {
            if (collective != null) collective.close();
        } finally {
            if (group != null) group.close();
        }
    }

    /** Replaces the watchdog's last resort (tests, which must not end their JVM). */
    void onFatal(Consumer<String> f) {
        this.fatal = f;
    }

    ProcessGroup group() {
        return group;
    }

    /** The watchdog's last resort: the training thread is stuck in the device, so the process ends here. */
    private static void endProcess(String reason) {
        System.err.println("error: " + reason);
        System.err.flush();
        Runtime.getRuntime().halt(1);
    }
}
