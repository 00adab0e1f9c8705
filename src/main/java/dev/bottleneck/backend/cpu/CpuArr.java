package dev.bottleneck.backend.cpu;

import dev.bottleneck.tensor.DType;
import dev.bottleneck.tensor.Tensor;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Element access to a tensor of the CPU backend, with the tensor's offset folded in: one loop body serves F32 and
 * F64 (two final subclasses, so call sites stay bimorphic and the JIT inlines them). Values pass through double:
 * float to double is exact, so F32 results are those of the float32 inputs computed in double and rounded once.
 */
abstract class CpuArr {
    abstract double get(int i);

    abstract void set(int i, double v);

    void add(int i, double v) { set(i, get(i) + v); }

    /** Accessor for a tensor of {@code be}'s dtype; fails for tensors of another backend or dtype. */
    static CpuArr of(CpuBackend be, Tensor t) {
        CpuBuffer b = buffer(be, t);
        int o = Math.toIntExact(t.offset());
        return b.f != null ? new F(b.f, o) : new D(b.d, o);
    }

    static CpuBuffer buffer(CpuBackend be, Tensor t) {
        if (!(t.buffer() instanceof CpuBuffer)) {
            throw new IllegalArgumentException("tensor " + t + " does not belong to the CPU backend");
        }
        CpuBuffer b = (CpuBuffer) t.buffer();
        if (b.dtype != be.dtype) throw new IllegalArgumentException("tensor " + t + " is " + b.dtype + ", backend is " + be.dtype);
        return b;
    }

    static boolean f32(CpuBackend be) { return be.dtype == DType.F32; }

    static final class F extends CpuArr {
        final FloatBuffer b;
        final int o;

        F(FloatBuffer b, int o) { this.b = b; this.o = o; }

        @Override double get(int i) { return b.get(o + i); }
        @Override void set(int i, double v) { b.put(o + i, (float) v); }
    }

    static final class D extends CpuArr {
        final DoubleBuffer b;
        final int o;

        D(DoubleBuffer b, int o) { this.b = b; this.o = o; }

        @Override double get(int i) { return b.get(o + i); }
        @Override void set(int i, double v) { b.put(o + i, v); }
    }

    /**
     * Runs {@code body} over [0, items) split into contiguous parts on the backend's threads when the total work
     * ({@code items * workPerItem} elements) is worth forking for.
     */
    static void split(CpuBackend be, int items, long workPerItem, Parallel.Body body) {
        Parallel par = be.par;
        int parts = (par.threads() > 1 && (long) items * workPerItem >= 2 * Parallel.GRAIN) ? Math.min(par.threads(), items) : 1;
        if (parts <= 1) {
            body.run(0, items);
            return;
        }
        par.tasks(parts, p -> body.run((int) ((long) items * p / parts), (int) ((long) items * (p + 1) / parts)));
    }
}
