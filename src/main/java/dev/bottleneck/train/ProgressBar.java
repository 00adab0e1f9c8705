package dev.bottleneck.train;

import java.io.PrintStream;

/**
 * A one-line terminal progress bar (samples/s and running loss), redrawn at the loop's sync points but at most
 * ten times a second, and cleared at the end of every epoch.
 */
public final class ProgressBar implements TrainingListener {
    private final PrintStream out;
    private final boolean enabled;
    private long lastDraw;

    /** @param enabled false gives a listener that prints nothing */
    public ProgressBar(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
    }

    @Override
    public void onSync(LoopContext ctx, SyncPoint p) {
        update(p.epoch() + 1, ctx.epochs(), p.samplesDone(), p.samples(), p.samplesPerSecond(), p.meanLoss(), p.last());
        if (p.last()) endLine();
    }

    void update(int epoch, int epochs, long done, long total, double samplesPerSecond, double loss, boolean force) {
        if (!enabled) return;
        long now = System.nanoTime();
        if (!force && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        int width = 28;
        int filled = (int) Math.round(width * (double) done / Math.max(1, total));
        StringBuilder bar = new StringBuilder();
        for (int i = 0; i < width; i++) bar.append(i < filled ? '=' : (i == filled ? '>' : ' '));
        out.printf("\repoch %d/%d [%s] %d/%d  %,.0f samples/s  loss %.5f   ", epoch, epochs, bar, done, total,
                samplesPerSecond, loss);
        out.flush();
    }

    void endLine() {
        if (enabled) {
            out.print("\r" + " ".repeat(100) + "\r");
            out.flush();
        }
    }
}
