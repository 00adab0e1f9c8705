package dev.bottleneck.backend.cuda;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnPoolingStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.cuda.global.cudart.cudaGetLastError;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_TENSOR_NCHW;
import static org.bytedeco.cuda.global.cudnn.cudnnCreate;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateConvolutionDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateFilterDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreatePoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroy;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyConvolutionDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyFilterDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyPoolingDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetFilter4dDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetStream;
import static org.bytedeco.cuda.global.cudnn.cudnnSetTensor4dDescriptor;

/**
 * The CUDA backend's cuDNN state: one handle bound to the backend's single stream ({@code cudnnSetStream}), the
 * host scalars alpha/beta (cuDNN reads them as {@code float*} for FLOAT tensors before the call returns, so
 * constant host pointers are safe with asynchronous execution), one growing workspace block from the caching
 * allocator, and every descriptor created for a shape (destroyed at close, never per step).
 *
 * <p>All methods run under the backend lock: a cuDNN handle must not be used from two threads at once
 * (docs/CUDA.md §4). Data arguments of cuDNN are {@code void*}, so device views are made from explicit byte
 * addresses ({@link DevicePointers#at}).
 */
@SuppressWarnings("deprecation")
final class Cudnn {
    final cudnnContext handle = new cudnnContext();
    final FloatPointer one = new FloatPointer(1f);
    final FloatPointer zero = new FloatPointer(0f);
    private final CUstream_st stream;
    private final CudaAllocator allocator;
    private final boolean syncEveryCall;
    private final List<Pointer> tensors = new ArrayList<>(), filters = new ArrayList<>(), convs = new ArrayList<>(),
            pools = new ArrayList<>();
    private long workspace;
    private long workspaceBytes;

    Cudnn(CUstream_st stream, CudaAllocator allocator, boolean syncEveryCall) {
        this.stream = stream;
        this.allocator = allocator;
        this.syncEveryCall = syncEveryCall;
        CudaCheck.cudnn(cudnnCreate(handle), "cudnnCreate");
        CudaCheck.cudnn(cudnnSetStream(handle, stream), "cudnnSetStream");
    }

    /** alpha/beta for "overwrite" (false) or "add into the output" (true). */
    FloatPointer beta(boolean accumulate) {
        return accumulate ? one : zero;
    }

    /** A dense NCHW float tensor descriptor, kept until {@link #close}. */
    cudnnTensorStruct tensor(int n, int c, int h, int w) {
        cudnnTensorStruct d = emptyTensor();
        CudaCheck.cudnn(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w),
                "cudnnSetTensor4dDescriptor(" + n + ", " + c + ", " + h + ", " + w + ")");
        return d;
    }

    /** An empty tensor descriptor (for cudnnDeriveBNTensorDescriptor), kept until {@link #close}. */
    cudnnTensorStruct emptyTensor() {
        cudnnTensorStruct d = new cudnnTensorStruct();
        return kept(d, cudnnCreateTensorDescriptor(d), "cudnnCreateTensorDescriptor", tensors);
    }

    /** A KCRS (PyTorch [cOut, cIn, kh, kw]) float filter descriptor, kept until {@link #close}. */
    cudnnFilterStruct filter(int k, int c, int h, int w) {
        cudnnFilterStruct d = new cudnnFilterStruct();
        kept(d, cudnnCreateFilterDescriptor(d), "cudnnCreateFilterDescriptor", filters);
        CudaCheck.cudnn(cudnnSetFilter4dDescriptor(d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k, c, h, w),
                "cudnnSetFilter4dDescriptor(" + k + ", " + c + ", " + h + ", " + w + ")");
        return d;
    }

    cudnnConvolutionStruct convolution() {
        cudnnConvolutionStruct d = new cudnnConvolutionStruct();
        return kept(d, cudnnCreateConvolutionDescriptor(d), "cudnnCreateConvolutionDescriptor", convs);
    }

    cudnnPoolingStruct pooling() {
        cudnnPoolingStruct d = new cudnnPoolingStruct();
        return kept(d, cudnnCreatePoolingDescriptor(d), "cudnnCreatePoolingDescriptor", pools);
    }

    /** Checks the status of creating descriptor d and keeps d in {@code list}, destroyed at {@link #close}. */
    private static <D extends Pointer> D kept(D d, int status, String call, List<Pointer> list) {
        CudaCheck.cudnn(status, call);
        list.add(d);
        return d;
    }

    /**
     * A device workspace of at least {@code bytes} (null for 0). One block, grown on demand: the old block goes
     * back to the allocator, which is safe because all work runs on one stream (the next user of the block is
     * queued after the work that used it).
     */
    Pointer workspace(long bytes) {
        if (bytes <= 0) return null;
        if (bytes > workspaceBytes) {
            if (workspace != 0) allocator.release(workspace);
            workspace = 0;
            workspaceBytes = 0;
            workspace = allocator.allocate(bytes, "cuDNN workspace");
            workspaceBytes = bytes;
        }
        return DevicePointers.at(workspace);
    }

    /** Debug mode ({@code BOTTLENECK_CUDA_SYNC=1}): waits for the call so a failure is pinned to it. */
    void after(String call) {
        if (syncEveryCall) {
            CudaCheck.cuda(cudaStreamSynchronize(stream), call);
            CudaCheck.cuda(cudaGetLastError(), call);
        }
    }

    void close() {
        for (Pointer d : tensors) cudnnDestroyTensorDescriptor((cudnnTensorStruct) d);
        for (Pointer d : filters) cudnnDestroyFilterDescriptor((cudnnFilterStruct) d);
        for (Pointer d : convs) cudnnDestroyConvolutionDescriptor((cudnnConvolutionStruct) d);
        for (Pointer d : pools) cudnnDestroyPoolingDescriptor((cudnnPoolingStruct) d);
        tensors.clear();
        filters.clear();
        convs.clear();
        pools.clear();
        if (!handle.isNull()) cudnnDestroy(handle);
        one.deallocate();
        zero.deallocate();
        // the workspace block belongs to the allocator, which frees everything at backend close
    }
}
