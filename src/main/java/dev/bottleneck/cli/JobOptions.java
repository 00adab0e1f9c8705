package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.train.Checkpoint;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.Preemption;
import dev.bottleneck.train.Resume;
import dev.bottleneck.train.RunDirectory;
import dev.bottleneck.train.TrainOptions;
import dev.bottleneck.train.TrainingInterrupted;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Stack;

/**
 * The options of commands that train, for long jobs that a scheduler may stop and restart: {@code --resume [auto]},
 * {@code --allow-changed}, {@code --checkpoint-every} and {@code --log-format}. {@link #run} wraps such a command:
 * it handles SIGTERM/SIGINT ({@link Preemption}), holds the output directory ({@link RunDirectory}) and turns an
 * interrupted training into its one line and exit status (143, 130).
 */
final class JobOptions {
    @Option(names = "--resume", arity = "0..1", paramLabel = "auto", parameterConsumer = ResumeValue.class,
            description = {"Continue the training saved in --out exactly where it stopped (refused, naming the difference, when "
                    + "the data, model or settings differ; see --allow-changed).",
                    "--resume auto: continue when --out holds a checkpoint of this run, start afresh when it holds none, "
                            + "refuse an incompatible one (also $BOTTLENECK_RESUME=auto when --resume is not given)."})
    String resume;

    @Option(names = "--allow-changed", split = ",", paramLabel = "SETTING",
            description = "With --resume: settings that may differ from the checkpoint's, e.g. lr,epochs,batch,seed,data,schedule "
                    + "(a larger --epochs is always allowed).")
    List<String> allowChanged = new ArrayList<>();

    @Option(names = "--checkpoint-every", split = ",", paramLabel = "STEPS|DURATION",
            description = "Also checkpoint inside epochs: every STEPS optimizer steps and/or every DURATION (30s, 10m, 1h), "
                    + "e.g. 500 or 10m or 500,10m. Checkpoints are always written at epoch ends.")
    List<String> checkpointEvery = new ArrayList<>();

    @Option(names = "--log-format", defaultValue = "text", paramLabel = "text|json",
            description = "stderr as text (default) or JSON lines: one object per line for messages, steps, epochs, checkpoints, "
                    + "resume decisions and the result. The progress bar is off in JSON mode and whenever stderr is not a terminal.")
    String logFormat;

    private final List<RunDirectory> held = new ArrayList<>();

    /** Takes "auto" as the value of --resume, and nothing else (so that "--resume mnist" leaves "mnist" alone). */
    static final class ResumeValue implements CommandLine.IParameterConsumer {
        @Override
        public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
            String v = "";
            if (!args.isEmpty() && args.peek().trim().equalsIgnoreCase("auto")) v = args.pop().trim();
            argSpec.setValue(v);
        }
    }

    /** The body of a training command. */
    @FunctionalInterface
    interface Body {
        Integer call();
    }

    Resume.Mode resumeMode() {
        return Resume.mode(resume, System.getenv());
    }

    /** The command's log on {@code err}, text or JSON lines as --log-format says. */
    Log log(PrintWriter err) {
        String f = logFormat == null ? "text" : logFormat.trim().toLowerCase(Locale.ROOT);
        if (!f.equals("text") && !f.equals("json")) throw new BottleneckException("--log-format must be text or json, got '" + logFormat + "'");
        return new Log(err, false, f.equals("json"));
    }

    /** The progress-bar setting: never with JSON logs, else the option (null: when stderr is a terminal). */
    Boolean progress(Boolean option) {
        return "json".equalsIgnoreCase(logFormat == null ? "" : logFormat.trim()) ? Boolean.FALSE : option;
    }

    /** Steps of --checkpoint-every (0 when only a duration or nothing was given). */
    long everySteps() {
        long steps = 0;
        for (String s : checkpointEvery) if (s.trim().matches("[0-9]+")) steps = parseSteps(s.trim());
        return steps;
    }

    /** Duration of --checkpoint-every (null when only steps or nothing was given). */
    Duration everyTime() {
        Duration d = null;
        for (String s : checkpointEvery) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            if (t.matches("[0-9]+")) continue;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|min|h)").matcher(t);
            if (!m.matches()) {
                throw new BottleneckException("--checkpoint-every '" + s + "': expected a number of steps (500) or a duration (30s, 10m, 1h)");
            }
            double v = Double.parseDouble(m.group(1));
            double seconds = switch (m.group(2)) {
                case "ms" -> v / 1000;
                case "s" -> v;
                case "m", "min" -> v * 60;
                default -> v * 3600;
            };
            if (seconds <= 0) throw new BottleneckException("--checkpoint-every '" + s + "': the duration must be positive");
            d = Duration.ofNanos(Math.round(seconds * 1e9));
        }
        return d;
    }

    private static long parseSteps(String s) {
        try {
            long v = Long.parseLong(s);
            if (v < 1) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new BottleneckException("--checkpoint-every '" + s + "': the number of steps must be at least 1");
        }
    }

    /** Holds {@code dir} until the command ends (see {@link RunDirectory}); fails at once when another process holds it. */
    void hold(Path dir, Log log) {
        held.add(RunDirectory.open(dir, log::info));
    }

    FitConfig apply(FitConfig c) {
        return c.checkpointEvery(everySteps(), everyTime());
    }

    /** An application's training options with these settings (resume mode, allowed changes, checkpoints, events). */
    TrainOptions apply(TrainOptions o, Log log) {
        return o.resume(resumeMode()).allowChanged(allowChanged).checkpointEvery(everySteps(), everyTime()).events(log);
    }

    /**
     * Runs a training command: handles SIGTERM and SIGINT, checks that plain --resume has something to resume (before
     * anything is created), holds {@code out} (when known before the data loads) for the whole command, and turns
     * an interrupted training into its line and exit status. In JSON mode an error is an {@code error} event.
     */
    int run(Log log, Path out, Body body) {
        Preemption.install();
        if (Preemption.ignoredByParent().contains("TERM")) {
            log.info("note: SIGTERM is ignored by this process (its parent ignores it), so a scheduler cannot stop the training cleanly");
        }
        Resume.Mode mode = resumeMode();
        everySteps();
        everyTime();
        try {
            if (out != null) {
                if (mode == Resume.Mode.ALWAYS) Checkpoint.requireResumable(out);
                hold(out, log);
            }
            return body.call();
        } catch (TrainingInterrupted e) {
            String line = mode == Resume.Mode.NEVER ? e.line("rerun it with --resume auto to continue") : e.getMessage();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("message", line);
            m.put("signal", e.signal());
            m.put("epoch", e.epoch());
            m.put("step", e.step());
            m.put("steps", e.steps());
            m.put("checkpoint", e.checkpoint() == null ? null : e.checkpoint().toString());
            m.put("exit_status", e.exitStatus());
            if (log.json()) log.emit("interrupted", m); else log.info(line);
            return e.exitStatus();
        } catch (BottleneckException e) {
            if (!log.json()) throw e;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("message", e.getMessage());
            m.put("exit_status", 1);
            log.emit("error", m);
            return 1;
        } finally {
            for (RunDirectory d : held) d.close();
            held.clear();
        }
    }
}
