package dev.bottleneck.train;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BinaryOp;
import dev.bottleneck.backend.CounterRng;
import dev.bottleneck.io.Json;
import dev.bottleneck.tensor.Tensor;

import java.util.Locale;
import java.util.Map;

/**
 * Input corruption of a denoising autoencoder: applied to the training inputs only (the target stays the clean
 * input) and by {@code bottleneck denoise}.
 *
 * <ul>
 *   <li>{@code gaussian:σ} — adds N(0, σ²) to every element;</li>
 *   <li>{@code mask:ν} — sets each element to 0 with probability ν (masking noise of Vincent et al.);</li>
 *   <li>{@code saltpepper:ν} — with probability ν sets an element to the data minimum or maximum (each with
 *       probability ν/2).</li>
 * </ul>
 * The result is clipped to the data range {@code [lo, hi]}.
 *
 * <p>Built from the backend's counter-based {@link dev.bottleneck.backend.RandomOps} and element-wise ops only, so
 * CPU and CUDA draw the same corruption, and a resumed run corrupts step s exactly as an uninterrupted one: the
 * stream is {@link #streamFor(long)} of the trainer's per-step seed, element i of a [b, d] batch uses counter i.
 * Salt-and-pepper draws one uniform u per element and compares it with ν/2 and ν through two Bernoulli draws
 * on the same counters ({@code bernoulli(p)} is defined as {@code u < p} for the same u), so the two masks are
 * nested and no element is both salt and pepper.
 */
public record Noise(Kind kind, double level) {
    public enum Kind {
        GAUSSIAN("gaussian"), MASK("mask"), SALT_PEPPER("saltpepper");

        public final String specName;

        Kind(String s) { specName = s; }

        public static Kind parse(String s) {
            switch (s.trim().toLowerCase(Locale.ROOT).replace("_", "").replace("-", "")) {
                case "gaussian": case "gauss": case "normal": return GAUSSIAN;
                case "mask": case "masking": case "dropout": return MASK;
                case "saltpepper": case "sp": case "saltandpepper": return SALT_PEPPER;
                default: throw new BottleneckException("unknown noise '" + s + "': expected gaussian, mask or saltpepper");
            }
        }
    }

    public Noise {
        if (!(level >= 0) || Double.isInfinite(level)) {
            throw new BottleneckException("noise level must be a finite number >= 0, got " + level);
        }
        if (kind != Kind.GAUSSIAN && level > 1) {
            throw new BottleneckException(kind.specName + " noise level is a fraction of elements in [0, 1], got " + level);
        }
    }

    /** Parses {@code gaussian:0.5}, {@code mask:0.3}, {@code saltpepper:0.1}. */
    public static Noise parse(String text) {
        String[] p = text.trim().split(":");
        if (p.length != 2) {
            throw new BottleneckException("--noise '" + text + "': expected KIND:LEVEL, e.g. gaussian:0.5, mask:0.3 or saltpepper:0.1");
        }
        double v;
        try {
            v = Double.parseDouble(p[1]);
        } catch (NumberFormatException e) {
            throw new BottleneckException("--noise '" + text + "': '" + p[1] + "' is not a number");
        }
        return new Noise(Kind.parse(p[0]), v);
    }

    @Override
    public String toString() {
        return kind.specName + ":" + level;
    }

    public Map<String, Object> toMap() {
        return Json.object("kind", kind.specName, "level", level);
    }

    public static Noise fromMap(Map<String, Object> m) {
        Object k = m.get("kind"), l = m.get("level");
        if (k == null || !(l instanceof Number)) throw new BottleneckException("noise needs 'kind' and a numeric 'level', got " + m);
        return new Noise(Kind.parse(k.toString()), ((Number) l).doubleValue());
    }

    /** The random stream of the corruption drawn at a training step whose graph seed is {@code stepSeed}. */
    public static long streamFor(long stepSeed) {
        return CounterRng.mix(stepSeed ^ 0x6E6F697365L); // "noise": independent of the graph's own (dropout) stream
    }

    /**
     * Writes the corrupted {@code clean} into {@code out} (same shape; may not alias {@code clean}).
     *
     * @param lo,hi the data range the result is clipped to (and the pepper / salt values)
     */
    public void apply(Backend be, Tensor clean, Tensor out, long seed, long counter, double lo, double hi) {
        if (clean.size() != out.size()) throw new IllegalArgumentException("noise: output size differs from input size");
        if (level == 0) {
            be.memory().copy(clean, out);
            return;
        }
        switch (kind) {
            case GAUSSIAN:
                be.random().normal(out, seed, counter, 0.0, level);
                be.elementwise().binary(BinaryOp.ADD, clean, out, out);
                be.elementwise().clamp(out, lo, hi, out);
                break;
            case MASK:
                be.random().bernoulli(out, seed, counter, 1.0 - level); // 1 = keep
                be.elementwise().binary(BinaryOp.MUL, clean, out, out);
                be.elementwise().clamp(out, Math.min(lo, 0), Math.max(hi, 0), out);
                break;
            case SALT_PEPPER: {
                Tensor pepper = be.memory().allocate(out.shape());
                try {
                    // hit = [u < ν] and pepper = [u < ν/2] on the same u: salt = hit - pepper
                    be.random().bernoulli(out, seed, counter, level);
                    be.random().bernoulli(pepper, seed, counter, level / 2);
                    // out = clean * (1 - hit) + lo * pepper + hi * (hit - pepper)
                    //     = clean + hit * (hi - clean) + pepper * (lo - hi)
                    Tensor tmp = be.memory().allocate(out.shape());
                    try {
                        be.elementwise().affine(clean, -1.0, hi, tmp);           // hi - clean
                        be.elementwise().binary(BinaryOp.MUL, out, tmp, out);     // hit * (hi - clean)
                        be.elementwise().binary(BinaryOp.ADD, out, clean, out);
                        be.elementwise().affine(pepper, lo - hi, 0.0, pepper);
                        be.elementwise().binary(BinaryOp.ADD, out, pepper, out);
                    } finally {
                        be.memory().release(tmp);
                    }
                    be.elementwise().clamp(out, lo, hi, out);
                } finally {
                    be.memory().release(pepper);
                }
                break;
            }
            default:
                throw new AssertionError(kind);
        }
    }

    /** The smallest and largest value of a host array (the data range the corruption is clipped to). */
    public static double[] range(float[] x) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (lo > hi) return new double[] {0, 1};
        return new double[] {lo, hi};
    }
}
