package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;

import java.nio.file.Path;

/**
 * Thrown by {@link TrainingLoop#fit} when the run was asked to stop ({@link Preemption}: SIGTERM, SIGINT) and has
 * finished its current step and written its checkpoint. The message is the line the command line prints:
 * {@code interrupted at epoch 3, step 12 of 27; checkpoint written; rerun the same command to continue}.
 */
public final class TrainingInterrupted extends BottleneckException {
    private final String signal;
    private final int exitStatus;
    private final int epoch;
    private final int step;
    private final int steps;
    private final Path checkpoint;

    /**
     * @param epoch      the epoch in progress, 1-based (the one just finished when {@code step == steps})
     * @param step       steps of that epoch done
     * @param checkpoint the checkpoint that holds this position, or null when the run writes none
     */
    public TrainingInterrupted(String signal, int exitStatus, int epoch, int step, int steps, Path checkpoint) {
        super(line(epoch, step, steps, checkpoint, "rerun the same command to continue"));
        this.signal = signal;
        this.exitStatus = exitStatus;
        this.epoch = epoch;
        this.step = step;
        this.steps = steps;
        this.checkpoint = checkpoint;
    }

    private static String line(int epoch, int step, int steps, Path checkpoint, String advice) {
        return "interrupted at epoch " + epoch + ", step " + step + " of " + steps + "; "
                + (checkpoint != null ? "checkpoint written; " + advice : "no checkpoint written (no output directory)");
    }

    /** The message with other advice after "checkpoint written; " (for a command that does not resume by itself). */
    public String line(String advice) {
        return line(epoch, step, steps, checkpoint, advice);
    }

    /** TERM or INT (or what {@link Preemption#request} was given). */
    public String signal() { return signal; }

    /** 143 for SIGTERM, 130 for SIGINT. */
    public int exitStatus() { return exitStatus; }

    public int epoch() { return epoch; }
    public int step() { return step; }
    public int steps() { return steps; }
    public Path checkpoint() { return checkpoint; }
}
