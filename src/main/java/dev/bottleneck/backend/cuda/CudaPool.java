package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.backend.PoolOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.backend.Upsample;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.cuda.cudnn.cudnnPoolingStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.Pointer;

import java.util.HashMap;
import java.util.Map;

import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_POOLING_MAX_DETERMINISTIC;
import static org.bytedeco.cuda.global.cudnn.CUDNN_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.cudnnGetPooling2dForwardOutputDim;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingForward;
import static org.bytedeco.cuda.global.cudnn.cudnnSetPooling2dDescriptor;

/**
 * Pooling through cuDNN, up-sampling through our own kernels ({@code kernels/upsample.cu}).
 *
 * <p>Max pooling uses {@code CUDNN_POOLING_MAX_DETERMINISTIC}: the backward pass routes each output gradient to
 * exactly one element of its window, without atomics, so results are the same on every run. Which element
 * wins a tie is not documented by cuDNN; the CPU reference routes to the <em>first</em> maximum in row-major
 * order. On ties (e.g. constant or ReLU-zeroed regions) the two backends may therefore send a gradient to
 * different (equal-valued) elements: the total gradient per window is the same, the positions may differ.
 * Tests of max-pool backward should use inputs without ties. Padding counts as -infinity for max pooling in
 * both. NaN propagates ({@code CUDNN_PROPAGATE_NAN}) so that a diverging run is seen by the non-finite checks.
 *
 * <p>Average pooling: {@code COUNT_INCLUDE_PADDING} (divide by kh*kw, PyTorch's default) or
 * {@code COUNT_EXCLUDE_PADDING} per {@link Pool2dGeometry#countIncludePad()}. With the floor-mode geometry
 * (padding at most half the window) no window reaches past the padded input, so "include padding" is always
 * the full window, as on the CPU.
 *
 * <p>Descriptors (pooling, x, y) are created once per geometry and mode and cached.
 */
@SuppressWarnings("deprecation")
final class CudaPool implements PoolOps {
    private static final int BLOCK = 256;

    private final CudaBackend backend;
    private final Cudnn dnn;
    private final Map<Key, Descs> cache = new HashMap<>();

    private record Key(Pool2dGeometry g, int mode) {}

    private record Descs(cudnnPoolingStruct pool, cudnnTensorStruct x, cudnnTensorStruct y) {}

    CudaPool(CudaBackend backend, Cudnn dnn) {
        this.backend = backend;
        this.dnn = dnn;
    }

    // -------------------------------------------------------------------------------------------- pooling

    @Override
    public void maxForward(Pool2dGeometry g, Tensor x, Tensor y) {
        forward(g, CUDNN_POOLING_MAX_DETERMINISTIC, x, y, "max pool forward");
    }

    @Override
    public void maxBackward(Pool2dGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate) {
        CudaConv.check(x, g.inputShape(), "max pool backward input");
        CudaConv.check(y, g.outputShape(), "max pool backward output");
        backward(g, CUDNN_POOLING_MAX_DETERMINISTIC, x, y, dy, dx, accumulate, "max pool backward");
    }

    @Override
    public void avgForward(Pool2dGeometry g, Tensor x, Tensor y) {
        forward(g, avgMode(g), x, y, "avg pool forward");
    }

    /**
     * cuDNN's pooling backward takes x and y for every mode but average pooling reads neither; dx and dy (valid
     * device memory of the right sizes) stand in for them.
     */
    @Override
    public void avgBackward(Pool2dGeometry g, Tensor dy, Tensor dx, boolean accumulate) {
        backward(g, avgMode(g), dx, dy, dy, dx, accumulate, "avg pool backward");
    }

    private static int avgMode(Pool2dGeometry g) {
        return g.countIncludePad() ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
    }

    private void forward(Pool2dGeometry g, int mode, Tensor x, Tensor y, String what) {
        CudaConv.check(x, g.inputShape(), what + " input");
        CudaConv.check(y, g.outputShape(), what + " output");
        backend.enter();
        synchronized (backend) {
            Descs d = descs(g, mode);
            CudaCheck.cudnn(cudnnPoolingForward(dnn.handle, d.pool, dnn.one, d.x, at(x), dnn.zero, d.y, at(y)),
                    "cudnnPoolingForward(" + what + ", " + g + ")");
            dnn.after("cudnnPoolingForward");
        }
    }

    private void backward(Pool2dGeometry g, int mode, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate,
                          String what) {
        CudaConv.check(dy, g.outputShape(), what + " output gradient");
        CudaConv.check(dx, g.inputShape(), what + " input gradient");
        backend.enter();
        synchronized (backend) {
            Descs d = descs(g, mode);
            CudaCheck.cudnn(cudnnPoolingBackward(dnn.handle, d.pool, dnn.one, d.y, at(y), d.y, at(dy), d.x, at(x),
                    dnn.beta(accumulate), d.x, at(dx)), "cudnnPoolingBackward(" + what + ", " + g + ")");
            dnn.after("cudnnPoolingBackward");
        }
    }

    private Descs descs(Pool2dGeometry g, int mode) {
        Key k = new Key(g, mode);
        Descs d = cache.get(k);
        if (d != null) return d;
        cudnnPoolingStruct pool = dnn.pooling();
        CudaCheck.cudnn(cudnnSetPooling2dDescriptor(pool, mode, CUDNN_PROPAGATE_NAN, g.kh(), g.kw(), g.padH(), g.padW(),
                g.strideH(), g.strideW()), "cudnnSetPooling2dDescriptor(" + g + ")");
        cudnnTensorStruct x = dnn.tensor(g.n(), g.c(), g.h(), g.w());
        int[] n = {0}, c = {0}, h = {0}, w = {0};
        CudaCheck.cudnn(cudnnGetPooling2dForwardOutputDim(pool, x, n, c, h, w), "cudnnGetPooling2dForwardOutputDim(" + g + ")");
        if (n[0] != g.n() || c[0] != g.c() || h[0] != g.outH() || w[0] != g.outW()) {
            throw new IllegalStateException("cuDNN pooling output [" + n[0] + ", " + c[0] + ", " + h[0] + ", " + w[0]
                    + "] differs from " + Shapes.str(g.outputShape()) + " for " + g);
        }
        cudnnTensorStruct y = dnn.tensor(g.n(), g.c(), g.outH(), g.outW());
        d = new Descs(pool, x, y);
        cache.put(k, d);
        return d;
    }

    // -------------------------------------------------------------------------------------------- up-sampling

    @Override
    public void upsampleForward(Upsample mode, int scaleH, int scaleW, Tensor x, Tensor y) {
        int[] s = upsampleShape(scaleH, scaleW, x, y, "upsample forward");
        long planes = (long) s[0] * s[1];
        int h = s[2], w = s[3];
        long n = planes * h * scaleH * w * scaleW;
        if (n == 0) return;
        backend.enter();
        synchronized (backend) {
            if (mode == Upsample.NEAREST) {
                backend.args().ptr(backend.addr(x)).ptr(backend.addr(y)).i64(planes).i32(h).i32(w).i32(scaleH).i32(scaleW);
                backend.launch("up_nearest_forward", backend.gridFor(n), BLOCK);
            } else {
                backend.args().ptr(backend.addr(x)).ptr(backend.addr(y)).i64(planes).i32(h).i32(w).i32(scaleH).i32(scaleW)
                        .f32((float) (1.0 / scaleH)).f32((float) (1.0 / scaleW));
                backend.launch("up_bilinear_forward", backend.gridFor(n), BLOCK);
            }
        }
    }

    @Override
    public void upsampleBackward(Upsample mode, int scaleH, int scaleW, Tensor dy, Tensor dx, boolean accumulate) {
        int[] s = upsampleShape(scaleH, scaleW, dx, dy, "upsample backward");
        long planes = (long) s[0] * s[1];
        int h = s[2], w = s[3];
        long n = planes * h * w;
        if (n == 0) return;
        backend.enter();
        synchronized (backend) {
            if (mode == Upsample.NEAREST) {
                backend.args().ptr(backend.addr(dy)).ptr(backend.addr(dx)).i64(planes).i32(h).i32(w).i32(scaleH).i32(scaleW)
                        .i32(accumulate ? 1 : 0);
                backend.launch("up_nearest_backward", backend.gridFor(n), BLOCK);
            } else {
                backend.args().ptr(backend.addr(dy)).ptr(backend.addr(dx)).i64(planes).i32(h).i32(w).i32(scaleH).i32(scaleW)
                        .f32((float) (1.0 / scaleH)).f32((float) (1.0 / scaleW)).i32(accumulate ? 1 : 0);
                backend.launch("up_bilinear_backward", backend.gridFor(n), BLOCK);
            }
        }
    }

    /** Validates small [n, c, h, w] against big [n, c, h*scaleH, w*scaleW]; returns the small shape. */
    private static int[] upsampleShape(int scaleH, int scaleW, Tensor small, Tensor big, String what) {
        if (scaleH < 1 || scaleW < 1) throw new IllegalArgumentException(what + ": scales must be >= 1, got " + scaleH + "x" + scaleW);
        int[] s = small.shape();
        if (s.length != 4) throw new IllegalArgumentException(what + ": expected an [n, c, h, w] tensor, got " + Shapes.str(s));
        int[] expect = {s[0], s[1], s[2] * scaleH, s[3] * scaleW};
        if (big.size() != Tensor.sizeOf(expect)) {
            throw new IllegalArgumentException(what + ": expected " + Shapes.str(expect) + " for " + Shapes.str(s) + " scaled "
                    + scaleH + "x" + scaleW + ", got " + Shapes.str(big.shape()));
        }
        return s;
    }

    private Pointer at(Tensor t) {
        return DevicePointers.at(backend.addr(t));
    }
}
