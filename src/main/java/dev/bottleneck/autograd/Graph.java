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

    /** Writes a gradient into {@code grad}, or adds to what it holds when {@code accumulate}. */
    private interface GradWrite {
        void into(Tensor grad, boolean accumulate);
    }

    /** When v is not null and needs a gradient: prepares v's gradient ({@link #prepareGrad}) and has {@code write} fill it. */
    private void gradInto(Var v, GradWrite write) {
        if (v == null || !v.requiresGrad) return;
        boolean acc = prepareGrad(v);
        write.into(v.grad, acc);
    }

    /** The input gradient of a one-input op, from its output gradient dy, written into dx (or added when accumulate). */
    private interface InputGrad {
        void write(Tensor dy, Tensor dx, boolean accumulate);
    }

    /** The backward step of a one-input op, given its output (whose gradient is there). */
    private interface Backward {
        void run(Var out);
    }

    /** The result y of an op on x alone; its backward step runs when the output has a gradient and x needs one. */
    private Var withBackward(Tensor y, Var x, Backward backward) {
        Var out = result(y, x);
        record(out, () -> {
            if (out.grad != null && x.requiresGrad) backward.run(out);
        });
        return out;
    }

    /** The result y of a one-input op whose backward pass writes x's gradient in place through {@code backward}. */
    private Var withInputGrad(Tensor y, Var x, InputGrad backward) {
        return withBackward(y, x, out -> gradInto(x, (dx, acc) -> backward.write(out.grad, dx, acc)));
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
            if (x.requiresGrad && w.requiresGrad && be.blas().pairs(n, in, outF)) { // independent, the same FLOPs
                boolean accX = prepareGrad(x), accW = prepareGrad(w);
                Tensor dx = x.grad, dw = w.grad;
                be.blas().gemmPair(
                        () -> be.blas().gemm(false, false, n, in, outF, 1.0, dy, outF, wt, in, accX ? 1.0 : 0.0, dx, in),
                        () -> be.blas().gemm(true, false, outF, in, n, 1.0, dy, outF, xt, in, accW ? 1.0 : 0.0, dw, in));
            } else {
                gradInto(x, (dx, acc) -> be.blas().gemm(false, false, n, in, outF, 1.0, dy, outF, wt, in, acc ? 1.0 : 0.0, dx, in));
                gradInto(w, (dw, acc) -> be.blas().gemm(true, false, outF, in, n, 1.0, dy, outF, xt, in, acc ? 1.0 : 0.0, dw, in));
            }
            gradInto(b, (db, acc) -> be.reduce().sumTo(dy, acc ? 1.0 : 0.0, db));
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
            gradInto(a, (da, acc) -> {
                // dA = dC op(B)^T  (or its transpose when A was transposed)
                if (!transA) be.blas().matmul(false, !transB, dc, bt, acc ? 1 : 0, da);
                else be.blas().matmul(transB, true, bt, dc, acc ? 1 : 0, da);
            });
            gradInto(b, (db, acc) -> {
                if (!transB) be.blas().matmul(!transA, false, at, dc, acc ? 1 : 0, db);
                else be.blas().matmul(true, transA, dc, at, acc ? 1 : 0, db);
            });
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
                    reduceInto(a, BinaryOp.MUL, dy, b.value, shape);
                    reduceInto(b, BinaryOp.MUL, dy, a.value, shape);
                    break;
                case DIV:
                    reduceInto(a, BinaryOp.DIV, dy, b.value, shape);
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

    /** When v needs a gradient: adds {@code op(dy, other)}, computed in the broadcast {@code shape}, into it. */
    private void reduceInto(Var v, BinaryOp op, Tensor dy, Tensor other, int[] shape) {
        if (!v.requiresGrad) return;
        Tensor t = temp(shape);
        be.elementwise().binary(op, dy, other, t);
        reduceInto(v, t);
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
            gradInto(v, (dv, acc) -> be.reduce().sumTo(g, acc ? 1.0 : 0.0, dv));
        }
    }

    /** {@code alpha * x + beta}. */
    public Var affine(Var x, double alpha, double beta) {
        Tensor y = temp(x.value.shape());
        be.elementwise().affine(x.value, alpha, beta, y);
        return withBackward(y, x, out -> {
            double c = out.gradConstant;
            boolean acc = prepareGrad(x);
            be.elementwise().axpby(alpha, out.grad, acc ? 1.0 : 0.0, x.grad);
            if (!acc) x.gradConstant = alpha * c;
        });
    }

    public Var scale(Var x, double alpha) { return affine(x, alpha, 0.0); }

    /**
     * {@code min(max(x, lo), hi)}; the gradient passes where {@code lo <= x <= hi} and is 0 where x was clipped.
     * The mask is {@code 1 - sign|clamp(x) - x|}, exactly 1 inside the range (the difference is exactly 0 there).
     */
    public Var clamp(Var x, double lo, double hi) {
        Tensor y = temp(x.value.shape());
        be.elementwise().clamp(x.value, lo, hi, y);
        return withBackward(y, x, out -> {
            Tensor d = temp(x.value.shape());
            be.elementwise().binary(BinaryOp.SUB, y, x.value, d);
            be.elementwise().unary(UnaryOp.ABS, d, d);
            be.elementwise().unary(UnaryOp.SIGN, d, d);
            be.elementwise().affine(d, -1.0, 1.0, d);
            be.elementwise().binary(BinaryOp.MUL, d, out.grad, d);
            accumulate(x, d);
        });
    }

    /** Unary maths (exp, log, square, abs, sqrt, neg, reciprocal); SIGN has zero gradient. */
    public Var unary(UnaryOp op, Var x) {
        Tensor y = temp(x.value.shape());
        be.elementwise().unary(op, x.value, y);
        return withBackward(y, x, out -> {
            Tensor dy = out.grad;
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
    }

    public Var activation(Activation kind, Var x) {
        return activation(kind, kind.defaultAlpha, x);
    }

    public Var activation(Activation kind, double alpha, Var x) {
        if (kind == Activation.IDENTITY) return x;
        Tensor y = temp(x.value.shape());
        be.activations().forward(kind, alpha, x.value, y);
        return withInputGrad(y, x, (dy, dx, acc) -> be.activations().backward(kind, alpha, x.value, y, dy, dx, acc));
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
        return withBackward(s, x, out -> {
            Tensor d = temp(x.value.shape());
            be.elementwise().binary(BinaryOp.MUL, onesLike(d), out.grad, d);
            accumulate(x, d);
        });
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
        return withBackward(y, x, out -> {
            Tensor d = temp(x.value.shape());
            be.memory().fill(d, 0.0);
            be.elementwise().binary(BinaryOp.ADD, d, out.grad, d);
            accumulate(x, d);
        });
    }

    /** The same elements in another shape (no copy). */
    public Var reshape(Var x, int... shape) {
        Tensor y = x.value.reshape(shape);
        return withBackward(y, x, out -> {
            accumulate(x, out.grad.reshape(x.value.shape()));
        });
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

    /**
     * Columns {@code [from, from + count)} of a matrix {@code x} [N, C], as a new [N, count] variable (for example
     * the mean and the log-variance halves of a Gaussian encoder's output). Backward scatters the gradient into
     * those columns of x's gradient; the other columns receive zero.
     */
    public Var columns(Var x, int from, int count) {
        Tensor xt = x.value;
        int n = xt.rows(), c = xt.cols();
        if (from < 0 || count < 0 || from + count > c) {
            throw new IllegalArgumentException("columns [" + from + ", " + (from + count) + ") of a matrix with " + c + " columns");
        }
        Tensor y = temp(n, count);
        be.memory().copyColumns(xt, from, y, 0, count);
        return withBackward(y, x, out -> {
            Tensor d = temp(n, c);
            be.memory().fill(d, 0.0);
            be.memory().copyColumns(out.grad, 0, d, from, count);
            accumulate(x, d.reshape(xt.shape()));
        });
    }

    /**
     * A fresh tensor of independent N(0, 1) numbers (the ε of the reparameterisation trick), drawn from this
     * graph's counter-based stream: element i is {@code CounterRng.normal(seed, counter + i)}, so the same graph
     * seed gives the same numbers on every backend. Unlike {@link #dropout}, it draws in inference graphs too.
     * It is a constant: no gradient flows into it.
     */
    public Var normal(int... shape) {
        Tensor t = temp(shape);
        be.random().normal(t, seed, nextCounter(t.size()), 0.0, 1.0);
        return constant(t);
    }

    // ------------------------------------------------------------------------------------------ convolution, pooling, batch norm (NCHW)

    /** {@code y = conv2d(x, w) + b} with x [n, cIn, h, w], w [cOut, cIn, kh, kw] (PyTorch layout), b [cOut] or null. */
    public Var conv2d(Var x, Var w, Var b, int stride, int pad, int dilation) {
        return conv2d(x, w, b, stride, stride, pad, pad, dilation, dilation);
    }

    public Var conv2d(Var x, Var w, Var b, int strideH, int strideW, int padH, int padW, int dilH, int dilW) {
        Tensor xt = x.value, wt = w.value;
        if (xt.rank() != 4 || wt.rank() != 4 || xt.dim(1) != wt.dim(1)) {
            throw new IllegalArgumentException("conv2d: input " + Shapes.str(xt.shape()) + " must be [n, cIn, h, w] and weight "
                    + Shapes.str(wt.shape()) + " [cOut, cIn, kh, kw] with the same cIn");
        }
        dev.bottleneck.backend.Conv2dGeometry geo = new dev.bottleneck.backend.Conv2dGeometry(xt.dim(0), xt.dim(1), xt.dim(2),
                xt.dim(3), wt.dim(0), wt.dim(2), wt.dim(3), strideH, strideW, padH, padW, dilH, dilW);
        Tensor y = temp(geo.outputShape());
        be.conv().forward(geo, xt, wt, b == null ? null : b.value, y);
        Var out = b == null ? result(y, x, w) : result(y, x, w, b);
        record(out, () -> {
            Tensor dy = out.grad;
            if (dy == null) return;
            gradInto(x, (dx, acc) -> be.conv().backwardData(geo, dy, wt, dx, acc));
            gradInto(w, (dw, acc) -> be.conv().backwardFilter(geo, xt, dy, dw, acc));
            gradInto(b, (db, acc) -> be.conv().backwardBias(dy, db, acc));
        });
        return out;
    }

    /**
     * Transposed convolution (PyTorch {@code ConvTranspose2d}): x [n, cIn, h, w], w [cIn, cOut, kh, kw], b [cOut] or
     * null; the output is [n, cOut, (h - 1) stride - 2 pad + dilation (k - 1) + outputPadding + 1, ...]. It is the
     * input gradient of the convolution that maps the output's shape back to x's with the same weight (seen as
     * [cOut', cIn'] = [cIn, cOut]), so its forward is that convolution's backward-data pass.
     */
    public Var convTranspose2d(Var x, Var w, Var b, int stride, int pad, int outputPadding, int dilation) {
        return convTranspose2d(x, w, b, stride, stride, pad, pad, outputPadding, outputPadding, dilation, dilation);
    }

    public Var convTranspose2d(Var x, Var w, Var b, int strideH, int strideW, int padH, int padW, int outPadH, int outPadW,
                               int dilH, int dilW) {
        Tensor xt = x.value, wt = w.value;
        if (xt.rank() != 4 || wt.rank() != 4 || xt.dim(1) != wt.dim(0)) {
            throw new IllegalArgumentException("convTranspose2d: input " + Shapes.str(xt.shape()) + " must be [n, cIn, h, w] and weight "
                    + Shapes.str(wt.shape()) + " [cIn, cOut, kh, kw] with the same cIn");
        }
        if ((outPadH >= strideH && outPadH >= dilH) || (outPadW >= strideW && outPadW >= dilW) || outPadH < 0 || outPadW < 0) {
            throw new IllegalArgumentException("convTranspose2d: output padding " + outPadH + "x" + outPadW
                    + " must be smaller than the stride or the dilation");
        }
        int n = xt.dim(0), cIn = xt.dim(1), h = xt.dim(2), wd = xt.dim(3), cOut = wt.dim(1), kh = wt.dim(2), kw = wt.dim(3);
        int oh = (h - 1) * strideH - 2 * padH + dilH * (kh - 1) + outPadH + 1;
        int ow = (wd - 1) * strideW - 2 * padW + dilW * (kw - 1) + outPadW + 1;
        if (oh < 1 || ow < 1) throw new IllegalArgumentException("convTranspose2d: output would be empty for " + Shapes.str(xt.shape()));
        dev.bottleneck.backend.Conv2dGeometry geo = new dev.bottleneck.backend.Conv2dGeometry(n, cOut, oh, ow, cIn, kh, kw,
                strideH, strideW, padH, padW, dilH, dilW);
        if (geo.outH() != h || geo.outW() != wd) throw new IllegalStateException("convTranspose2d geometry mismatch: " + geo);
        Tensor y = temp(n, cOut, oh, ow);
        be.conv().backwardData(geo, xt, wt, y, false);
        if (b != null) addChannelBias(y, b.value);
        Var out = b == null ? result(y, x, w) : result(y, x, w, b);
        record(out, () -> {
            Tensor dy = out.grad;
            if (dy == null) return;
            if (x.requiresGrad) {
                if (x.grad == null) {
                    prepareGrad(x);
                    be.conv().forward(geo, dy, wt, null, x.grad);
                } else {
                    Tensor t = temp(xt.shape());
                    be.conv().forward(geo, dy, wt, null, t);
                    accumulate(x, t);
                }
            }
            // roles swapped: the mirrored convolution's input is dy, its output gradient is x
            gradInto(w, (dw, acc) -> be.conv().backwardFilter(geo, dy, xt, dw, acc));
            gradInto(b, (db, acc) -> be.conv().backwardBias(dy, db, acc));
        });
        return out;
    }

    /**
     * {@code y[n, c, ...] += bias[c]} with two rank-1 GEMMs (bias x ones expands it over the positions, ones x that
     * adds it to every sample): backend-neutral and without a slow general broadcast.
     */
    private void addChannelBias(Tensor y, Tensor bias) {
        int n = y.dim(0), c = y.dim(1);
        int hw = (int) (y.size() / ((long) n * c));
        Tensor ones = temp(Math.max(n, hw));
        be.memory().fill(ones, 1.0);
        Tensor expanded = temp(c, hw);
        be.blas().gemm(false, false, c, hw, 1, 1.0, bias, 1, ones, hw, 0.0, expanded, hw);
        be.blas().gemm(false, false, n, c * hw, 1, 1.0, ones, 1, expanded, c * hw, 1.0, y, c * hw);
    }

    /** Max pooling (padding counts as -infinity; the gradient goes to the first maximum of each window). */
    public Var maxPool2d(Var x, int kernel, int stride, int pad) {
        return maxPool2d(x, kernel, kernel, stride, stride, pad, pad);
    }

    public Var maxPool2d(Var x, int kh, int kw, int strideH, int strideW, int padH, int padW) {
        Tensor xt = x.value;
        dev.bottleneck.backend.Pool2dGeometry geo = poolGeometry("maxPool2d", xt, kh, kw, strideH, strideW, padH, padW, true);
        Tensor y = temp(geo.outputShape());
        be.pool().maxForward(geo, xt, y);
        return withInputGrad(y, x, (dy, dx, acc) -> be.pool().maxBackward(geo, xt, y, dy, dx, acc));
    }

    /** Average pooling; {@code countIncludePad}: divide by the whole window (PyTorch's default) or by its real elements. */
    public Var avgPool2d(Var x, int kernel, int stride, int pad, boolean countIncludePad) {
        return avgPool2d(x, kernel, kernel, stride, stride, pad, pad, countIncludePad);
    }

    public Var avgPool2d(Var x, int kh, int kw, int strideH, int strideW, int padH, int padW, boolean countIncludePad) {
        Tensor xt = x.value;
        dev.bottleneck.backend.Pool2dGeometry geo = poolGeometry("avgPool2d", xt, kh, kw, strideH, strideW, padH, padW, countIncludePad);
        Tensor y = temp(geo.outputShape());
        be.pool().avgForward(geo, xt, y);
        return withInputGrad(y, x, (dy, dx, acc) -> be.pool().avgBackward(geo, dy, dx, acc));
    }

    private static dev.bottleneck.backend.Pool2dGeometry poolGeometry(String op, Tensor xt, int kh, int kw, int sh, int sw, int ph,
                                                                       int pw, boolean countIncludePad) {
        if (xt.rank() != 4) throw new IllegalArgumentException(op + ": input must be [n, c, h, w], got " + Shapes.str(xt.shape()));
        return new dev.bottleneck.backend.Pool2dGeometry(xt.dim(0), xt.dim(1), xt.dim(2), xt.dim(3), kh, kw, sh, sw, ph, pw,
                countIncludePad);
    }

    /** Up-sampling of [n, c, h, w] to [n, c, h scaleH, w scaleW] (nearest, or bilinear with align_corners=False). */
    public Var upsample2d(Var x, dev.bottleneck.backend.Upsample mode, int scaleH, int scaleW) {
        Tensor xt = x.value;
        if (xt.rank() != 4) throw new IllegalArgumentException("upsample2d: input must be [n, c, h, w], got " + Shapes.str(xt.shape()));
        Tensor y = temp(xt.dim(0), xt.dim(1), xt.dim(2) * scaleH, xt.dim(3) * scaleW);
        be.pool().upsampleForward(mode, scaleH, scaleW, xt, y);
        return withInputGrad(y, x, (dy, dx, acc) -> be.pool().upsampleBackward(mode, scaleH, scaleW, dy, dx, acc));
    }

    /** A max pooling's output and, per output element, the flat index of its maximum within the input plane. */
    public record Pooled(Var out, Tensor indices) { }

    /** Max pooling that also returns the argmax indices (SegNet); the gradient goes to the recorded maximum. */
    public Pooled maxPool2dWithIndices(Var x, int kernel, int stride) {
        Tensor xt = x.value;
        dev.bottleneck.backend.Pool2dGeometry geo = poolGeometry("maxPool2dWithIndices", xt, kernel, kernel, stride, stride, 0, 0, true);
        Tensor y = temp(geo.outputShape()), idx = temp(geo.outputShape());
        be.pool().maxPoolIndicesForward(geo, xt, y, idx);
        return new Pooled(withInputGrad(y, x, (dy, dx, acc) -> be.pool().maxPoolIndicesBackward(geo, idx, dy, dx, acc)), idx);
    }

    /** Max un-pooling: x [n, c, h, w] placed at {@code indices} (from maxPool2dWithIndices) into zeros [n, c, outH, outW]. */
    public Var maxUnpool2d(Var x, Tensor indices, int outH, int outW) {
        Tensor xt = x.value;
        if (xt.rank() != 4 || indices.size() != xt.size()) {
            throw new IllegalArgumentException("maxUnpool2d: input " + Shapes.str(xt.shape()) + " must be [n, c, h, w] with indices of its shape, got "
                    + Shapes.str(indices.shape()));
        }
        Tensor y = temp(xt.dim(0), xt.dim(1), outH, outW);
        be.pool().maxUnpoolForward(xt, indices, y);
        return withInputGrad(y, x, (dy, dx, acc) -> be.pool().maxUnpoolBackward(indices, dy, dx, acc));
    }

    /** Mean per-pixel softmax cross-entropy of logits [n, c, h, w] against class numbers [n, h, w] (a constant). */
    public Var softmaxCrossEntropy(Var logits, Tensor target) {
        Tensor l = temp(1);
        Tensor gr = logits.requiresGrad ? temp(logits.value.shape()) : null;
        be.losses().softmaxCrossEntropy(logits.value, target, l, gr, 1.0);
        Var out = result(l, logits);
        record(out, () -> {
            if (out.grad == null || gr == null) return;
            Tensor scaled = temp(logits.value.shape());
            be.elementwise().binary(BinaryOp.MUL, gr, out.grad, scaled);
            accumulate(logits, scaled);
        });
        return out;
    }

    /**
     * Batch normalisation per channel of x [n, c, ...]. In a training graph: batch statistics, and the running
     * statistics (plain tensors, no gradient) are updated in place with {@code momentum}; otherwise the running
     * statistics are used. A recording non-training graph (rare: gradients of an evaluation-mode model) composes the
     * affine map from element-wise ops so that gradients flow to x, gamma and beta.
     */
    public Var batchNorm2d(Var x, Var gamma, Var beta, Tensor runningMean, Tensor runningVar, double momentum, double eps) {
        Tensor xt = x.value;
        if (xt.rank() < 2) throw new IllegalArgumentException("batchNorm2d: input must be [n, c, ...], got " + Shapes.str(xt.shape()));
        int c = xt.dim(1);
        if (!training) {
            if (runningMean == null || runningVar == null) throw new IllegalArgumentException("batchNorm2d: inference needs running statistics");
            if (recording && (x.requiresGrad || gamma.requiresGrad || beta.requiresGrad)) {
                int[] bs = new int[xt.rank() - 1];
                Arrays.fill(bs, 1);
                bs[0] = c;
                Var rm = constant(runningMean.reshape(bs)), rv = constant(runningVar.reshape(bs));
                Var scale = mul(reshape(gamma, bs), unary(UnaryOp.RECIPROCAL, unary(UnaryOp.SQRT, affine(rv, 1.0, eps))));
                return add(mul(sub(x, rm), scale), reshape(beta, bs));
            }
            Tensor y = temp(xt.shape());
            be.norm().batchNormInference(xt, gamma.value, beta.value, runningMean, runningVar, eps, y);
            return result(y, x, gamma, beta);
        }
        Tensor y = temp(xt.shape()), mean = temp(c), invStd = temp(c);
        be.norm().batchNormTrainForward(xt, gamma.value, beta.value, runningMean, runningVar, momentum, eps, y, mean, invStd);
        Var out = result(y, x, gamma, beta);
        record(out, () -> {
            Tensor dy = out.grad;
            if (dy == null) return;
            boolean dxDirect = x.requiresGrad && x.grad == null;
            if (dxDirect) prepareGrad(x);
            Tensor dx = dxDirect ? x.grad : temp(xt.shape());
            boolean paramsDirect = gamma.requiresGrad && beta.requiresGrad && gamma.grad != null && beta.grad != null;
            Tensor dg, db;
            if (paramsDirect) {
                prepareGrad(gamma);
                prepareGrad(beta);
                dg = gamma.grad;
                db = beta.grad;
            } else {
                dg = temp(c);
                db = temp(c);
            }
            be.norm().batchNormBackward(xt, dy, gamma.value, mean, invStd, eps, dx, dg, db, paramsDirect);
            if (!dxDirect) accumulate(x, dx);
            if (!paramsDirect) {
                accumulate(gamma, dg);
                accumulate(beta, db);
            }
        });
        return out;
    }

    // ------------------------------------------------------------------------------------------ recurrent

    /**
     * A multi-layer LSTM or GRU ({@link dev.bottleneck.backend.RnnOps}) over x [N, T, In] with the flat weights w in
     * {@link dev.bottleneck.backend.RnnGeometry}'s canonical layout; returns the output sequence [N, T, D·H]. Zero
     * initial states. In a recording graph the forward pass keeps a reserve for the backward pass.
     */
    public Var rnn(dev.bottleneck.backend.RnnGeometry geo, Var x, Var w) {
        Tensor xt = x.value;
        if (xt.rank() != 3 || xt.dim(2) != geo.input()) {
            throw new IllegalArgumentException("rnn: input must be [N, T, " + geo.input() + "], got " + Shapes.str(xt.shape()));
        }
        int n = xt.dim(0), t = xt.dim(1);
        Tensor y = temp(n, t, geo.outputSize());
        Var out = result(y, x, w);
        Tensor reserve = out.requiresGrad ? temp(Math.toIntExact(Math.max(1, be.rnn().reserveSize(geo, n, t)))) : null;
        be.rnn().forward(geo, xt, w.value, y, null, reserve);
        record(out, () -> {
            if (out.grad == null) return;
            Tensor dx = temp(xt.shape());
            be.rnn().backwardData(geo, w.value, y, out.grad, null, dx, reserve);
            if (x.requiresGrad) accumulate(x, dx);
            if (w.requiresGrad) {
                if (!prepareGrad(w)) be.memory().fill(w.grad, 0.0);
                be.rnn().backwardWeights(geo, xt, y, w.grad, reserve);
            }
        });
        return out;
    }

    /**
     * The last hidden state of the top layer from an RNN output sequence y [N, T, D·H]: the forward direction's h
     * after step T-1 and, when bidirectional (D = 2), the backward direction's h after step 0, side by side
     * [N, D·H] (PyTorch's {@code cat(h_n[-2], h_n[-1])}).
     */
    public Var lastHidden(Var y, int directions) {
        Tensor yt = y.value;
        int n = yt.dim(0), t = yt.dim(1), dh = yt.dim(2), h = dh / directions;
        Tensor flat = yt.reshape(n, t * dh);
        Tensor o = temp(n, dh);
        be.memory().copyColumns(flat, (t - 1) * dh, o, 0, h);
        if (directions == 2) be.memory().copyColumns(flat, h, o, h, h);
        return withBackward(o, y, out -> {
            Tensor d = temp(n, t * dh);
            be.memory().fill(d, 0.0);
            be.memory().copyColumns(out.grad, 0, d, (t - 1) * dh, h);
            if (directions == 2) be.memory().copyColumns(out.grad, h, d, h, h);
            accumulate(y, d.reshape(yt.shape()));
        });
    }

    /**
     * Repeats a code c [N, L] over T steps as a sequence [N, T, L + E]: step t holds c, followed (when {@code extra}
     * [N, T, E] is given, e.g. the previous true step for teacher forcing) by {@code extra[:, t, :]}, a constant.
     */
    public Var repeatSteps(Var c, int steps, Tensor extra) {
        Tensor ct = c.value;
        int n = ct.rows(), l = ct.cols(), e = extra == null ? 0 : extra.dim(2), w = l + e;
        Tensor c2 = ct.reshape(n, l);
        Tensor o = temp(n, steps, w);
        Tensor of = o.reshape(n, steps * w);
        Tensor ef = extra == null ? null : extra.reshape(n, steps * e);
        for (int s = 0; s < steps; s++) {
            be.memory().copyColumns(c2, 0, of, s * w, l);
            if (ef != null) be.memory().copyColumns(ef, s * e, of, s * w + l, e);
        }
        return withBackward(o, c, out -> {
            Tensor g = out.grad.reshape(n, steps * w);
            Tensor sum = temp(n, l), part = temp(n, l);
            be.memory().copyColumns(g, 0, sum, 0, l);
            for (int s = 1; s < steps; s++) {
                be.memory().copyColumns(g, s * w, part, 0, l);
                be.elementwise().axpby(1.0, part, 1.0, sum);
            }
            accumulate(c, sum.reshape(ct.shape()));
        });
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
