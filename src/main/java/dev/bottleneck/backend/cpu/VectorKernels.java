package dev.bottleneck.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Vector API bodies of {@link CpuKernels}: the same operations in the same order per element as the scalar
 * bodies there (so the same bits), on the widest float vectors the CPU has. Only loaded when the
 * {@code jdk.incubator.vector} module is present. Each loop runs whole vectors and leaves the tail to the scalar
 * body.
 */
final class VectorKernels {
    private VectorKernels() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, F.vectorShape());
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int L = F.length();

    static int lanes() { return L; }

    /** Whether the Vector API runs here at all (an exotic JVM may have the module but no working implementation). */
    static boolean works() {
        try {
            // the calls the kernels make, on a direct buffer: JDK 20+ dropped fromByteBuffer/intoByteBuffer
            ByteBuffer b = ByteBuffer.allocateDirect(4 * L).order(ORDER);
            for (int i = 0; i < L; i++) b.putFloat(4 * i, i + 1);
            FloatVector v = FloatVector.fromByteBuffer(F, b, 0, ORDER);
            v.add(v).intoByteBuffer(b, 0, ORDER);
            return L >= 4 && b.getFloat(4 * (L - 1)) == 2f * L;
        } catch (Throwable e) {
            return false;
        }
    }

    private static FloatVector load(CpuBuffer b, int i) {
        return FloatVector.fromByteBuffer(F, b.bytes, i << 2, ORDER);
    }

    private static void store(FloatVector v, CpuBuffer b, int i) {
        v.intoByteBuffer(b.bytes, i << 2, ORDER);
    }

    static void adam(CpuBuffer p, int po, CpuBuffer g, int go, CpuBuffer m, int mo, CpuBuffer v, int vo, float b1, float b2,
                     float c1, float c2, float stepSize, float invSqrtBc2, float eps, float wd, float decay, int lo, int hi) {
        int i = lo;
        for (int end = lo + (hi - lo) / L * L; i < end; i += L) {
            FloatVector pi = load(p, po + i).mul(decay);
            FloatVector gi = load(g, go + i).add(pi.mul(wd));
            FloatVector mi = load(m, mo + i).mul(b1).add(gi.mul(c1));
            FloatVector vi = load(v, vo + i).mul(b2).add(gi.mul(c2).mul(gi));
            mi = mi.blend(0f, mi.abs().lt(CpuKernels.STATE_FLOOR));
            vi = vi.blend(0f, vi.lt(CpuKernels.STATE_FLOOR));
            store(mi, m, mo + i);
            store(vi, v, vo + i);
            store(pi.sub(mi.mul(stepSize).div(vi.sqrt().mul(invSqrtBc2).add(eps))), p, po + i);
        }
        CpuKernels.adamScalar(p.f, po, g.f, go, m.f, mo, v.f, vo, b1, b2, c1, c2, stepSize, invSqrtBc2, eps, wd, decay, i, hi);
    }

    /** {@link FastMath#expNonPositive}, lane by lane. */
    static FloatVector expNonPositive(FloatVector x) {
        FloatVector t = x.mul(FastMath.LOG2E).add(FastMath.ROUND);
        FloatVector n = t.sub(FastMath.ROUND);
        FloatVector f = n.fma(FloatVector.broadcast(F, -FastMath.LN2_LO), n.fma(FloatVector.broadcast(F, -FastMath.LN2_HI), x));
        FloatVector q = f.fma(FloatVector.broadcast(F, FastMath.EXP_P0), FloatVector.broadcast(F, FastMath.EXP_P1));
        q = q.fma(f, FloatVector.broadcast(F, FastMath.EXP_P2));
        q = q.fma(f, FloatVector.broadcast(F, FastMath.EXP_P3));
        q = q.fma(f, FloatVector.broadcast(F, FastMath.EXP_P4));
        q = q.fma(f, FloatVector.broadcast(F, FastMath.EXP_P5));
        FloatVector r = q.mul(f).fma(f, f.add(1f));
        // (int) n from the bits of t = 1.5·2^23 + n (0x4B400000 + n for |n| < 2^22): the F2I conversion is not
        // compiled to one instruction on JDK 17 (it cost 2.3 ns per element, the rest of the loss 0.5)
        IntVector e = t.reinterpretAsInts().sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23);
        return r.mul(e.reinterpretAsFloats()).blend(0f, x.lt(-87.3f));
    }

    /** {@link FastMath#log1pUnit}, lane by lane. */
    static FloatVector log1pUnit(FloatVector e) {
        FloatVector s = e.div(e.add(2f));
        FloatVector s2 = s.mul(s);
        FloatVector p = s2.fma(FloatVector.broadcast(F, 1f / 15f), FloatVector.broadcast(F, 1f / 13f));
        p = p.fma(s2, FloatVector.broadcast(F, 1f / 11f));
        p = p.fma(s2, FloatVector.broadcast(F, 1f / 9f));
        p = p.fma(s2, FloatVector.broadcast(F, 1f / 7f));
        p = p.fma(s2, FloatVector.broadcast(F, 1f / 5f));
        p = p.fma(s2, FloatVector.broadcast(F, 1f / 3f));
        p = p.fma(s2, FloatVector.broadcast(F, 1f));
        return s.mul(2f).mul(p);
    }

    /** Elements per block of the two BCE passes: both passes over one block find it in the L1/L2 cache. */
    private static final int BLOCK = 2048;

    /**
     * Loss and gradient in two passes per block, each its own small method: one loop body computing both was
     * 2.5x slower on JDK 17, whose C2 stops turning vector calls into instructions in a loop that large (it boxes).
     */
    static double bceWithLogits(CpuBuffer p, int po, CpuBuffer t, int to, CpuBuffer g, int go, float gs, int lo, int hi) {
        int end = lo + (hi - lo) / L * L;
        double s = 0;
        for (int b0 = lo; b0 < end; b0 += BLOCK) {
            int b1 = Math.min(end, b0 + BLOCK);
            s += bceLossBlock(p, po, t, to, b0, b1);
            if (g != null) bceGradBlock(p, po, t, to, g, go, gs, b0, b1);
        }
        return s + CpuKernels.bceWithLogitsScalar(p.f, po, t.f, to, g == null ? null : g.f, go, gs, end, hi);
    }

    private static double bceLossBlock(CpuBuffer p, int po, CpuBuffer t, int to, int lo, int hi) {
        DoubleVector s0 = DoubleVector.zero(D), s1 = DoubleVector.zero(D);
        for (int i = lo; i < hi; i += L) {
            FloatVector z = load(p, po + i), y = load(t, to + i);
            FloatVector e = expNonPositive(z.abs().neg());
            FloatVector term = z.max(0f).sub(z.mul(y)).add(log1pUnit(e));
            s0 = s0.add(term.convertShape(VectorOperators.F2D, D, 0));
            s1 = s1.add(term.convertShape(VectorOperators.F2D, D, 1));
        }
        return s0.add(s1).reduceLanes(VectorOperators.ADD);
    }

    private static void bceGradBlock(CpuBuffer p, int po, CpuBuffer t, int to, CpuBuffer g, int go, float gs, int lo, int hi) {
        for (int i = lo; i < hi; i += L) {
            FloatVector z = load(p, po + i), y = load(t, to + i);
            FloatVector e = expNonPositive(z.abs().neg());
            VectorMask<Float> nonNegative = z.compare(VectorOperators.GE, 0f);
            FloatVector sig = e.blend(1f, nonNegative).div(e.add(1f));
            store(sig.sub(y).mul(gs), g, go + i);
        }
    }

    static void relu(CpuBuffer x, int xo, CpuBuffer y, int yo, int lo, int hi) {
        int i = lo;
        for (int end = lo + (hi - lo) / L * L; i < end; i += L) store(load(x, xo + i).max(0f), y, yo + i);
        CpuKernels.reluScalar(x, xo, y, yo, i, hi);
    }

    static void reluBackward(CpuBuffer x, int xo, CpuBuffer dy, int dyo, CpuBuffer dx, int dxo, boolean accumulate, int lo, int hi) {
        int i = lo;
        for (int end = lo + (hi - lo) / L * L; i < end; i += L) {
            IntVector bits = load(x, xo + i).reinterpretAsInts();
            IntVector mask = bits.neg().and(bits.not())
                    .or(IntVector.broadcast(bits.species(), 0x7f800000).sub(bits.and(0x7fffffff)))
                    .lanewise(VectorOperators.ASHR, 31);
            FloatVector gv = load(dy, dyo + i).reinterpretAsInts().and(mask.or(0x80000000)).reinterpretAsFloats();
            store(accumulate ? load(dx, dxo + i).add(gv) : gv, dx, dxo + i);
        }
        CpuKernels.reluBackwardScalar(x, xo, dy, dyo, dx, dxo, accumulate, i, hi);
    }

    static void addRow(CpuBuffer a, int ao, CpuBuffer b, int bo, CpuBuffer o, int oo, int len) {
        int j = 0;
        for (int end = len / L * L; j < end; j += L) store(load(a, ao + j).add(load(b, bo + j)), o, oo + j);
        CpuKernels.addRowScalar(a, ao, b, bo, o, oo, j, len);
    }

    static void columnSums(CpuBuffer x, int base, int rows, int cols, int c0, int c1, double[] acc) {
        int j = c0;
        int half = D.length();
        for (int end = c0 + (c1 - c0) / L * L; j < end; j += L) {
            DoubleVector a0 = DoubleVector.fromArray(D, acc, j), a1 = DoubleVector.fromArray(D, acc, j + half);
            for (int r = 0; r < rows; r++) {
                FloatVector v = load(x, base + r * cols + j);
                a0 = a0.add(v.convertShape(VectorOperators.F2D, D, 0));
                a1 = a1.add(v.convertShape(VectorOperators.F2D, D, 1));
            }
            a0.intoArray(acc, j);
            a1.intoArray(acc, j + half);
        }
        if (j < c1) CpuKernels.columnSumsScalar(x, base, rows, cols, j, c1, acc);
    }
}
