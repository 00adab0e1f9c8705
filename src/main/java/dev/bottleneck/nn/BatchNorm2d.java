package dev.bottleneck.nn;

import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Batch normalisation per channel of [N, c, ...] batches, with a learned scale {@code weight} (gamma, init 1) and
 * shift {@code bias} (beta, init 0). In a training graph it normalises with the batch statistics and updates the
 * running statistics in place; otherwise it uses the running statistics.
 *
 * <p>The running mean and variance are stored as parameters named {@code running_mean} and {@code running_var}
 * (initialised to 0 and 1) so that they live in the parameter arena and are saved in {@code model.safetensors} and in
 * checkpoints with everything else. They never receive a gradient (this module does not put them on the tape), so
 * their gradient slots stay 0 and SGD, Adam and RMSprop leave them exactly unchanged (Adam: m = v = 0, step
 * 0 / (0 + eps) = 0) as long as weight decay is 0. With weight decay the optimizer would also shrink them by
 * {@code lr * weightDecay} per step; their next update mostly overwrites that, but it is a known deviation.
 */
public final class BatchNorm2d extends Module {
    /** Spec type {@code batch_norm2d}: optional {@code momentum} (0.1), {@code eps} (1e-5). */
    public static final LayerSpec SPEC = (l, shape, out, where) -> {
        SpecValues.requireImage("batch_norm2d", shape, where);
        double momentum = MapValues.numberOr(l.get("momentum"), 0.1, where + ": 'momentum'", 0, 1);
        double eps = MapValues.numberOr(l.get("eps"), 1e-5, where + ": 'eps'", Double.MIN_VALUE, 1);
        return SpecValues.add(new BatchNorm2d(shape[0], momentum, eps), shape, out, where);
    };

    private final int channels;
    private final double momentum, eps;
    private final Parameter gamma, beta, runningMean, runningVar;

    public BatchNorm2d(int channels, double momentum, double eps) {
        if (channels < 1) throw new BottleneckException("batch_norm2d needs a positive number of channels, got " + channels);
        if (!(momentum >= 0 && momentum <= 1)) throw new BottleneckException("batch_norm2d momentum must be in [0, 1], got " + momentum);
        if (!(eps > 0)) throw new BottleneckException("batch_norm2d eps must be > 0, got " + eps);
        this.channels = channels;
        this.momentum = momentum;
        this.eps = eps;
        this.gamma = new Parameter(Init.ONES, channels, channels, channels);
        this.beta = new Parameter(Init.ZEROS, channels, channels, channels);
        this.runningMean = new Parameter(Init.ZEROS, channels, channels, channels);
        this.runningVar = new Parameter(Init.ONES, channels, channels, channels);
    }

    public BatchNorm2d(int channels) {
        this(channels, 0.1, 1e-5);
    }

    public Parameter weight() { return gamma; }
    public Parameter bias() { return beta; }
    public Parameter runningMean() { return runningMean; }
    public Parameter runningVar() { return runningVar; }

    @Override
    public Var forward(Graph g, Var x) {
        if (x.value().rank() < 2 || x.value().dim(1) != channels) {
            throw new BottleneckException(describe() + " needs input [N, " + channels + ", ...], got " + Arrays.toString(x.shape()));
        }
        return g.batchNorm2d(x, gamma.in(g), beta.in(g), runningMean.value(), runningVar.value(), momentum, eps);
    }

    @Override public List<Parameter> ownParameters() { return List.of(gamma, beta, runningMean, runningVar); }
    @Override public List<String> ownParameterNames() { return List.of("weight", "bias", "running_mean", "running_var"); }
    @Override public List<Parameter> parameters() { return ownParameters(); }

    @Override
    public int[] outputShape(int[] inputShape) {
        if (inputShape.length < 1 || inputShape[0] != channels) {
            throw new BottleneckException(describe() + " needs samples of shape [" + channels + ", ...], got " + Arrays.toString(inputShape));
        }
        return inputShape.clone();
    }

    @Override
    public String describe() { return "BatchNorm2d(" + channels + ", momentum " + momentum + ", eps " + eps + ")"; }

    @Override
    public Map<String, Object> spec() {
        return Json.object("type", "batch_norm2d", "channels", channels, "momentum", momentum, "eps", eps);
    }
}
