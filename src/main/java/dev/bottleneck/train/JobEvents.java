package dev.bottleneck.train;

import dev.bottleneck.io.Json;
import java.util.Map;

/**
 * Reports the run to {@link LoopContext#events()}: {@code fit_start}, {@code step} (at sync points, at most one a
 * second, the first always), {@code epoch} and {@code fit_end}. Checkpoints report themselves
 * ({@link Checkpointer}). Does nothing when no one listens.
 */
public final class JobEvents implements TrainingListener {
    /** Least time between two {@code step} events. */
    public static final long STEP_EVERY_NANOS = 1_000_000_000L;

    private long lastStep;
    private boolean stepSeen;

    @Override
    public void onFitStart(LoopContext ctx) {
        stepSeen = false;
        if (ctx.events() == EventSink.NONE) return;
        TrainState s = ctx.state();
        Map<String, Object> m = Json.object("epochs", ctx.epochs(), "epochs_done", s.epochsDone,
                "step_in_epoch", s.stepInEpoch, "global_step", s.globalStep, "steps_per_epoch", ctx.stepsPerEpoch(),
                "samples_per_epoch", ctx.samplesPerEpoch(), "run_id", s.runId);
        ctx.events().emit("fit_start", m);
    }

    @Override
    public void onSync(LoopContext ctx, SyncPoint p) {
        if (ctx.events() == EventSink.NONE) return;
        long now = System.nanoTime();
        if (stepSeen && now - lastStep < STEP_EVERY_NANOS) return;
        stepSeen = true;
        lastStep = now;
        Map<String, Object> m = Json.object("epoch", p.epoch() + 1, "epochs", ctx.epochs(), "step", p.step(),
                "steps", p.steps(), "global_step", ctx.globalStep(), "loss", EventSink.number(p.meanLoss()),
                "samples_per_s", Double.isFinite(p.samplesPerSecond()) ? Math.round(p.samplesPerSecond()) : null,
                "lr", EventSink.number(p.lr()));
        ctx.events().emit("step", m);
    }

    @Override
    public void onEpochEnd(LoopContext ctx, EpochMetrics e) {
        if (ctx.events() == EventSink.NONE) return;
        Map<String, Object> m = Json.object("epoch", e.epoch(), "epochs", ctx.epochs(), "global_step", ctx.globalStep(),
                "train_loss", EventSink.number(e.trainLoss()), "val_loss", EventSink.number(e.valLoss()),
                "lr", EventSink.number(e.lr()),
                "samples_per_s", Double.isFinite(e.samplesPerSecond()) ? Math.round(e.samplesPerSecond()) : null,
                "seconds", EventSink.number(Math.round(e.seconds() * 1000) / 1000.0));
        if (!Double.isNaN(e.meanCodeActivation())) m.put("mean_code_activation", e.meanCodeActivation());
        m.put("best_epoch", ctx.state().bestEpoch);
        m.put("stopped_early", ctx.state().stoppedEarly);
        ctx.events().emit("epoch", m);
    }

    @Override
    public void onFitEnd(LoopContext ctx, TrainingLoop.Result r) {
        if (ctx.events() == EventSink.NONE) return;
        Map<String, Object> m = Json.object("epochs_done", r.state().epochsDone, "global_step", r.state().globalStep,
                "stopped_early", r.state().stoppedEarly, "train_loss", EventSink.number(r.trainLoss()),
                "val_loss", EventSink.number(r.valLoss()));
        ctx.events().emit("fit_end", m);
    }
}
