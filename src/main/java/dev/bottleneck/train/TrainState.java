package dev.bottleneck.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Where training stands after a completed epoch; saved as {@code trainer.json} beside the model. */
public final class TrainState {
    int epochsDone;
    long globalStep;
    double best = Double.POSITIVE_INFINITY;
    int bestEpoch = -1;
    int badEpochs;
    boolean stoppedEarly;
    final List<EpochMetrics> history = new ArrayList<>();

    public int epochsDone() { return epochsDone; }
    public long globalStep() { return globalStep; }
    public double best() { return best; }
    public int bestEpoch() { return bestEpoch; }
    public boolean stoppedEarly() { return stoppedEarly; }
    public List<EpochMetrics> history() { return List.copyOf(history); }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epochs_done", epochsDone);
        m.put("global_step", globalStep);
        m.put("best", Double.isInfinite(best) ? null : best);
        m.put("best_epoch", bestEpoch);
        m.put("bad_epochs", badEpochs);
        m.put("stopped_early", stoppedEarly);
        List<Object> h = new ArrayList<>();
        for (EpochMetrics e : history) h.add(e.toMap());
        m.put("history", h);
        return m;
    }

    @SuppressWarnings("unchecked")
    public static TrainState fromMap(Map<String, Object> m) {
        TrainState s = new TrainState();
        s.epochsDone = ((Number) m.get("epochs_done")).intValue();
        s.globalStep = ((Number) m.get("global_step")).longValue();
        Object b = m.get("best");
        s.best = b == null ? Double.POSITIVE_INFINITY : ((Number) b).doubleValue();
        s.bestEpoch = ((Number) m.get("best_epoch")).intValue();
        s.badEpochs = ((Number) m.get("bad_epochs")).intValue();
        s.stoppedEarly = Boolean.TRUE.equals(m.get("stopped_early"));
        for (Object o : (List<Object>) m.get("history")) s.history.add(EpochMetrics.fromMap((Map<String, Object>) o));
        return s;
    }
}
