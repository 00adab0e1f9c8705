package dev.bottleneck.backend.cuda;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;

import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_TF32_TENSOR_OP_MATH;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrMultiProcessorCount;
import static org.bytedeco.cuda.global.cudart.cudaDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamNonBlocking;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

/**
 * The device context of one CUDA backend: the device made current (its primary context created with
 * {@code cudaFree(NULL)}), the one non-blocking stream that carries all of the backend's work, and the cuBLAS
 * handle bound to that stream with its math mode (strict FP32 unless TF32 was asked for; in CUDA 13 cuBLAS,
 * {@code CUBLAS_DEFAULT_MATH} is strict FP32).
 *
 * <p>A thread must have the device current before it calls the runtime: {@link #enter} does that once per
 * thread (the runtime keeps the current device per thread).
 */
final class CudaContext {
    final int device;
    final CUstream_st stream = new CUstream_st();
    final cublasContext cublas = new cublasContext();
    /** Blocks per grid-stride launch: 32 per streaming multiprocessor. */
    final int maxGrid;
    private final ThreadLocal<Boolean> bound = ThreadLocal.withInitial(() -> false);
    private volatile boolean closed;

    /** Creates the context; on failure what was created is released and the exception propagates. */
    CudaContext(int device, boolean tf32) {
        this.device = device;
        boolean ok = false;
        try {
            CudaCheck.cuda(cudaSetDevice(device), "cudaSetDevice(" + device + ")");
            CudaCheck.cuda(cudaFree(null), "cudaFree(NULL) (creates the primary context)");
            bound.set(true);
            int[] sms = {0};
            CudaCheck.cuda(cudaDeviceGetAttribute(sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute(SM count)");
            maxGrid = Math.max(1, sms[0]) * 32;
            CudaCheck.cuda(cudaStreamCreateWithFlags(stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
            CudaCheck.cublas(cublasCreate_v2(cublas), "cublasCreate_v2");
            CudaCheck.cublas(cublasSetStream_v2(cublas, stream), "cublasSetStream_v2");
            CudaCheck.cublas(cublasSetMathMode(cublas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    /** Checks the context is open and the calling thread has this device current. */
    void enter() {
        if (closed) throw new IllegalStateException("the cuda backend is closed");
        if (!bound.get()) {
            CudaCheck.cuda(cudaSetDevice(device), "cudaSetDevice(" + device + ")");
            bound.set(true);
        }
    }

    boolean closed() {
        return closed;
    }

    /** Waits for the stream, ignoring errors (closing must go on after a failed kernel). Marks the context closed. */
    void drain() {
        closed = true;
        cudaSetDevice(device);
        if (!stream.isNull()) cudaStreamSynchronize(stream);
    }

    /** Destroys the cuBLAS handle and the stream; call last, after everything that used them is released. */
    void close() {
        closed = true;
        if (!cublas.isNull()) cublasDestroy_v2(cublas);
        if (!stream.isNull()) cudaStreamDestroy(stream);
    }
}
