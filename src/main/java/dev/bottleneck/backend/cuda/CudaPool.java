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
import static org.bytedeco.cuda.global.cudnn.CUDNN_PROPAGATE_NAN;
import static org.bytedeco.cuda.global.cudnn.cudnnGetPooling2dForwardOutputDim;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnPoolingForward;
import static org.bytedeco.cuda.global.cudnn.cudnnSetPooling2dDescriptor;

/**
 * Max pooling and up-sampling through our own kernels ({@code kernels/pool.cu}, {@code kernels/upsample.cu}),
 * average pooling through cuDNN.
 *
 * <p>Max pooling follows the CPU reference's rule exactly: the <em>first</em> maximum of a window in row-major
 * order wins a tie, a NaN wins over any number (so a diverging run is seen by the non-finite checks), padding
 * never wins. cuDNN does not document which tied element receives the gradient, so it is not used for max
 * pooling. The backward pass is a gather (one thread per input element recomputes the winners of the windows that
 * cover it): no atomics, the same bits on every run, the same additions in the same order as the CPU.
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

    /**
     * cuDNN descriptors of one geometry and mode, and {@code scratchX}: an input-shaped device tensor that stands in
     * for cuDNN's read-only {@code x} argument of average-pool backward (which average pooling does not read), so
     * that the gradient being written is never also passed as a read-only input.
     */
    private record Descs(cudnnPoolingStruct pool, cudnnTensorStruct x, cudnnTensorStruct y, Tensor scratchX) {}

    CudaPool(CudaBackend backend, Cudnn dnn) {
        this.backend = backend;
        this.dnn = dnn;
    }

    // -------------------------------------------------------------------------------------------- pooling

    @Override
    public void maxForward(Pool2dGeometry g, Tensor x, Tensor y) {
        CudaConv.check(x, g.inputShape(), "max pool forward input");
        CudaConv.check(y, g.outputShape(), "max pool forward output");
        long planes = (long) g.n() * g.c(), n = planes * g.outH() * g.outW();
        if (n == 0) return;
        backend.launch(n, grid -> backend.kernels().pool_max_forward(grid, BLOCK, backend.addr(x), backend.addr(y), 0L, planes,
                g.h(), g.w(), g.outH(), g.outW(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW()));
    }

    @Override
    public void maxBackward(Pool2dGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate) {
        CudaConv.check(x, g.inputShape(), "max pool backward input");
        CudaConv.check(y, g.outputShape(), "max pool backward output");
        CudaConv.check(dy, g.outputShape(), "max pool backward output gradient");
        CudaConv.check(dx, g.inputShape(), "max pool backward input gradient");
        long planes = (long) g.n() * g.c(), n = planes * g.h() * g.w();
        if (n == 0) return;
        backend.launch(n, grid -> backend.kernels().pool_max_backward(grid, BLOCK, backend.addr(x), backend.addr(dy), backend.addr(dx),
                planes, g.h(), g.w(), g.outH(), g.outW(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW(),
                accumulate ? 1 : 0));
    }

    @Override
    public void avgForward(Pool2dGeometry g, Tensor x, Tensor y) {
        forward(g, avgMode(g), x, y, "avg pool forward");
    }

    /**
     * cuDNN's pooling backward takes x and y for every mode, but average pooling reads neither: dy (read-only, of
     * y's shape) stands in for y, and a scratch tensor of the geometry's input shape for x.
     */
    @Override
    public void avgBackward(Pool2dGeometry g, Tensor dy, Tensor dx, boolean accumulate) {
        int mode = avgMode(g);
        Tensor scratch;
        backend.enter();
        synchronized (backend) {
            scratch = descs(g, mode).scratchX();
        }
        backward(g, mode, scratch, dy, dy, dx, accumulate, "avg pool backward");
    }

    private static int avgMode(Pool2dGeometry g) {
        return g.countIncludePad() ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
    }

    private void forward(Pool2dGeometry g, int mode, Tensor x, Tensor y, String what) {
        CudaConv.check(x, g.inputShape(), what + " input");
        CudaConv.check(y, g.outputShape(), what + " output");
        cudnnPooling(g, mode, what, "cudnnPoolingForward",
                d -> cudnnPoolingForward(dnn.handle, d.pool, dnn.one, d.x, at(x), dnn.zero, d.y, at(y)));
    }

    private void backward(Pool2dGeometry g, int mode, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate,
                          String what) {
        CudaConv.check(dy, g.outputShape(), what + " output gradient");
        CudaConv.check(dx, g.inputShape(), what + " input gradient");
        cudnnPooling(g, mode, what, "cudnnPoolingBackward", d -> cudnnPoolingBackward(dnn.handle, d.pool, dnn.one, d.y, at(y),
                d.y, at(dy), d.x, at(x), dnn.beta(accumulate), d.x, at(dx)));
    }

    /** Runs one cuDNN pooling {@code call} (it returns the status) with the descriptors of g and mode, under the lock. */
    private void cudnnPooling(Pool2dGeometry g, int mode, String what, String name, java.util.function.ToIntFunction<Descs> call) {
        backend.locked(() -> {
            CudaCheck.cudnn(call.applyAsInt(descs(g, mode)), name + "(" + what + ", " + g + ")");
            dnn.after(name);
        });
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
        Tensor scratch = backend.memory().allocate(g.inputShape());
        backend.memory().fill(scratch, 0.0);
        d = new Descs(pool, x, y, scratch);
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
        backend.launch(n, grid -> {
            if (mode == Upsample.NEAREST) {
                backend.kernels().up_nearest_forward(grid, BLOCK, backend.addr(x), backend.addr(y), planes, h, w, scaleH, scaleW);
            } else {
                backend.kernels().up_bilinear_forward(grid, BLOCK,
                        backend.addr(x), backend.addr(y), planes, h, w, scaleH, scaleW, (float) (1.0 / scaleH), (float) (1.0 / scaleW));
            }
        });
    }

    @Override
    public void upsampleBackward(Upsample mode, int scaleH, int scaleW, Tensor dy, Tensor dx, boolean accumulate) {
        int[] s = upsampleShape(scaleH, scaleW, dx, dy, "upsample backward");
        long planes = (long) s[0] * s[1];
        int h = s[2], w = s[3];
        long n = planes * h * w;
        if (n == 0) return;
        backend.launch(n, grid -> {
            if (mode == Upsample.NEAREST) {
                backend.kernels().up_nearest_backward(grid, BLOCK,
                        backend.addr(dy), backend.addr(dx), planes, h, w, scaleH, scaleW, accumulate ? 1 : 0);
            } else {
                backend.kernels().up_bilinear_backward(grid, BLOCK,
                        backend.addr(dy), backend.addr(dx), planes, h, w, scaleH, scaleW, (float) (1.0 / scaleH), (float) (1.0 / scaleW), accumulate ? 1 : 0);
            }
        });
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

    // -------------------------------------------------------------------------------------------- max with indices, un-pooling

    @Override
    public void maxPoolIndicesForward(Pool2dGeometry g, Tensor x, Tensor y, Tensor indices) {
        CudaConv.check(x, g.inputShape(), "max pool with indices input");
        CudaConv.check(y, g.outputShape(), "max pool with indices output");
        CudaConv.check(indices, g.outputShape(), "max pool indices");
        long planes = (long) g.n() * g.c(), n = planes * g.outH() * g.outW();
        backend.launch(n, grid -> backend.kernels().pool_max_forward(grid, BLOCK,
                backend.addr(x), backend.addr(y), backend.addr(indices), planes, g.h(), g.w(), g.outH(), g.outW(), g.kh(), g.kw(), g.strideH(), g.strideW(), g.padH(), g.padW()));
    }

    @Override
    public void maxPoolIndicesBackward(Pool2dGeometry g, Tensor indices, Tensor dy, Tensor dx, boolean accumulate) {
        CudaConv.check(indices, g.outputShape(), "max pool indices");
        CudaConv.check(dy, g.outputShape(), "max pool with indices output gradient");
        CudaConv.check(dx, g.inputShape(), "max pool with indices input gradient");
        scatter((long) g.n() * g.c(), g.outH() * g.outW(), g.h() * g.w(), indices, dy, dx, accumulate);
    }

    private void scatter(long planes, int smallHw, int bigHw, Tensor indices, Tensor small, Tensor big, boolean accumulate) {
        if (!accumulate) backend.memory().fill(big, 0.0);
        long n = planes * smallHw;
        backend.launch(n, grid -> backend.kernels().pool_index_scatter_add(grid, BLOCK,
                backend.addr(indices), backend.addr(small), backend.addr(big), planes, smallHw, bigHw));
    }

    private static void samePlanes(Tensor small, Tensor big, String what) {
        if (small.rank() != 4 || big.rank() != 4 || small.dim(0) != big.dim(0) || small.dim(1) != big.dim(1)) {
            throw new IllegalArgumentException("pooling: " + what + ": " + Shapes.str(small.shape()) + " and " + Shapes.str(big.shape())
                    + " must both be [n, c, h, w] with the same n and c");
        }
    }

    @Override
    public void maxUnpoolForward(Tensor x, Tensor indices, Tensor y) {
        samePlanes(x, y, "unpool");
        CudaConv.check(indices, x.shape(), "unpool indices");
        scatter((long) x.dim(0) * x.dim(1), x.dim(2) * x.dim(3), y.dim(2) * y.dim(3), indices, x, y, false);
    }

    @Override
    public void maxUnpoolBackward(Tensor indices, Tensor dy, Tensor dx, boolean accumulate) {
        samePlanes(dx, dy, "unpool backward");
        CudaConv.check(indices, dx.shape(), "unpool indices");
        long planes = (long) dx.dim(0) * dx.dim(1);
        int smallHw = dx.dim(2) * dx.dim(3), bigHw = dy.dim(2) * dy.dim(3);
        backend.launch(planes * smallHw, grid -> backend.kernels().pool_index_gather(grid, BLOCK,
                backend.addr(indices), backend.addr(dy), backend.addr(dx), planes, smallHw, bigHw, accumulate ? 1 : 0));
    }
}
