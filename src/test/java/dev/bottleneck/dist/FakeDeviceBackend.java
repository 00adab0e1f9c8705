package dev.bottleneck.dist;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.CollectiveOps;
import dev.bottleneck.backend.CollectiveSupport;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.ForwardingBackend;

import java.util.Map;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A CPU backend that offers "device" collectives the way NCCL behaves for the parts the job relies on: ranks in
 * one JVM meet in the collective and wait for each other without any timeout of their own (like a kernel waiting
 * for a peer), until {@link CollectiveOps#abort} breaks the wait. It lets the CPU test the device path of
 * {@link DeviceCollective}: the choice of collective, the watchdog and the abort.
 */
final class FakeDeviceBackend extends ForwardingBackend {
    private static final Map<String, World> WORLDS = new ConcurrentHashMap<>();
    private final CollectiveSupport support = new Support();

    FakeDeviceBackend(Backend inner) {
        super(inner);
    }

    /** The ranks of one communicator: a barrier and a slot per rank. */
    private static final class World {
        final CyclicBarrier barrier;
        final float[][] slots;

        World(int n) {
            barrier = new CyclicBarrier(n);
            slots = new float[n][];
        }
    }

    private final class Support implements CollectiveSupport {
        @Override public String unavailable() { return null; }
        @Override public String library() { return "FAKE 1.0"; }

        @Override
        public byte[] newUniqueId() {
            byte[] b = new byte[16];
            ThreadLocalRandom.current().nextBytes(b);
            return b;
        }

        @Override
        public CollectiveOps join(byte[] id, int rank, int world, long timeoutMs) {
            World w = WORLDS.computeIfAbsent(java.util.HexFormat.of().formatHex(id), k -> new World(world));
            return new Ops(w, rank);
        }
    }

    private final class Ops implements CollectiveOps {
        private final World w;
        private final int rank;
        private volatile boolean aborted;

        Ops(World w, int rank) {
            this.w = w;
            this.rank = rank;
        }

        private void await() {
            try {
                w.barrier.await(); // no timeout: a dead peer holds this forever, as it would hold a kernel
            } catch (BrokenBarrierException | InterruptedException e) {
                throw new BottleneckException("FAKE collective ended: " + (aborted ? "aborted" : "another rank aborted"));
            }
            if (aborted) throw new BottleneckException("FAKE collective aborted");
        }

        @Override
        public void allReduceSum(Tensor t) {
            w.slots[rank] = inner.memory().toFloatArray(t);
            await();
            float[] sum = w.slots[0].clone();
            for (int r = 1; r < w.slots.length; r++) for (int i = 0; i < sum.length; i++) sum[i] += w.slots[r][i];
            await();
            inner.memory().upload(sum, t);
        }

        @Override
        public void broadcast(Tensor t, int root) {
            if (rank == root) w.slots[root] = inner.memory().toFloatArray(t);
            await();
            float[] v = w.slots[root].clone();
            await();
            if (rank != root) inner.memory().upload(v, t);
        }

        @Override public String asyncError() { return null; }

        @Override
        public void abort() {
            aborted = true;
            w.barrier.reset(); // wakes every waiter, like aborting the communicator ends its kernels
        }

        @Override public void close() { }
    }

    @Override public CollectiveSupport collectives() { return support; }
    @Override public String describe() { return "fake device " + inner.describe(); }
    @Override public boolean cheapSync() { return false; } // sync every 50 steps, as a GPU does
}
