package dev.bottleneck.optim;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Applies one optimizer step over the whole parameter arena in a single backend call. State buffers (momentum,
 * Adam moments) are arenas of the same size, saved with the model so training resumes exactly.
 */
public final class Optimizer implements AutoCloseable {
    private final OptimizerConfig config;
    private final ParameterStore params;
    private final Backend be;
    private final Map<String, Tensor> state = new LinkedHashMap<>();
    private long step;

    public Optimizer(OptimizerConfig config, ParameterStore params) {
        this.config = config;
        this.params = params;
        this.be = params.backend();
        int n = (int) Math.max(1, params.size());
        switch (config.name()) {
            case "sgd":
                if (config.momentum() != 0) state.put("velocity", be.memory().zeros(n));
                break;
            case "adam":
            case "adamw":
                state.put("m", be.memory().zeros(n));
                state.put("v", be.memory().zeros(n));
                break;
            case "rmsprop":
                state.put("square_avg", be.memory().zeros(n));
                if (config.momentum() != 0) state.put("momentum_buffer", be.memory().zeros(n));
                break;
            default:
                throw new AssertionError(config.name());
        }
    }

    public OptimizerConfig config() { return config; }

    public Backend backend() { return be; }

    /** Steps taken so far. */
    public long steps() { return step; }

    /** State arenas by name (for checkpoints). */
    public Map<String, Tensor> state() { return state; }

    /** Restores the step count (the arenas are restored through {@link #state()}). */
    public void restoreSteps(long steps) { this.step = steps; }

    /** One update of every parameter with learning rate {@code lr} (the schedule's current value). */
    public void step(double lr) {
        step++;
        Tensor p = params.values(), g = params.grads();
        switch (config.name()) {
            case "sgd":
                be.optimizer().sgd(p, g, state.get("velocity"), lr, config.momentum(), config.nesterov(), config.weightDecay());
                break;
            case "adam":
            case "adamw":
                be.optimizer().adam(p, g, state.get("m"), state.get("v"), lr, config.beta1(), config.beta2(), config.eps(),
                        config.weightDecay(), config.name().equals("adamw"), step);
                break;
            case "rmsprop":
                be.optimizer().rmsprop(p, g, state.get("square_avg"), state.get("momentum_buffer"), lr, config.alpha(),
                        config.eps(), config.weightDecay(), config.momentum());
                break;
            default:
                throw new AssertionError(config.name());
        }
    }

    @Override
    public void close() {
        for (Tensor t : state.values()) be.memory().release(t);
        state.clear();
    }
}
