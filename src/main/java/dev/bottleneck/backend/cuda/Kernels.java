package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.cuda.KernelStruct.BnBroadcast;
import dev.bottleneck.backend.cuda.KernelStruct.BnReduce;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * One typed Java entry point per CUDA kernel of {@code kernels/*.cu}: the method has the kernel's name, and after
 * the launch shape ({@code grid} blocks of {@code block} threads) the kernel's parameters with their names, in
 * their order, with these types: {@code @Ptr long} for a pointer (a device address, 0 for null), {@code int} for
 * {@code int}, {@code long} for {@code i64}/{@code u64}, {@code float}, {@code double}, and a {@link KernelStruct}
 * record for a struct passed by value.
 *
 * <p>{@code KernelSignatureTest} parses every {@code extern "C" __global__} signature in {@code kernels/*.cu} and
 * compares it with these methods (names, count, order, widths, struct sizes), and calls each method to check
 * that it passes its arguments in that order: a kernel added or changed on one side only fails the build's tests,
 * without a GPU. Call under the backend lock (the sink reuses one argument block).
 */
final class Kernels {
    /** Marks a {@code long} parameter that is a device pointer rather than a {@code long long} value. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.PARAMETER)
    @interface Ptr { }

    private final KernelSink sink;

    Kernels(KernelSink sink) {
        this.sink = sink;
    }

    // ------------------------------------------------------------------------------ kernels/elementwise.cu
    /** {@code ew_binary_mod(int op, const float* a, i64 aMod, const float* b, i64 bMod, float* out, i64 n)} */
    void ew_binary_mod(int grid, int block, int op, @Ptr long a, long aMod, @Ptr long b, long bMod, @Ptr long out, long n) {
        sink.begin().i32(op).ptr(a).i64(aMod).ptr(b).i64(bMod).ptr(out).i64(n)
                .launch("ew_binary_mod", grid, block);
    }

    /** {@code ew_binary_bcast(int op, const float* a, const float* b, float* out, i64 n, BnBroadcast s)} */
    void ew_binary_bcast(int grid, int block, int op, @Ptr long a, @Ptr long b, @Ptr long out, long n, BnBroadcast s) {
        sink.begin().i32(op).ptr(a).ptr(b).ptr(out).i64(n).struct(s)
                .launch("ew_binary_bcast", grid, block);
    }

    /** {@code ew_unary(int op, const float* x, float* out, i64 n)} */
    void ew_unary(int grid, int block, int op, @Ptr long x, @Ptr long out, long n) {
        sink.begin().i32(op).ptr(x).ptr(out).i64(n)
                .launch("ew_unary", grid, block);
    }

    /** {@code ew_affine(const float* x, float alpha, float beta, float* out, i64 n)} */
    void ew_affine(int grid, int block, @Ptr long x, float alpha, float beta, @Ptr long out, long n) {
        sink.begin().ptr(x).f32(alpha).f32(beta).ptr(out).i64(n)
                .launch("ew_affine", grid, block);
    }

    /** {@code ew_axpby(float alpha, const float* x, float beta, float* y, i64 n)} */
    void ew_axpby(int grid, int block, float alpha, @Ptr long x, float beta, @Ptr long y, long n) {
        sink.begin().f32(alpha).ptr(x).f32(beta).ptr(y).i64(n)
                .launch("ew_axpby", grid, block);
    }

    /** {@code ew_clamp(const float* x, double lo, double hi, float* out, i64 n)} */
    void ew_clamp(int grid, int block, @Ptr long x, double lo, double hi, @Ptr long out, long n) {
        sink.begin().ptr(x).f64(lo).f64(hi).ptr(out).i64(n)
                .launch("ew_clamp", grid, block);
    }

    /** {@code ew_fill(float* out, float value, i64 n)} */
    void ew_fill(int grid, int block, @Ptr long out, float value, long n) {
        sink.begin().ptr(out).f32(value).i64(n)
                .launch("ew_fill", grid, block);
    }

    // ------------------------------------------------------------------------------ kernels/activation.cu
    /** {@code act_forward(int kind, float alpha, const float* x, float* y, i64 n)} */
    void act_forward(int grid, int block, int kind, float alpha, @Ptr long x, @Ptr long y, long n) {
        sink.begin().i32(kind).f32(alpha).ptr(x).ptr(y).i64(n)
                .launch("act_forward", grid, block);
    }

    /** {@code act_backward(int kind, float alpha, const float* x, const float* y, const float* dy, float* dx, i64 n, int accumulate)} */
    void act_backward(int grid, int block, int kind, float alpha, @Ptr long x, @Ptr long y, @Ptr long dy, @Ptr long dx, long n, int accumulate) {
        sink.begin().i32(kind).f32(alpha).ptr(x).ptr(y).ptr(dy).ptr(dx).i64(n).i32(accumulate)
                .launch("act_backward", grid, block);
    }

    // ------------------------------------------------------------------------------ kernels/reduce.cu
    /** {@code red_partials(int mode, const float* x, i64 n, double* partials)} */
    void red_partials(int grid, int block, int mode, @Ptr long x, long n, @Ptr long partials) {
        sink.begin().i32(mode).ptr(x).i64(n).ptr(partials)
                .launch("red_partials", grid, block);
    }

    /** {@code red_finish(const double* partials, int count, float* out, double divisor, double beta, int flag)} */
    void red_finish(int grid, int block, @Ptr long partials, int count, @Ptr long out, double divisor, double beta, int flag) {
        sink.begin().ptr(partials).i32(count).ptr(out).f64(divisor).f64(beta).i32(flag)
                .launch("red_finish", grid, block);
    }

    /** {@code red_sum_to_thread(const float* x, float* out, i64 nOut, i64 nRed, BnReduce s, double beta)} */
    void red_sum_to_thread(int grid, int block, @Ptr long x, @Ptr long out, long nOut, long nRed, BnReduce s, double beta) {
        sink.begin().ptr(x).ptr(out).i64(nOut).i64(nRed).struct(s).f64(beta)
                .launch("red_sum_to_thread", grid, block);
    }

    /** {@code red_sum_to_block(const float* x, float* out, i64 nOut, i64 nRed, BnReduce s, double beta)} */
    void red_sum_to_block(int grid, int block, @Ptr long x, @Ptr long out, long nOut, long nRed, BnReduce s, double beta) {
        sink.begin().ptr(x).ptr(out).i64(nOut).i64(nRed).struct(s).f64(beta)
                .launch("red_sum_to_block", grid, block);
    }

    // ------------------------------------------------------------------------------ kernels/loss.cu
    /** {@code loss_partials(int kind, const float* pred, const float* target, float* grad, i64 n, float gs, double* partials)} */
    void loss_partials(int grid, int block, int kind, @Ptr long pred, @Ptr long target, @Ptr long grad, long n, float gs, @Ptr long partials) {
        sink.begin().i32(kind).ptr(pred).ptr(target).ptr(grad).i64(n).f32(gs).ptr(partials)
                .launch("loss_partials", grid, block);
    }

    /** {@code loss_softmax_ce(const float* logits, const float* target, float* out, float* grad, i64 n, int c, i64 hw, float scale)} */
    void loss_softmax_ce(int grid, int block, @Ptr long logits, @Ptr long target, @Ptr long out, @Ptr long grad, long n, int c, long hw, float scale) {
        sink.begin().ptr(logits).ptr(target).ptr(out).ptr(grad).i64(n).i32(c).i64(hw).f32(scale)
                .launch("loss_softmax_ce", grid, block);
    }

    // ------------------------------------------------------------------------------ kernels/random.cu
    /** {@code rng_uniform(float* out, i64 n, u64 seed, u64 counter, double lo, double width)} */
    void rng_uniform(int grid, int block, @Ptr long out, long n, long seed, long counter, double lo, double width) {
        sink.begin().ptr(out).i64(n).i64(seed).i64(counter).f64(lo).f64(width)
                .launch("rng_uniform", grid, block);
    }

    /** {@code rng_normal(float* out, i64 n, u64 seed, u64 counter, double mean, double stddev)} */
    void rng_normal(int grid, int block, @Ptr long out, long n, long seed, long counter, double mean, double stddev) {
        sink.begin().ptr(out).i64(n).i64(seed).i64(counter).f64(mean).f64(stddev)
                .launch("rng_normal", grid, block);
    }

    /** {@code rng_bernoulli(float* out, i64 n, u64 seed, u64 counter, double p)} */
    void rng_bernoulli(int grid, int block, @Ptr long out, long n, long seed, long counter, double p) {
        sink.begin().ptr(out).i64(n).i64(seed).i64(counter).f64(p)
                .launch("rng_bernoulli", grid, block);
    }

    // ------------------------------------------------------------------------------ kernels/optimizer.cu
    /** {@code opt_sgd(float* p, const float* grad, float* velocity, i64 n, double lr, double momentum, int nesterov, double wd)} */
    void opt_sgd(int grid, int block, @Ptr long p, @Ptr long grad, @Ptr long velocity, long n, double lr, double momentum, int nesterov, double wd) {
        sink.begin().ptr(p).ptr(grad).ptr(velocity).i64(n).f64(lr).f64(momentum).i32(nesterov).f64(wd)
                .launch("opt_sgd", grid, block);
    }

    /** {@code opt_adam(float* p, const float* grad, float* m, float* v, i64 n, float b1, float b2, float c1, float c2, float stepSize, float invSqrtBc2, float eps, float wd, float decay, int decoupled)} */
    void opt_adam(int grid, int block, @Ptr long p, @Ptr long grad, @Ptr long m, @Ptr long v, long n, float b1, float b2, float c1, float c2, float stepSize, float invSqrtBc2, float eps, float wd, float decay, int decoupled) {
        sink.begin().ptr(p).ptr(grad).ptr(m).ptr(v).i64(n).f32(b1).f32(b2).f32(c1).f32(c2).f32(stepSize).f32(invSqrtBc2).f32(eps).f32(wd).f32(decay).i32(decoupled)
                .launch("opt_adam", grid, block);
    }

    /** {@code opt_rmsprop(float* p, const float* grad, float* sqAvg, float* buf, i64 n, double lr, double alpha, double eps, double wd, double momentum)} */
    void opt_rmsprop(int grid, int block, @Ptr long p, @Ptr long grad, @Ptr long sqAvg, @Ptr long buf, long n, double lr, double alpha, double eps, double wd, double momentum) {
        sink.begin().ptr(p).ptr(grad).ptr(sqAvg).ptr(buf).i64(n).f64(lr).f64(alpha).f64(eps).f64(wd).f64(momentum)
                .launch("opt_rmsprop", grid, block);
    }

    // ------------------------------------------------------------------------------ kernels/gather.cu
    /** {@code gather_rows(const float* src, const int* idx, float* dst, i64 rows, i64 cols)} */
    void gather_rows(int grid, int block, @Ptr long src, @Ptr long idx, @Ptr long dst, long rows, long cols) {
        sink.begin().ptr(src).ptr(idx).ptr(dst).i64(rows).i64(cols)
                .launch("gather_rows", grid, block);
    }

    // ------------------------------------------------------------------------------ kernels/upsample.cu
    /** {@code up_nearest_forward(const float* x, float* y, i64 planes, int h, int w, int sh, int sw)} */
    void up_nearest_forward(int grid, int block, @Ptr long x, @Ptr long y, long planes, int h, int w, int sh, int sw) {
        sink.begin().ptr(x).ptr(y).i64(planes).i32(h).i32(w).i32(sh).i32(sw)
                .launch("up_nearest_forward", grid, block);
    }

    /** {@code up_nearest_backward(const float* dy, float* dx, i64 planes, int h, int w, int sh, int sw, int accumulate)} */
    void up_nearest_backward(int grid, int block, @Ptr long dy, @Ptr long dx, long planes, int h, int w, int sh, int sw, int accumulate) {
        sink.begin().ptr(dy).ptr(dx).i64(planes).i32(h).i32(w).i32(sh).i32(sw).i32(accumulate)
                .launch("up_nearest_backward", grid, block);
    }

    /** {@code up_bilinear_forward(const float* x, float* y, i64 planes, int h, int w, int sh, int sw, float invH, float invW)} */
    void up_bilinear_forward(int grid, int block, @Ptr long x, @Ptr long y, long planes, int h, int w, int sh, int sw, float invH, float invW) {
        sink.begin().ptr(x).ptr(y).i64(planes).i32(h).i32(w).i32(sh).i32(sw).f32(invH).f32(invW)
                .launch("up_bilinear_forward", grid, block);
    }

    /** {@code up_bilinear_backward(const float* dy, float* dx, i64 planes, int h, int w, int sh, int sw, float invH, float invW, int accumulate)} */
    void up_bilinear_backward(int grid, int block, @Ptr long dy, @Ptr long dx, long planes, int h, int w, int sh, int sw, float invH, float invW, int accumulate) {
        sink.begin().ptr(dy).ptr(dx).i64(planes).i32(h).i32(w).i32(sh).i32(sw).f32(invH).f32(invW).i32(accumulate)
                .launch("up_bilinear_backward", grid, block);
    }

    // ------------------------------------------------------------------------------ kernels/pool.cu
    /** {@code pool_max_forward(const float* x, float* y, float* idx, i64 planes, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw)} */
    void pool_max_forward(int grid, int block, @Ptr long x, @Ptr long y, @Ptr long idx, long planes, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw) {
        sink.begin().ptr(x).ptr(y).ptr(idx).i64(planes).i32(h).i32(w).i32(oh).i32(ow).i32(kh).i32(kw).i32(sh).i32(sw).i32(ph).i32(pw)
                .launch("pool_max_forward", grid, block);
    }

    /** {@code pool_max_backward(const float* x, const float* dy, float* dx, i64 planes, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw, int accumulate)} */
    void pool_max_backward(int grid, int block, @Ptr long x, @Ptr long dy, @Ptr long dx, long planes, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw, int accumulate) {
        sink.begin().ptr(x).ptr(dy).ptr(dx).i64(planes).i32(h).i32(w).i32(oh).i32(ow).i32(kh).i32(kw).i32(sh).i32(sw).i32(ph).i32(pw).i32(accumulate)
                .launch("pool_max_backward", grid, block);
    }

    /** {@code pool_index_scatter_add(const float* idx, const float* small, float* big, i64 planes, int smallHw, int bigHw)} */
    void pool_index_scatter_add(int grid, int block, @Ptr long idx, @Ptr long small, @Ptr long big, long planes, int smallHw, int bigHw) {
        sink.begin().ptr(idx).ptr(small).ptr(big).i64(planes).i32(smallHw).i32(bigHw)
                .launch("pool_index_scatter_add", grid, block);
    }

    /** {@code pool_index_gather(const float* idx, const float* big, float* small, i64 planes, int smallHw, int bigHw, int accumulate)} */
    void pool_index_gather(int grid, int block, @Ptr long idx, @Ptr long big, @Ptr long small, long planes, int smallHw, int bigHw, int accumulate) {
        sink.begin().ptr(idx).ptr(big).ptr(small).i64(planes).i32(smallHw).i32(bigHw).i32(accumulate)
                .launch("pool_index_gather", grid, block);
    }

}
