package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Json;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Where training stands; saved as {@code trainer.json} with every checkpoint.
 *
 * <p>The position is {@code epochsDone} completed epochs plus {@code stepInEpoch} steps of the next one
 * ({@code globalStep} counts every step of the run). Together with the configuration that fixes everything else a
 * step depends on: the epoch's sample order is {@code Dataset.epochPermutation(n, seed, epoch)} and a step's random
 * numbers come from {@code Graph.streamSeed(seed, globalStep)}. Inside an epoch the state also carries the epoch's
 * running loss ({@code epochLossSum}, the exact float the backend had accumulated, and {@code epochWeightSum}), so
 * that the epoch's reported training loss is the same whether or not the run was resumed in between.
 */
public final class TrainState {
    int epochsDone;
    long globalStep;
    double best = Double.POSITIVE_INFINITY;
    int bestEpoch = -1;
    int badEpochs;
    boolean stoppedEarly;
    final List<EpochMetrics> history = new ArrayList<>();

    // position inside the epoch after epochsDone (0 at an epoch end)
    int stepInEpoch;
    int stepsPerEpoch;
    int samplesPerEpoch;
    double epochLossSum;
    double epochWeightSum;
    double epochSeconds;
    /** Fingerprint of the training samples ({@link BatchSource#fingerprint()}), null where unknown. */
    String dataFingerprint;
    /** Identifies one training run across its resumes (new for every fresh start). */
    String runId = UUID.randomUUID().toString();

    // not saved: set when the state was read from a checkpoint
    transient Path resumedFrom;
    transient boolean dataChangeAllowed;

    public int epochsDone() { return epochsDone; }
    public long globalStep() { return globalStep; }
    public double best() { return best; }
    public int bestEpoch() { return bestEpoch; }
    public boolean stoppedEarly() { return stoppedEarly; }
    public List<EpochMetrics> history() { return List.copyOf(history); }

    /** The training loss of each epoch so far. */
    public double[] trainLosses() { return history.stream().mapToDouble(EpochMetrics::trainLoss).toArray(); }

    /** The validation loss of each epoch so far (NaN where there was none). */
    public double[] validationLosses() { return history.stream().mapToDouble(EpochMetrics::valLoss).toArray(); }

    /** Steps already done in the epoch after {@link #epochsDone()} (0 when the state is at an epoch end). */
    public int stepInEpoch() { return stepInEpoch; }

    /** Steps per epoch of the run that saved this state (0 for states of older versions). */
    public int stepsPerEpoch() { return stepsPerEpoch; }

    public String runId() { return runId; }

    /** The checkpoint directory this state was read from, or null. */
    public Path resumedFrom() { return resumedFrom; }

    /** Whether the state is inside an epoch rather than at an epoch end. */
    public boolean midEpoch() { return stepInEpoch > 0; }

    /** Lets a resumed run train on data whose fingerprint differs from the checkpoint's ({@code --allow-changed data}). */
    public TrainState allowDataChange(boolean v) { dataChangeAllowed = v; return this; }

    /** "epoch 3" at an epoch end, "epoch 4, step 12 of 27" inside one (1-based, the epoch in progress). */
    public String describePosition() {
        return stepInEpoch == 0 ? "epoch " + epochsDone
                : "epoch " + (epochsDone + 1) + ", step " + stepInEpoch + (stepsPerEpoch > 0 ? " of " + stepsPerEpoch : "");
    }

    public Map<String, Object> toMap() {
        List<Object> h = new ArrayList<>();
        for (EpochMetrics e : history) h.add(e.toMap());
        return Json.object("epochs_done", epochsDone, "global_step", globalStep,
                "best", Double.isInfinite(best) ? null : best, "best_epoch", bestEpoch, "bad_epochs", badEpochs,
                "stopped_early", stoppedEarly, "history", h, "step_in_epoch", stepInEpoch, "steps_per_epoch", stepsPerEpoch,
                "samples_per_epoch", samplesPerEpoch, "epoch_loss_sum", epochLossSum, "epoch_weight_sum", epochWeightSum,
                "epoch_seconds", epochSeconds, "data_fingerprint", dataFingerprint, "run_id", runId);
    }

    /**
     * Reads a saved state, checking that it describes a possible position (a hand-edited or damaged trainer.json
     * fails here, naming the bad field, instead of training "epoch -4/6").
     */
    @SuppressWarnings("unchecked")
    public static TrainState fromMap(Map<String, Object> m) {
        TrainState s = new TrainState();
        s.epochsDone = integer(m, "epochs_done");
        s.globalStep = ((Number) required(m, "global_step")).longValue();
        Object b = m.get("best");
        s.best = b == null ? Double.POSITIVE_INFINITY : ((Number) b).doubleValue();
        s.bestEpoch = integer(m, "best_epoch");
        s.badEpochs = integer(m, "bad_epochs");
        s.stoppedEarly = Boolean.TRUE.equals(m.get("stopped_early"));
        for (Object o : (List<Object>) required(m, "history")) s.history.add(EpochMetrics.fromMap((Map<String, Object>) o));
        s.stepInEpoch = m.get("step_in_epoch") == null ? 0 : integer(m, "step_in_epoch");
        s.stepsPerEpoch = m.get("steps_per_epoch") == null ? 0 : integer(m, "steps_per_epoch");
        s.samplesPerEpoch = m.get("samples_per_epoch") == null ? 0 : integer(m, "samples_per_epoch");
        s.epochLossSum = number(m, "epoch_loss_sum");
        s.epochWeightSum = number(m, "epoch_weight_sum");
        s.epochSeconds = number(m, "epoch_seconds");
        s.dataFingerprint = m.get("data_fingerprint") instanceof String f ? f : null;
        if (m.get("run_id") instanceof String id) s.runId = id;
        s.validate();
        return s;
    }

    private void validate() {
        if (epochsDone < 0) throw bad("epochs_done is " + epochsDone + "; it cannot be negative");
        if (globalStep < 0) throw bad("global_step is " + globalStep + "; it cannot be negative");
        if (history.size() != epochsDone) {
            throw bad("epochs_done is " + epochsDone + " but the history holds " + history.size() + " epochs");
        }
        for (int e = 0; e < history.size(); e++) {
            if (history.get(e).epoch() != e + 1) throw bad("history entry " + (e + 1) + " is for epoch " + history.get(e).epoch());
        }
        if (bestEpoch != -1 && (bestEpoch < 1 || bestEpoch > epochsDone)) {
            throw bad("best_epoch is " + bestEpoch + "; it must be -1 or between 1 and epochs_done (" + epochsDone + ")");
        }
        if (badEpochs < 0 || badEpochs > epochsDone) throw bad("bad_epochs is " + badEpochs + "; it must be between 0 and " + epochsDone);
        if (stepInEpoch < 0 || (stepsPerEpoch > 0 && stepInEpoch >= stepsPerEpoch)) {
            throw bad("step_in_epoch is " + stepInEpoch + "; it must be between 0 and " + Math.max(0, stepsPerEpoch - 1));
        }
        if (stepsPerEpoch < 0) throw bad("steps_per_epoch is " + stepsPerEpoch);
        if (stepsPerEpoch > 0 && globalStep < (long) epochsDone + stepInEpoch) {
            throw bad("global_step " + globalStep + " is less than the steps of " + epochsDone + " epochs and " + stepInEpoch + " steps");
        }
        if (stoppedEarly && stepInEpoch != 0) throw bad("a run stopped early cannot be inside an epoch");
    }

    private static BottleneckException bad(String what) {
        return new BottleneckException(what);
    }

    private static Object required(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) throw bad("'" + key + "' is missing");
        return v;
    }

    private static int integer(Map<String, Object> m, String key) {
        Object v = required(m, key);
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) throw bad("'" + key + "' is not a whole number: " + v);
        return Math.toIntExact(n.longValue());
    }

    private static double number(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v instanceof Number n ? n.doubleValue() : 0;
    }
}
