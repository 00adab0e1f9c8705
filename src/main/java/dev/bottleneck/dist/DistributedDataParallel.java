package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.CounterRng;
import dev.bottleneck.io.Json;
import dev.bottleneck.nn.ParameterStore;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.train.Batch;
import dev.bottleneck.train.BatchSource;
import dev.bottleneck.train.DataParallel;
import dev.bottleneck.train.EpochMetrics;
import dev.bottleneck.train.GradientHook;
import dev.bottleneck.train.LoopContext;
import dev.bottleneck.train.StepLoss;
import dev.bottleneck.train.SyncPoint;
import dev.bottleneck.train.TrainState;
import dev.bottleneck.train.TrainStep;
import dev.bottleneck.train.TrainingListener;
import dev.bottleneck.train.TrainingLoop;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Data-parallel training in the manner of PyTorch's DDP, one rank of it: the loop walks the global batches of the
 * same per-epoch permutation on every rank, each rank computes the gradient of its share, and one all-reduce over
 * the flat gradient arena per step gives every rank the gradient of the global batch, so every rank takes the same
 * optimizer step and the weights stay identical.
 *
 * <p><b>Shares.</b> A global batch of {@code B'} samples (the configured global batch, or fewer in the last batch of
 * an epoch) is cut into W contiguous shares in rank order; the first {@code B' mod W} ranks take one sample more
 * ({@link #share}). Rank r's loss is the mean over its share, so its gradient is scaled by {@code b_r / B'} before the
 * sum: the result is the gradient of the mean over all {@code B'} samples, exactly what one process with batch
 * {@code B'} computes (up to the order of the float additions), also for a short last batch. When {@code B' < W}
 * the ranks without a sample take the global batch's first sample with weight 0 (its gradient scaled by 0, its loss
 * not counted). That equivalence holds for objectives that are means over samples; a penalty on batch statistics is
 * computed per share.
 *
 * <p><b>Everything else.</b> Losses are summed over the ranks at every sync point; stop requests are agreed at every
 * epoch end (one rank asking stops them all); random draws (dropout, noise) come from a stream of each rank's own.
 * {@link #start} makes every rank begin from rank 0's weights, optimizer state and training state.
 */
public final class DistributedDataParallel implements DataParallel {
    private final ProcessGroup group;
    private final Collective collective;
    private final int rank, world;
    private int lastShare = 1, lastGlobal = 1;
    private boolean lastPadding;

    public DistributedDataParallel(ProcessGroup group, Collective collective) {
        this.group = group;
        this.collective = collective;
        this.rank = collective.rank();
        this.world = collective.worldSize();
    }

    public Collective collective() { return collective; }

    @Override public int rank() { return rank; }
    @Override public int worldSize() { return world; }

    /** Rank {@code rank}'s samples {@code [from, from + count)} of a global batch of {@code batch} samples. */
    public record Share(int from, int count) { }

    public static Share share(int batch, int world, int rank) {
        int q = batch / world, extra = batch % world;
        return new Share(rank * q + Math.min(rank, extra), q + (rank < extra ? 1 : 0));
    }

    /**
     * Makes every rank start from rank 0's parameters, optimizer state and step count, and returns rank 0's training
     * state ({@code rank0State} is rank 0's: the resumed one or null; ignored on the other ranks).
     */
    public TrainState start(ParameterStore params, Optimizer optimizer, TrainState rank0State) {
        collective.broadcast(params.values(), 0);
        for (Tensor t : optimizer.state().values()) collective.broadcast(t, 0);
        byte[] mine = new byte[0];
        if (rank == 0) {
            Map<String, Object> m = Json.object("optimizer_steps", optimizer.steps(),
                    "state", rank0State == null ? null : rank0State.toMap());
            mine = Json.writeCompact(m).getBytes(StandardCharsets.UTF_8);
        }
        byte[] got = group.broadcastBytes(mine, 0, "the training state");
        @SuppressWarnings("unchecked")
        Map<String, Object> m = Json.parse(new String(got, StandardCharsets.UTF_8), Map.class, "the training state from rank 0");
        optimizer.restoreSteps(((Number) m.get("optimizer_steps")).longValue());
        @SuppressWarnings("unchecked")
        Map<String, Object> st = (Map<String, Object>) m.get("state");
        return st == null ? null : TrainState.fromMap(st);
    }

    @Override
    public BatchSource shard(BatchSource global) {
        return new BatchSource() {
            @Override
            public int size() {
                return global.size();
            }

            @Override
            public Batch gather(int[] order, int from, int count) {
                Share s = share(count, world, rank);
                lastGlobal = count;
                lastShare = s.count();
                lastPadding = s.count() == 0;
                return lastPadding ? global.gather(order, from, 1) : global.gather(order, from + s.from(), s.count());
            }

            @Override
            public String fingerprint() {
                return global.fingerprint(); // every rank trains on the same samples; the check is of those
            }

            @Override
            public void close() {
                // the global source belongs to the caller
            }
        };
    }

    @Override
    public TrainStep step(TrainStep local) {
        return new TrainStep() {
            @Override
            public StepLoss loss(Graph g, Batch batch) {
                StepLoss l = local.loss(g, batch);
                return lastPadding ? new StepLoss(l.objective(), l.reported(), 0) : l;
            }

            @Override
            public void beginEpoch(int epoch) {
                local.beginEpoch(epoch);
            }
        };
    }

    @Override
    public GradientHook gradients() {
        return (g, params) -> {
            Tensor grads = params.grads();
            double weight = lastPadding ? 0 : (double) lastShare / lastGlobal;
            if (weight != 1) params.backend().elementwise().affine(grads, weight, 0.0, grads);
            collective.allReduceSum(grads);
        };
    }

    @Override
    public double[] sumOverRanks(double lossSum, double weightSum) {
        return collective.sumHost(new double[] {lossSum, weightSum});
    }

    @Override
    public long stepSeed(long seed) {
        return rank == 0 ? seed : CounterRng.mix(seed ^ CounterRng.mix(0x5EED_0000_0000L + rank));
    }

    @Override
    public TrainingListener listener() {
        DeviceCollective device = collective instanceof DeviceCollective d ? d : null;
        return new TrainingListener() {
            @Override
            public void onFitStart(LoopContext ctx) {
                if (device != null) device.watching(true);
            }

            @Override
            public void onStepEnd(LoopContext ctx) {
                if (device != null) device.progress();
            }

            @Override
            public void onSync(LoopContext ctx, SyncPoint sync) {
                if (device != null) device.progress();
            }

            @Override
            public void onValidation(LoopContext ctx, double loss) {
                if (device != null) device.progress();
            }

            @Override
            public void onEpochEnd(LoopContext ctx, EpochMetrics metrics) {
                if (device != null) device.progress();
                double asked = collective.sumHost(new double[] {ctx.stopRequested() ? 1 : 0})[0];
                if (asked > 0 && !ctx.stopRequested()) ctx.requestStop();
                if (device != null) device.progress();
            }

            @Override
            public void onFitEnd(LoopContext ctx, TrainingLoop.Result result) {
                if (device != null) device.watching(false);
            }
        };
    }

    /** Fails unless {@code world} ranks of {@code perRank} make a sensible global batch. */
    public static int globalBatch(int perRank, int world) {
        long b = (long) perRank * world;
        if (b > Integer.MAX_VALUE) throw new BottleneckException("--batch " + perRank + " on " + world + " ranks is too large a global batch");
        return (int) b;
    }
}
