package dev.bottleneck.autograd;

import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BinaryOp;
import dev.bottleneck.backend.CounterRng;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.backend.UnaryOp;
import dev.bottleneck.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tape: every op computes its result on the backend and, when recording, appends its backward step.
 * {@link #backward(Var)} replays the tape in reverse. Temporaries come from the backend's pool and go back to it
 * when the graph is closed, so a training step reuses the same memory every time.
 *
 * <p>A graph is used for one forward/backward pass and then closed.
 */
public final class Graph implements AutoCloseable {
    private interface Step {
        void run();
    }

    private final Backend be;
    private final boolean training;
    private final boolean recording;
    private final List<Step> tape = new ArrayList<>();
    private final List<Tensor> temps = new ArrayList<>();
    private final long seed;
    private long counter;

    /**
     * @param training  enables training-only behaviour (dropout, noise)
     * @param recording whether to record backward steps (false for inference)
     * @param seed      stream for the random numbers this graph draws (dropout masks, noise)
     */
    public Graph(Backend backend, boolean training, boolean recording, long seed) {
        this.be = backend;
        this.training = training;
        this.recording = recording;
        this.seed = seed;
    }

    /** An inference graph: no tape, no dropout. */
    public static Graph inference(Backend backend) {
        return new Graph(backend, false, false, 0);
    }

    public Backend backend() { return be; }
    public boolean training() { return training; }

    // ------------------------------------------------------------------------------------------ leaves

    /** A value that needs no gradient (data, targets). */
    public Var constant(Tensor t) {
        return new Var(t, false, null);
    }

    /** A leaf whose gradient is wanted (gradient checks, inputs of a Jacobian penalty). */
    public Var leaf(Tensor t) {
        return new Var(t, recording, null);
    }

    /** A parameter: its gradient accumulates into {@code grad} (a slot of the gradient arena, zeroed per step). */
    public Var parameter(Tensor value, Tensor grad) {
        return new Var(value, recording && grad != null, recording ? grad : null);
    }

    /** A tensor owned by this graph, released when it closes. */
    public Tensor temp(int... shape) {
        Tensor t = be.memory().allocate(shape);
        temps.add(t);
        return t;
    }

    private Var result(Tensor value, Var... inputs) {
        boolean rg = false;
        if (recording) for (Var v : inputs) rg |= v.requiresGrad;
        return new Var(value, rg, null);
    }

    private void record(Var out, Step step) {
        if (out.requiresGrad) tape.add(step);
    }

    /**
     * Ensures {@code v.grad} exists and says whether the op should add to it (true) or may overwrite it
     * (false: first contribution to a non-persistent gradient).
     */
    private boolean prepareGrad(Var v) {
        v.gradConstant = Double.NaN; // the caller writes something not known to be constant
        if (v.grad == null) {
            v.grad = temp(v.value.shape());
            return false;
        }
        return true;
    }

    /** Adds {@code delta} into v's gradient. */
    private void accumulate(Var v, Tensor delta) {
        accumulate(v, delta, Double.NaN);
    }

    /** As above, where every element of {@code delta} is known to equal {@code constant} (NaN: unknown). */
    private void accumulate(Var v, Tensor delta, double constant) {
        if (!v.requiresGrad) return;
        if (prepareGrad(v)) {
            be.elementwise().axpby(1.0, delta, 1.0, v.grad);
            v.gradConstant = Double.NaN;
        } else {
            be.memory().copy(delta, v.grad);
            v.gradConstant = constant;
        }
    }

    // ------------------------------------------------------------------------------------------ backward

    /** Back-propagates from a one-element output (its gradient seeded with 1). */
    public void backward(Var output) {
        if (output.value.size() != 1) throw new IllegalArgumentException("backward from a non-scalar " + output);
        if (!output.requiresGrad) return;
        prepareGrad(output);
        be.memory().fill(output.grad, 1.0);
        output.gradConstant = 1.0;
        for (int i = tape.size() - 1; i >= 0; i--) tape.get(i).run();
        tape.clear();
    }

    @Override
    public void close() {
        for (Tensor t : temps) be.memory().release(t);
        temps.clear();
        tape.clear();
    }

    // ------------------------------------------------------------------------------------------ ops

    /** {@code y = x W^T + b} with x [N, in], W [out, in] (PyTorch layout), b [out] or null. */
    public Var linear(Var x, Var w, Var b) {
        Tensor xt = x.value, wt = w.value;
        int n = xt.rows(), in = xt.cols(), outF = wt.rows();
        if (wt.cols() != in) {
            throw new IllegalArgumentException("linear: input has " + in + " features, weight expects " + wt.cols());
        }
        Tensor y = temp(n, outF);
        be.blas().gemm(false, true, n, outF, in, 1.0, xt, in, wt, in, 0.0, y, outF);
        if (b != null) be.elementwise().binary(BinaryOp.ADD, y, b.value, y);
        Var out = b == null ? result(y, x, w) : result(y, x, w, b);
        record(out, () -> {
            Tensor dy = out.grad;
            if (dy == null) return;
            if (x.requiresGrad) {
                boolean acc = prepareGrad(x);
                be.blas().gemm(false, false, n, in, outF, 1.0, dy, outF, wt, in, acc ? 1.0 : 0.0, x.grad, in);
            }
            if (w.requiresGrad) {
                boolean acc = prepareGrad(w);
                be.blas().gemm(true, false, outF, in, n, 1.0, dy, outF, xt, in, acc ? 1.0 : 0.0, w.grad, in);
            }
            if (b != null && b.requiresGrad) {
                boolean acc = prepareGrad(b);
                be.reduce().sumTo(dy, acc ? 1.0 : 0.0, b.grad);
            }
        });
        return out;
    }

    /** {@code op(A) op(B)} of two matrices. */
    public Var matmul(Var a, Var b, boolean transA, boolean transB) {
        Tensor at = a.value, bt = b.value;
        int m = transA ? at.cols() : at.rows(), k = transA ? at.rows() : at.cols();
        int n = transB ? bt.rows() : bt.cols();
        Tensor c = temp(m, n);
        be.blas().matmul(transA, transB, at, bt, 0.0, c);
        Var out = result(c, a, b);
        record(out, () -> {
            Tensor dc = out.grad;
            if (dc == null) return;
            if (a.requiresGrad) {
                boolean acc = prepareGrad(a);
                // dA = dC op(B)^T  (or its transpose when A was transposed)
                if (!transA) be.blas().matmul(false, !transB, dc, bt, acc ? 1 : 0, a.grad);
                else be.blas().matmul(transB, true, bt, dc, acc ? 1 : 0, a.grad);
            }
            if (b.requiresGrad) {
                boolean acc = prepareGrad(b);
                if (!transB) be.blas().matmul(!transA, false, at, dc, acc ? 1 : 0, b.grad);
                else be.blas().matmul(true, transA, dc, at, acc ? 1 : 0, b.grad);
            }
        });
        return out;
    }

    public Var add(Var a, Var b) { return binary(BinaryOp.ADD, a, b); }
    public Var sub(Var a, Var b) { return binary(BinaryOp.SUB, a, b); }
    public Var mul(Var a, Var b) { return binary(BinaryOp.MUL, a, b); }
    public Var div(Var a, Var b) { return binary(BinaryOp.DIV, a, b); }

    /** Element-wise binary op with broadcasting; gradients are summed back to each input's shape. */
    public Var binary(BinaryOp op, Var a, Var b) {
        int[] shape = Shapes.broadcast(a.value.shape(), b.value.shape());
        Tensor y = temp(shape);
        be.elementwise().binary(op, a.value, b.value, y);
        Var out = result(y, a, b);
        record(out, () -> {
            Tensor dy = out.grad;
            if (dy == null) return;
            switch (op) {
                case ADD:
                    reduceInto(a, dy, out.gradConstant);
                    reduceInto(b, dy, out.gradConstant);
                    break;
                case SUB:
                    reduceInto(a, dy);
                    if (b.requiresGrad) {
                        Tensor t = temp(shape);
                        be.elementwise().affine(dy, -1.0, 0.0, t);
                        reduceInto(b, t);
                    }
                    break;
                case MUL:
                    if (a.requiresGrad) {
                        Tensor t = temp(shape);
                        be.elementwise().binary(BinaryOp.MUL, dy, b.value, t);
                        reduceInto(a, t);
                    }
                    if (b.requiresGrad) {
                        Tensor t = temp(shape);
                        be.elementwise().binary(BinaryOp.MUL, dy, a.value, t);
                        reduceInto(b, t);
                    }
                    break;
                case DIV:
                    if (a.requiresGrad) {
                        Tensor t = temp(shape);
                        be.elementwise().binary(BinaryOp.DIV, dy, b.value, t);
                        reduceInto(a, t);
                    }
                    if (b.requiresGrad) { // d(a/b)/db = -y/b
                        Tensor t = temp(shape);
                        be.elementwise().binary(BinaryOp.MUL, dy, y, t);
                        be.elementwise().binary(BinaryOp.DIV, t, b.value, t);
                        be.elementwise().affine(t, -1.0, 0.0, t);
                        reduceInto(b, t);
                    }
                    break;
                default:
                    throw new UnsupportedOperationException("no gradient for " + op);
            }
        });
        return out;
    }

    /** Adds a broadcast-shaped gradient into v's gradient, summing over stretched dimensions. */
    private void reduceInto(Var v, Tensor g) {
        reduceInto(v, g, Double.NaN);
    }

    private void reduceInto(Var v, Tensor g, double constant) {
        if (!v.requiresGrad) return;
        if (v.value.size() == g.size()) {
            accumulate(v, g.reshape(v.value.shape()), constant);
        } else {
            boolean acc = prepareGrad(v);
            be.reduce().sumTo(g, acc ? 1.0 : 0.0, v.grad);
        }
    }

    /** {@code alpha * x + beta}. */
    public Var affine(Var x, double alpha, double beta) {
        Tensor y = temp(x.value.shape());
        be.elementwise().affine(x.value, alpha, beta, y);
        Var out = result(y, x);
        record(out, () -> {
            if (out.grad == null || !x.requiresGrad) return;
            double c = out.gradConstant;
            boolean acc = prepareGrad(x);
            be.elementwise().axpby(alpha, out.grad, acc ? 1.0 : 0.0, x.grad);
            if (!acc) x.gradConstant = alpha * c;
        });
        return out;
    }

    public Var scale(Var x, double alpha) { return affine(x, alpha, 0.0); }

    /** Unary maths (exp, log, square, abs, sqrt, neg, reciprocal); SIGN has zero gradient. */
    public Var unary(UnaryOp op, Var x) {
        Tensor y = temp(x.value.shape());
        be.elementwise().unary(op, x.value, y);
        Var out = result(y, x);
        record(out, () -> {
            Tensor dy = out.grad;
            if (dy == null || !x.requiresGrad) return;
            Tensor d = temp(x.value.shape());
            switch (op) {
                case NEG: be.elementwise().affine(dy, -1, 0, d); break;
                case EXP: be.elementwise().binary(BinaryOp.MUL, dy, y, d); break;
                case LOG: be.elementwise().binary(BinaryOp.DIV, dy, x.value, d); break;
                case SQUARE:
                    be.elementwise().binary(BinaryOp.MUL, dy, x.value, d);
                    be.elementwise().affine(d, 2, 0, d);
                    break;
                case SQRT: // dy / (2 y)
                    be.elementwise().binary(BinaryOp.DIV, dy, y, d);
                    be.elementwise().affine(d, 0.5, 0, d);
                    break;
                case ABS:
                    be.elementwise().unary(UnaryOp.SIGN, x.value, d);
                    be.elementwise().binary(BinaryOp.MUL, d, dy, d);
                    break;
                case RECIPROCAL: // -dy y^2
                    be.elementwise().binary(BinaryOp.MUL, y, y, d);
                    be.elementwise().binary(BinaryOp.MUL, d, dy, d);
                    be.elementwise().affine(d, -1, 0, d);
                    break;
                case SIGN:
                    be.memory().fill(d, 0);
                    break;
                default:
                    throw new AssertionError(op);
            }
            accumulate(x, d);
        });
        return out;
    }

    public Var activation(Activation kind, Var x) {
        return activation(kind, kind.defaultAlpha, x);
    }

    public Var activation(Activation kind, double alpha, Var x) {
        if (kind == Activation.IDENTITY) return x;
        Tensor y = temp(x.value.shape());
        be.activations().forward(kind, alpha, x.value, y);
        Var out = result(y, x);
        record(out, () -> {
            if (out.grad == null || !x.requiresGrad) return;
            boolean acc = prepareGrad(x);
            be.activations().backward(kind, alpha, x.value, y, out.grad, x.grad, acc);
        });
        return out;
    }

    /** The reduced loss of {@code pred} against a constant {@code target}, as a one-element variable. */
    public Var loss(Loss kind, Loss.Reduction reduction, Var pred, Var target) {
        if (pred.value.size() != target.value.size()) {
            throw new IllegalArgumentException("loss: prediction " + Shapes.str(pred.shape()) + " vs target "
                    + Shapes.str(target.shape()));
        }
        Tensor l = temp(1);
        Tensor g = pred.requiresGrad ? temp(pred.value.shape()) : null;
        be.losses().lossAndGrad(kind, reduction, pred.value, target.value, l, g, 1.0);
        Var out = result(l, pred);
        record(out, () -> {
            if (out.grad == null || g == null) return;
            // chain rule with the upstream scalar gradient: g was computed for an upstream gradient of 1
            double c = out.gradConstant;
            if (Double.isFinite(c)) {
                if (pred.grad == null && c == 1.0) {
                    pred.grad = g; // g belongs to this op alone: hand it over instead of copying
                } else {
                    boolean acc = prepareGrad(pred);
                    be.elementwise().axpby(c, g, acc ? 1.0 : 0.0, pred.grad);
                }
                return;
            }
            Tensor scaled = temp(pred.value.shape());
            be.elementwise().binary(BinaryOp.MUL, g, out.grad, scaled);
            accumulate(pred, scaled);
        });
        return out;
    }

    /** Sum of all elements, as a one-element variable. */
    public Var sum(Var x) {
        Tensor s = temp(1);
        be.reduce().sum(x.value, s);
        Var out = result(s, x);
        record(out, () -> {
            if (out.grad == null || !x.requiresGrad) return;
            Tensor d = temp(x.value.shape());
            be.elementwise().binary(BinaryOp.MUL, onesLike(d), out.grad, d);
            accumulate(x, d);
        });
        return out;
    }

    private Tensor onesLike(Tensor t) {
        be.memory().fill(t, 1.0);
        return t;
    }

    /** Mean of all elements. */
    public Var mean(Var x) {
        return scale(sum(x), 1.0 / x.value.size());
    }

    /** Sums x down to {@code shape} (the reverse of broadcasting), e.g. [N, D] to [D] or [N, 1]. */
    public Var sumTo(Var x, int... shape) {
        Tensor y = temp(shape);
        be.reduce().sumTo(x.value, 0.0, y);
        Var out = result(y, x);
        record(out, () -> {
            if (out.grad == null || !x.requiresGrad) return;
            Tensor d = temp(x.value.shape());
            be.memory().fill(d, 0.0);
            be.elementwise().binary(BinaryOp.ADD, d, out.grad, d);
            accumulate(x, d);
        });
        return out;
    }

    /** The same elements in another shape (no copy). */
    public Var reshape(Var x, int... shape) {
        Tensor y = x.value.reshape(shape);
        Var out = result(y, x);
        record(out, () -> {
            if (out.grad == null || !x.requiresGrad) return;
            accumulate(x, out.grad.reshape(x.value.shape()));
        });
        return out;
    }

    /**
     * Inverted dropout: in training, each element is kept with probability {@code 1 - rate} and scaled by
     * {@code 1 / (1 - rate)}; at inference it is the identity.
     */
    public Var dropout(Var x, double rate) {
        if (!training || rate <= 0) return x;
        if (rate >= 1) throw new IllegalArgumentException("dropout rate must be < 1, got " + rate);
        Tensor mask = temp(x.value.shape());
        be.random().bernoulli(mask, seed, nextCounter(mask.size()), 1.0 - rate);
        be.elementwise().affine(mask, 1.0 / (1.0 - rate), 0.0, mask);
        return mul(x, constant(mask));
    }

    /** Reserves {@code n} consecutive counters of this graph's random stream. */
    public long nextCounter(long n) {
        long c = counter;
        counter += n;
        return c;
    }

    public long seed() { return seed; }

    /** Derives a stream seed from a base seed and a step index (for per-step dropout / noise streams). */
    public static long streamSeed(long baseSeed, long step) {
        return CounterRng.mix(baseSeed ^ CounterRng.mix(step + 0x5DEECE66DL));
    }

    @Override
    public String toString() {
        return "Graph(" + tape.size() + " steps, " + temps.size() + " temporaries" + (training ? ", training" : "") + ")"
                + Arrays.toString(new int[0]);
    }
}
