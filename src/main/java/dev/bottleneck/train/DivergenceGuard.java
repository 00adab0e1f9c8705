package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;

import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * Stops training when the accumulated loss is NaN or infinite at a sync point, naming the epoch and the steps the
 * read covered (one step where the loop syncs every step, else the range since the previous read).
 */
public final class DivergenceGuard implements TrainingListener {
    private final DoubleFunction<String> advice;

    /** With the advice of the {@code train} command: lower the learning rate or clip, and check the data. */
    public DivergenceGuard() {
        this(lr -> String.format(Locale.ROOT,
                "lower the learning rate (now %.3g) or set --clip-norm, and check the data for NaN/Inf", lr));
    }

    /** @param advice what to do about it, given the epoch's learning rate; appended to the message */
    public DivergenceGuard(DoubleFunction<String> advice) {
        this.advice = advice;
    }

    @Override
    public void onSync(LoopContext ctx, SyncPoint p) {
        if (Double.isFinite(p.lossSum())) return;
        String where = p.everyStep() ? "step " + p.step() : "steps " + p.firstStep() + "-" + p.step();
        throw new BottleneckException(String.format(Locale.ROOT, "training diverged: the loss became %s at epoch %d, %s of %d; %s",
                p.lossSum(), p.epoch() + 1, where, p.steps(), advice.apply(p.lr())));
    }
}
