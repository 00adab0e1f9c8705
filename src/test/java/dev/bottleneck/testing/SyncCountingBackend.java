package dev.bottleneck.testing;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.MemoryOps;
import dev.bottleneck.tensor.Tensor;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend that runs on another one (usually the CPU) but counts every read back to the host
 * ({@link MemoryOps#readScalar} and downloads) and can claim that reads are expensive ({@link #cheapSync()} false),
 * so tests can check the training loop's sync policy the way a GPU backend would see it.
 */
public final class SyncCountingBackend extends ForwardingBackend {
    private final boolean cheapSync;
    private final AtomicInteger scalarReads = new AtomicInteger();
    private final AtomicInteger downloads = new AtomicInteger();
    private final MemoryOps memory;

    /** @param cheapSync what {@link #cheapSync()} answers (false: behave like a device backend) */
    public SyncCountingBackend(Backend inner, boolean cheapSync) {
        super(inner);
        this.cheapSync = cheapSync;
        this.memory = new CountingMemory(inner.memory());
    }

    /** {@link MemoryOps#readScalar} calls so far. */
    public int scalarReads() { return scalarReads.get(); }

    /** {@link MemoryOps#download} calls so far (whole-tensor copies to the host). */
    public int downloads() { return downloads.get(); }

    public void resetCounts() {
        scalarReads.set(0);
        downloads.set(0);
    }

    @Override public String describe() { return "counting " + inner.describe(); }
    @Override public MemoryOps memory() { return memory; }
    @Override public boolean cheapSync() { return cheapSync; }
    @Override public void profile(boolean on) { inner.profile(on); }
    @Override public Map<String, Double> profileCounters() { return inner.profileCounters(); }
    /** Leaves the inner backend open: its owner closes it. */
    @Override public void close() { }

    private final class CountingMemory implements MemoryOps {
        private final MemoryOps m;

        CountingMemory(MemoryOps m) { this.m = m; }

        @Override public Tensor allocate(int... shape) { return m.allocate(shape); }
        @Override public Tensor zeros(int... shape) { return m.zeros(shape); }
        @Override public void release(Tensor t) { m.release(t); }
        @Override public void upload(float[] src, int srcOffset, Tensor dst) { m.upload(src, srcOffset, dst); }
        @Override public void upload(double[] src, int srcOffset, Tensor dst) { m.upload(src, srcOffset, dst); }
        @Override public void download(Tensor src, float[] dst, int dstOffset) { downloads.incrementAndGet(); m.download(src, dst, dstOffset); }
        @Override public void download(Tensor src, double[] dst, int dstOffset) { downloads.incrementAndGet(); m.download(src, dst, dstOffset); }
        @Override public double readScalar(Tensor scalar) { scalarReads.incrementAndGet(); return m.readScalar(scalar); }
        @Override public void copy(Tensor src, Tensor dst) { m.copy(src, dst); }
        @Override public void fill(Tensor t, double value) { m.fill(t, value); }
        @Override public void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int width) { m.copyColumns(src, srcCol, dst, dstCol, width); }
        @Override public void gatherRows(Tensor src, int[] rows, int from, Tensor dst) { m.gatherRows(src, rows, from, dst); }
        @Override public long bytesInUse() { return m.bytesInUse(); }
        @Override public long peakBytes() { return m.peakBytes(); }
    }
}
