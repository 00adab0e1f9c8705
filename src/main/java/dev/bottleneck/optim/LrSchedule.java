package dev.bottleneck.optim;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Json;

import java.util.Locale;
import java.util.Map;

/**
 * Learning rate per epoch (0-based): constant, step decay ({@code lr * gamma^(epoch / every)}) or cosine
 * annealing from {@code lr} to {@code minLr} over {@code epochs}.
 */
public record LrSchedule(String kind, int every, double gamma, double minLr, int epochs) {
    public LrSchedule {
        kind = kind.toLowerCase(Locale.ROOT);
        if (!(kind.equals("constant") || kind.equals("step") || kind.equals("cosine"))) {
            throw new BottleneckException("unknown learning-rate schedule '" + kind + "': expected constant, step or cosine");
        }
        if (kind.equals("step") && every <= 0) throw new BottleneckException("step schedule needs a positive step size in epochs");
        if (!Double.isFinite(gamma) || gamma < 0) {
            throw new BottleneckException("schedule factor GAMMA must be a finite number >= 0, got " + gamma + "; e.g. step:10:0.5");
        }
        if (!Double.isFinite(minLr) || minLr < 0) {
            throw new BottleneckException("schedule MIN_LR must be a finite number >= 0, got " + minLr + "; e.g. cosine:1e-5");
        }
    }

    public static LrSchedule constant() { return new LrSchedule("constant", 0, 1, 0, 0); }
    public static LrSchedule step(int every, double gamma) { return new LrSchedule("step", every, gamma, 0, 0); }
    public static LrSchedule cosine(int epochs, double minLr) { return new LrSchedule("cosine", 0, 1, minLr, epochs); }

    /**
     * Parses {@code constant}, {@code step:EVERY:GAMMA} (e.g. {@code step:10:0.5}) or {@code cosine[:MIN_LR]};
     * cosine spans {@code totalEpochs}.
     */
    public static LrSchedule parse(String s, int totalEpochs) {
        String[] p = s.trim().toLowerCase(Locale.ROOT).split(":");
        try {
            switch (p[0]) {
                case "constant": case "none": return constant();
                case "step": return step(p.length > 1 ? Integer.parseInt(p[1]) : 10, p.length > 2 ? Double.parseDouble(p[2]) : 0.1);
                case "cosine": return cosine(totalEpochs, p.length > 1 ? Double.parseDouble(p[1]) : 0.0);
                default: break;
            }
        } catch (NumberFormatException e) {
            throw new BottleneckException("bad schedule '" + s + "': expected constant, step:EVERY:GAMMA or cosine[:MIN_LR]");
        }
        throw new BottleneckException("unknown schedule '" + s + "': expected constant, step:EVERY:GAMMA or cosine[:MIN_LR]");
    }

    public double lr(double base, int epoch) {
        switch (kind) {
            case "step": return base * Math.pow(gamma, epoch / every);
            case "cosine": {
                if (epochs <= 1) return base;
                double t = Math.min(epoch, epochs - 1) / (double) (epochs - 1);
                return minLr + 0.5 * (base - minLr) * (1 + Math.cos(Math.PI * t));
            }
            default: return base;
        }
    }

    public Map<String, Object> toMap() {
        return Json.object("kind", kind, "every", every, "gamma", gamma, "min_lr", minLr, "epochs", epochs);
    }

    public static LrSchedule fromMap(Map<String, Object> m) {
        return new LrSchedule((String) m.get("kind"), ((Number) m.get("every")).intValue(), ((Number) m.get("gamma")).doubleValue(),
                ((Number) m.get("min_lr")).doubleValue(), ((Number) m.get("epochs")).intValue());
    }
}
