package dev.bottleneck.backend.cpu;

import java.nio.FloatBuffer;

/**
 * The float32 inner loops of the CPU backend's hot ops (Adam, BCE with logits, ReLU and its gradient, the bias
 * row add, column sums), over contiguous ranges of off-heap buffers. Each loop has two bodies that give the
 * same bits: the scalar one here, and one on the Vector API ({@link VectorKernels}), used when the JVM was started
 * with {@code --add-modules jdk.incubator.vector} (the launchers do; a library user who does not gets the scalar
 * loops, same results, slower). {@code -Dbottleneck.vector=false} forces the scalar loops.
 *
 * <p>Same bits means: the same IEEE operations in the same order per element (the JDK never contracts a*b+c into
 * a fused multiply-add unless asked, and both bodies ask in the same places), and reductions in a fixed order.
 * {@code CpuKernelsTest} checks every kernel both ways, bit for bit, on values that include NaN, ±0, subnormals and
 * the ends of each polynomial's range. The one exception is the loss value of {@link #bceWithLogits}, a double sum
 * whose order follows the vector lanes (a difference below 1e-15 relative; it feeds logs, never the weights).
 */
final class CpuKernels {
    private CpuKernels() {}

    /** Whether the Vector API bodies run (the module is in the boot layer and not switched off). */
    static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !"false".equals(System.getProperty("bottleneck.vector")) && VectorKernels.works();

    /**
     * Adam state smaller than this is stored as 0: subnormal floats cost microcode assists on x86 (see
     * docs/ARCHITECTURE.md). {@code -Dbottleneck.adam.floor=0} keeps subnormals, to measure what the floor saves.
     */
    static final float STATE_FLOOR = "0".equals(System.getProperty("bottleneck.adam.floor")) ? 0f : Float.MIN_NORMAL;

    /** What the CPU backend's description says about its loops. */
    static String describe() {
        return VECTOR ? "element-wise loops on the Vector API (" + VectorKernels.lanes() + " float lanes)"
                : "scalar element-wise loops (start Java with --add-modules jdk.incubator.vector for the vector ones)";
    }

    // ------------------------------------------------------------------------------------------ Adam

    static void adam(CpuBuffer p, int po, CpuBuffer g, int go, CpuBuffer m, int mo, CpuBuffer v, int vo, float b1, float b2,
                     float c1, float c2, float stepSize, float invSqrtBc2, float eps, float wd, float decay, int lo, int hi) {
        if (VECTOR) {
            VectorKernels.adam(p, po, g, go, m, mo, v, vo, b1, b2, c1, c2, stepSize, invSqrtBc2, eps, wd, decay, lo, hi);
        } else {
            adamScalar(p.f, po, g.f, go, m.f, mo, v.f, vo, b1, b2, c1, c2, stepSize, invSqrtBc2, eps, wd, decay, lo, hi);
        }
    }

    static void adamScalar(FloatBuffer p, int po, FloatBuffer g, int go, FloatBuffer m, int mo, FloatBuffer v, int vo, float b1,
                           float b2, float c1, float c2, float stepSize, float invSqrtBc2, float eps, float wd, float decay,
                           int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            float pi = p.get(po + i) * decay;
            float gi = g.get(go + i) + wd * pi;
            float mi = b1 * m.get(mo + i) + c1 * gi;
            float vi = b2 * v.get(vo + i) + c2 * gi * gi;
            if (Math.abs(mi) < STATE_FLOOR) mi = 0f;
            if (vi < STATE_FLOOR) vi = 0f;
            m.put(mo + i, mi);
            v.put(vo + i, vi);
            p.put(po + i, pi - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps));
        }
    }

    // ------------------------------------------------------------------------------------------ BCE with logits

    /**
     * Sum over [lo, hi) of {@code max(z, 0) - z y + log(1 + e^-|z|)}, each term in float; when {@code g} is not
     * null also writes {@code g = gs (sigmoid(z) - y)}.
     */
    static double bceWithLogits(CpuBuffer p, int po, CpuBuffer t, int to, CpuBuffer g, int go, float gs, int lo, int hi) {
        if (VECTOR) return VectorKernels.bceWithLogits(p, po, t, to, g, go, gs, lo, hi);
        return bceWithLogitsScalar(p.f, po, t.f, to, g == null ? null : g.f, go, gs, lo, hi);
    }

    static double bceWithLogitsScalar(FloatBuffer p, int po, FloatBuffer t, int to, FloatBuffer g, int go, float gs, int lo, int hi) {
        double s = 0;
        for (int i = lo; i < hi; i++) {
            float z = p.get(po + i), y = t.get(to + i);
            float e = FastMath.expNonPositive(-Math.abs(z));
            s += Math.max(z, 0f) - z * y + FastMath.log1pUnit(e);
            if (g != null) {
                float sig = (z >= 0 ? 1f : e) / (1f + e);
                g.put(go + i, gs * (sig - y));
            }
        }
        return s;
    }

    // ------------------------------------------------------------------------------------------ ReLU

    static void relu(CpuBuffer x, int xo, CpuBuffer y, int yo, int lo, int hi) {
        if (VECTOR) VectorKernels.relu(x, xo, y, yo, lo, hi);
        else reluScalar(x, xo, y, yo, lo, hi);
    }

    static void reluScalar(CpuBuffer x, int xo, CpuBuffer y, int yo, int lo, int hi) {
        FloatBuffer fx = x.f, fy = y.f;
        for (int i = lo; i < hi; i++) fy.put(yo + i, Math.max(fx.get(xo + i), 0f));
    }

    /**
     * dx (+)= dy where !(x <= 0) (x > 0 or NaN of either sign), else 0, without branches (random signs would
     * mispredict every other element): the int bits of a float are positive exactly when it is > 0 or a NaN with
     * the sign bit clear, so {@code (-bits & ~bits) >> 31} is the mask for those, and {@code (0x7f800000 - (bits &
     * 0x7fffffff)) >> 31} adds the NaNs with the sign bit set (x86 produces those for 0/0). A masked element keeps
     * dy's sign bit, so the result is 0 * dy (±0) as on the other backends.
     */
    static void reluBackward(CpuBuffer x, int xo, CpuBuffer dy, int dyo, CpuBuffer dx, int dxo, boolean accumulate, int lo, int hi) {
        if (VECTOR) VectorKernels.reluBackward(x, xo, dy, dyo, dx, dxo, accumulate, lo, hi);
        else reluBackwardScalar(x, xo, dy, dyo, dx, dxo, accumulate, lo, hi);
    }

    static void reluBackwardScalar(CpuBuffer x, int xo, CpuBuffer dy, int dyo, CpuBuffer dx, int dxo, boolean accumulate,
                                   int lo, int hi) {
        FloatBuffer fx = x.f, fdy = dy.f, fdx = dx.f;
        for (int i = lo; i < hi; i++) {
            int bits = Float.floatToRawIntBits(fx.get(xo + i));
            int mask = reluMask(bits);
            float g = Float.intBitsToFloat(Float.floatToRawIntBits(fdy.get(dyo + i)) & (mask | 0x80000000));
            fdx.put(dxo + i, accumulate ? fdx.get(dxo + i) + g : g);
        }
    }

    /** All ones where a float with these bits is > 0 or NaN, else 0 (-0.0f, bits = MIN_VALUE, gives 0). */
    static int reluMask(int bits) {
        return ((-bits & ~bits) | (0x7f800000 - (bits & 0x7fffffff))) >> 31;
    }

    // ------------------------------------------------------------------------------------------ rows and columns

    /** {@code o[oo + j] = a[ao + j] + b[bo + j]} for j in [0, len): a bias row added to one row of a matrix. */
    static void addRow(CpuBuffer a, int ao, CpuBuffer b, int bo, CpuBuffer o, int oo, int len) {
        if (VECTOR) VectorKernels.addRow(a, ao, b, bo, o, oo, len);
        else addRowScalar(a, ao, b, bo, o, oo, 0, len);
    }

    /** {@link #addRow} for j in [from, len). */
    static void addRowScalar(CpuBuffer a, int ao, CpuBuffer b, int bo, CpuBuffer o, int oo, int from, int len) {
        FloatBuffer fa = a.f, fb = b.f, fo = o.f;
        for (int j = from; j < len; j++) fo.put(oo + j, fa.get(ao + j) + fb.get(bo + j));
    }

    /**
     * {@code acc[j] += x[base + r cols + j]} for rows r in [0, rows) in row order, columns j in [c0, c1), in double.
     * Each column's sum has the same order whatever the column range, so ranges may run on different threads.
     */
    static void columnSums(CpuBuffer x, int base, int rows, int cols, int c0, int c1, double[] acc) {
        if (VECTOR) VectorKernels.columnSums(x, base, rows, cols, c0, c1, acc);
        else columnSumsScalar(x, base, rows, cols, c0, c1, acc);
    }

    static void columnSumsScalar(CpuBuffer x, int base, int rows, int cols, int c0, int c1, double[] acc) {
        FloatBuffer f = x.f;
        for (int r = 0; r < rows; r++) {
            int at = base + r * cols;
            for (int j = c0; j < c1; j++) acc[j] += f.get(at + j);
        }
    }
}
