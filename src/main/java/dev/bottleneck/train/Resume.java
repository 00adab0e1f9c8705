package dev.bottleneck.train;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Json;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.optim.Optimizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Decides whether a training continues the checkpoint in its run directory, and loads it: the weights, the
 * optimizer state and the position ({@link TrainState}).
 *
 * <p>A resume continues the same run or refuses. The checkpoint's {@code config.json} (model spec, data source,
 * the application's settings) and the loop settings in its {@code trainer.json} ({@link FitConfig#toMap()}) are
 * compared with the run about to start, and any difference is refused with a one-line error naming the setting and
 * both values, unless it is in {@link #allowChanged} (the deliberate changes: a lower learning rate, a larger
 * batch...). Two differences pass without being named: a larger {@code epochs} (that is what continuing a run to more
 * epochs means; a cosine schedule spans the epochs, so there it is a difference of its own), and the backend and
 * metrics-file format, which change no weight. The training data is compared by fingerprint when the loop starts
 * ({@link BatchSource#fingerprint()}).
 *
 * <p>Modes ({@link Mode}): {@code --resume} requires a checkpoint; {@code --resume auto} (or
 * {@code BOTTLENECK_RESUME=auto}) resumes when there is one, starts afresh when there is none, and refuses an
 * incompatible one, so that a job restarted with the same command line continues where it stopped and never mixes
 * two runs. Directories of older versions (trainer.json at the top, no {@code checkpoints/}) resume from their top-level
 * files.
 */
public final class Resume {
    /** The environment variable that turns on {@code --resume auto} for commands that do not say otherwise. */
    public static final String ENV = "BOTTLENECK_RESUME";

    public enum Mode {
        /** Start afresh (a checkpoint in the directory is replaced at this run's first checkpoint). */
        NEVER,
        /** Continue the checkpoint; fail when there is none. */
        ALWAYS,
        /** Continue a compatible checkpoint, start afresh without one, refuse an incompatible one. */
        AUTO
    }

    /**
     * The mode of a command: its {@code --resume} option ({@code null} when not given, empty for plain
     * {@code --resume}, {@code auto}), else the environment's {@value #ENV} ({@code auto}, or empty/{@code never}).
     */
    public static Mode mode(String option, Map<String, String> env) {
        if (option != null) {
            String o = option.trim().toLowerCase(Locale.ROOT);
            if (o.isEmpty()) return Mode.ALWAYS;
            if (o.equals("auto")) return Mode.AUTO;
            throw new BottleneckException("--resume takes no value or 'auto', got '" + option + "'");
        }
        String e = env.get(ENV);
        if (e == null) return Mode.NEVER;
        switch (e.trim().toLowerCase(Locale.ROOT)) {
            case "auto": return Mode.AUTO;
            case "": case "never": case "0": case "no": case "false": return Mode.NEVER;
            default: throw new BottleneckException(ENV + " must be 'auto' (or empty), got '" + e + "'");
        }
    }

    /** What a run directory's checkpoint holds, read (and for units, checked against the manifest) before loading. */
    public record Saved(Path dir, boolean legacy, TrainState state, Map<String, Object> config, Map<String, Object> settings) {
        String where(Path runDir) {
            return legacy ? runDir.toString() : dir.toString();
        }
    }

    /** One setting that differs between the checkpoint and the run about to start. */
    public record Difference(String setting, String path, Object saved, Object now) {
        /** "lr is 0.001 in the checkpoint, 0.0005 now". */
        public String describe() {
            String last = path.substring(path.lastIndexOf('.') + 1);
            boolean obvious = normalise(last).equals(setting) && !path.contains("schedule")
                    && (path.startsWith("training.") || !path.contains("."));
            return setting + (obvious ? "" : " (" + path + ")") + " is " + text(saved) + " in the checkpoint, " + text(now) + " now";
        }

        private static String text(Object v) {
            if (v == null) return "not set";
            if (v instanceof Double || v instanceof Float) {
                double d = ((Number) v).doubleValue();
                return Double.isFinite(d) ? java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString() : String.valueOf(d);
            }
            return v instanceof String s ? s : Json.writeCompact(v);
        }
    }

    private final Path dir;
    private Mode mode = Mode.ALWAYS;
    private Set<String> allowed = Set.of();
    private Consumer<String> log = s -> { };
    private EventSink events = EventSink.NONE;

    private Resume(Path dir) {
        this.dir = dir;
    }

    /** A resume of the run directory {@code dir}. */
    public static Resume in(Path dir) {
        return new Resume(dir);
    }

    public Resume mode(Mode m) { mode = m; return this; }

    /**
     * Settings that may differ from the checkpoint's: names as the command line spells them ({@code lr},
     * {@code epochs}, {@code batch}, {@code seed}, {@code data}, {@code schedule}, {@code weight-decay}, ...).
     */
    public Resume allowChanged(Collection<String> names) {
        Set<String> s = new LinkedHashSet<>();
        for (String n : names) if (!n.isBlank()) s.add(normalise(n));
        allowed = Set.copyOf(s);
        return this;
    }

    public Resume log(Consumer<String> l) { log = l == null ? s -> { } : l; return this; }

    public Resume events(EventSink e) { events = e == null ? EventSink.NONE : e; return this; }

    /** Whether {@code dir} holds a training to resume: a published checkpoint, or trainer.json of an older version. */
    public static boolean exists(Path dir) {
        return new CheckpointStore(dir).hasPublished() || Files.isRegularFile(dir.resolve(Checkpoint.STATE));
    }

    /** The checkpoint to resume, read and checked; null when the directory holds none. */
    public Saved find() {
        CheckpointStore store = new CheckpointStore(dir);
        if (store.hasPublished()) {
            CheckpointStore.Unit u = store.latest();
            TrainState state = Checkpoint.readState(u.dir());
            Map<String, Object> trainer = readMap(u.file(Checkpoint.STATE));
            @SuppressWarnings("unchecked")
            Map<String, Object> settings = trainer.get("settings") instanceof Map ? (Map<String, Object>) trainer.get("settings") : null;
            if (u.runId() != null && !u.runId().equals(state.runId)) {
                throw new BottleneckException("checkpoint " + u.dir() + " is damaged: its manifest and trainer.json name different runs");
            }
            return new Saved(u.dir(), false, state, Checkpoint.readConfig(u.dir()), settings);
        }
        if (!Files.isRegularFile(dir.resolve(Checkpoint.STATE))) return null;
        TrainState state = Checkpoint.readState(dir);
        Map<String, Object> config = Files.isRegularFile(dir.resolve(Checkpoint.CONFIG)) ? Checkpoint.readConfig(dir) : Map.of();
        @SuppressWarnings("unchecked")
        Map<String, Object> settings = config.get("training") instanceof Map ? (Map<String, Object>) config.get("training") : null;
        return new Saved(dir, true, state, config, settings);
    }

    /**
     * Applies the mode: returns the state to continue (weights and optimizer state loaded into {@code params} and
     * {@code optimizer}), or null to start afresh; throws when the mode requires a checkpoint that is not there or
     * the checkpoint belongs to a different run.
     *
     * @param config the config.json the run about to start would write
     * @param fit    its loop settings
     */
    public TrainState load(Map<String, Object> config, FitConfig fit, ParameterStore params, Optimizer optimizer) {
        if (mode == Mode.NEVER) {
            boolean there = exists(dir);
            if (there) {
                log.accept("note: starting afresh in " + dir + ", which holds a checkpoint of an earlier run; this run's first "
                        + "checkpoint replaces it (--resume or --resume auto would continue it instead)");
            }
            decision("fresh", null, there ? "not asked to resume (the checkpoint there is replaced)" : "not asked to resume");
            return null;
        }
        Saved saved = find();
        if (saved == null) {
            if (mode == Mode.ALWAYS) {
                decision("refused", null, "no checkpoint");
                throw new BottleneckException("--resume: no training to resume in " + dir + " (no " + CheckpointStore.DIR + "/"
                        + CheckpointStore.LATEST + " or " + Checkpoint.STATE + "); start it without --resume, or with --resume auto");
            }
            if (mode == Mode.AUTO) {
                log.accept("no checkpoint in " + dir + ": starting afresh");
                decision("fresh", null, "no checkpoint");
            }
            return null;
        }
        List<Difference> diffs = differences(saved, config, fit);
        List<Difference> refused = new ArrayList<>(), accepted = new ArrayList<>();
        for (Difference d : diffs) {
            if (allowed.contains(d.setting()) || growsEpochs(d)) accepted.add(d); else refused.add(d);
        }
        for (String a : allowed) {
            if (diffs.stream().noneMatch(d -> d.setting().equals(a)) && !a.equals("data")) {
                log.accept("note: --allow-changed " + a + ": the checkpoint does not differ in a setting of that name");
            }
        }
        if (!refused.isEmpty()) {
            decision("refused", saved, refused.get(0).describe());
            Set<String> names = new LinkedHashSet<>();
            for (Difference d : refused) names.add(d.setting());
            StringBuilder what = new StringBuilder();
            for (Difference d : refused) what.append(what.length() == 0 ? "" : "; ").append(d.describe());
            String where = saved.where(dir);
            throw new BottleneckException(mode == Mode.AUTO
                    ? "--resume auto: " + dir + " holds a checkpoint of a different run (" + what + "): train into another --out, "
                            + "remove " + dir + " to start afresh, or continue it with --allow-changed " + String.join(",", names)
                    : "--resume: the checkpoint " + where + " was trained with other settings (" + what + "): rerun with its settings, "
                            + "or add --allow-changed " + String.join(",", names) + " to continue with the new ones");
        }
        TrainState state = loadInto(saved, fit.restoreBest(), params, optimizer);
        state.dataChangeAllowed = allowed.contains("data");
        StringBuilder line = new StringBuilder(state.midEpoch()
                ? "resuming from " + state.describePosition() + " in " + dir
                : "resuming from epoch " + state.epochsDone + " of " + dir);
        if (saved.legacy()) line.append(" (a run directory of an older version)");
        for (Difference d : accepted) line.append("; ").append(d.describe());
        log.accept(line.toString());
        decision("resumed", saved, accepted.isEmpty() ? "same run" : accepted.get(0).describe());
        return state;
    }

    /**
     * Loads a found checkpoint without comparing settings: the weights (those of the best epoch when the run
     * stopped early and restores them) and the optimizer state, checking that they belong to the state's step.
     */
    public static TrainState loadInto(Saved saved, boolean restoreBest, ParameterStore params, Optimizer optimizer) {
        TrainState state = saved.state();
        Path weights = saved.dir().resolve(Checkpoint.MODEL);
        Path best = saved.dir().resolve(Checkpoint.BEST);
        if (state.stoppedEarly && restoreBest && Files.isRegularFile(best)) weights = best; // what the run ended with
        Checkpoint.loadWeights(weights, params);
        Checkpoint.loadOptimizer(saved.dir().resolve(Checkpoint.OPTIMIZER), optimizer);
        if (optimizer.steps() != state.globalStep) {
            throw new BottleneckException("checkpoint in " + saved.dir() + " is inconsistent: optimizer at step " + optimizer.steps()
                    + ", " + Checkpoint.STATE + " at step " + state.globalStep + " (files of two different checkpoints, left by an "
                    + "interrupted write of an older version): rerun without --resume to start afresh");
        }
        state.resumedFrom = saved.dir();
        return state;
    }

    private void decision(String decision, Saved saved, String reason) {
        Map<String, Object> m = Json.object("decision", decision, "mode", mode.name().toLowerCase(Locale.ROOT),
                "dir", dir.toString());
        if (saved != null) {
            m.put("checkpoint", saved.dir().toString());
            m.put("legacy", saved.legacy());
            m.put("epochs_done", saved.state().epochsDone);
            m.put("step_in_epoch", saved.state().stepInEpoch);
            m.put("global_step", saved.state().globalStep);
        }
        m.put("reason", reason);
        events.emit("resume", m);
    }

    /** A larger epoch count continues the run; only a cosine schedule depends on it, and that shows as its own path. */
    private static boolean growsEpochs(Difference d) {
        return d.setting().equals("epochs") && d.path().endsWith(".epochs") && !d.path().contains("schedule")
                && d.saved() instanceof Number a && d.now() instanceof Number b && b.longValue() > a.longValue();
    }

    /** Every setting that differs between the checkpoint and the run about to start, each setting named once. */
    public static List<Difference> differences(Saved saved, Map<String, Object> config, FitConfig fit) {
        List<Difference> out = new ArrayList<>();
        Map<String, Object> then = withoutIgnored(saved.config()), now0 = withoutIgnored(normalised(config));
        if (saved.settings() != null) {
            // the loop settings first (their names are the options'); config.json's copy of them would only repeat them
            Map<String, Object> before = new LinkedHashMap<>(saved.settings());
            Map<String, Object> now = normalised(fit.toMap());
            before.remove("metrics_format");
            now.remove("metrics_format");
            compare(Map.of("training", before), Map.of("training", now), "", out);
            then.remove("training");
            now0.remove("training");
        }
        compare(then, now0, "", out);
        Map<String, Difference> once = new LinkedHashMap<>();
        for (Difference d : out) once.putIfAbsent(d.setting() + ":" + d.saved() + "->" + d.now() + (growsEpochs(d) ? "" : ":fixed"), d);
        return List.copyOf(once.values());
    }

    private static Map<String, Object> withoutIgnored(Map<String, Object> m) {
        Map<String, Object> c = new LinkedHashMap<>(m);
        for (String k : List.of("backend", "results", "format", "format_version")) c.remove(k);
        return c;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> normalised(Map<String, Object> m) {
        return (Map<String, Object>) Json.parse(Json.writeCompact(m), LinkedHashMap.class, "settings");
    }

    @SuppressWarnings("unchecked")
    private static void compare(Object a, Object b, String path, List<Difference> out) {
        if (a instanceof Map && b instanceof Map) {
            Map<String, Object> ma = (Map<String, Object>) a, mb = (Map<String, Object>) b;
            Set<String> keys = new LinkedHashSet<>(ma.keySet());
            keys.addAll(mb.keySet());
            for (String k : keys) compare(ma.get(k), mb.get(k), path.isEmpty() ? k : path + "." + k, out);
            return;
        }
        if (same(a, b)) return;
        out.add(new Difference(settingOf(path), path, a, b));
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            boolean integral = !(x instanceof Double || x instanceof Float) && !(y instanceof Double || y instanceof Float);
            return integral ? x.longValue() == y.longValue() : x.doubleValue() == y.doubleValue();
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) return false;
            for (int i = 0; i < la.size(); i++) if (!same(la.get(i), lb.get(i))) return false;
            return true;
        }
        return Objects.equals(a, b);
    }

    /** The command-line name of the setting at a path of config.json or of the loop settings. */
    static String settingOf(String path) {
        String[] p = path.split("\\.");
        String head = p[0];
        if (head.equals("training") || head.equals("settings")) {
            if (p.length == 1) return "training";
            switch (p[1]) {
                case "optimizer": return p.length > 2 && !p[2].equals("name") ? normalise(p[2]) : "optimizer";
                case "schedule": return p.length > 2 && p[2].equals("epochs") ? "epochs" : "schedule";
                default: return normalise(p[1]);
            }
        }
        if (head.equals("data") && p.length > 1 && p[1].equals("seed")) return "seed"; // the split seed is --seed
        if (head.equals("model") || head.equals("data")) return head;
        return normalise(p.length > 1 ? p[1] : head);
    }

    static String normalise(String name) {
        return name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static Map<String, Object> readMap(Path f) {
        try {
            return Json.mapper().readValue(Files.readString(f), new TypeReference<Map<String, Object>>() { });
        } catch (java.io.IOException e) {
            throw new BottleneckException(f + " is not readable: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }
}
