package dev.bottleneck.backend.cuda;

import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

import static org.bytedeco.cuda.global.cudart.cudaErrorMemoryAllocation;
import static org.bytedeco.cuda.global.cudart.cudaEventCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaEventDestroy;
import static org.bytedeco.cuda.global.cudart.cudaEventDisableTiming;
import static org.bytedeco.cuda.global.cudart.cudaEventRecord;
import static org.bytedeco.cuda.global.cudart.cudaEventSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaFreeHost;
import static org.bytedeco.cuda.global.cudart.cudaGetLastError;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMallocHost;
import static org.bytedeco.cuda.global.cudart.cudaMemGetInfo;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy2DAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;

/**
 * The CUDA runtime calls behind the backend's memory: device and pinned allocations, events, asynchronous copies
 * and fills on a stream, stream synchronisation. {@link #CUDART} is the real runtime, each call checked by
 * {@link CudaCheck}; the kernel emulator's tests hand the backend an emulated one, so that {@link CudaMemory},
 * {@link CudaAllocator} and {@link PinnedStaging} run, unchanged, without a GPU (docs/CUDA.md "Kernels without a
 * GPU"). Addresses are {@code long}s; device memory is never read through JavaCPP on the host.
 */
interface CudaRuntime {
    /** {@code cudaMalloc}: the device address, or 0 when the device is out of memory (the error is cleared). */
    long malloc(long bytes);

    /** {@code cudaFree} (which waits for the device first); errors are ignored, as when closing. */
    void free(long address);

    /** {@code cudaMemGetInfo}: {free, total} bytes of the device, or null when they cannot be read. */
    long[] memInfo();

    /** {@code cudaMallocHost}: page-locked host memory. */
    long mallocHost(long bytes);

    /** {@code cudaFreeHost}. */
    void freeHost(long address);

    /** {@code cudaEventCreateWithFlags(cudaEventDisableTiming)}. */
    Event eventCreate();

    /** A CUDA event. */
    interface Event {
        /** {@code cudaEventRecord}: the event completes when the work queued on the stream so far has run. */
        void record(CUstream_st stream);

        /** {@code cudaEventSynchronize}: waits for that. */
        void synchronize();

        /** {@code cudaEventDestroy}. */
        void destroy();
    }

    /** {@code cudaMemcpyAsync} of {@code bytes} from {@code src} to {@code dst}, {@code kind} a cudaMemcpyKind. */
    void memcpyAsync(long dst, long src, long bytes, int kind, CUstream_st stream, String what);

    /** {@code cudaMemcpy2DAsync}: {@code height} rows of {@code width} bytes, rows {@code dpitch}/{@code spitch} apart. */
    void memcpy2DAsync(long dst, long dpitch, long src, long spitch, long width, long height, int kind, CUstream_st stream,
                       String what);

    /** {@code cudaMemsetAsync}: {@code bytes} bytes at {@code dst} set to {@code value}. */
    void memsetAsync(long dst, int value, long bytes, CUstream_st stream, String what);

    /** {@code cudaStreamSynchronize}; {@code what} names the call in the error. */
    void streamSynchronize(CUstream_st stream, String what);

    /** The CUDA runtime itself. */
    CudaRuntime CUDART = new CudaRuntime() {
        @Override
        public long malloc(long bytes) {
            Pointer p = new Pointer();
            int rc = cudaMalloc(p, bytes);
            if (rc == cudaErrorMemoryAllocation) {
                cudaGetLastError();   // clear the recorded error
                return 0;
            }
            CudaCheck.cuda(rc, "cudaMalloc(" + bytes + " bytes)");
            return p.address();
        }

        @Override
        public void free(long address) {
            cudaFree(DevicePointers.at(address));
        }

        @Override
        public long[] memInfo() {
            SizeTPointer f = new SizeTPointer(1), t = new SizeTPointer(1);
            try {
                return cudaMemGetInfo(f, t) == cudaSuccess ? new long[] {f.get(), t.get()} : null;
            } finally {
                f.deallocate();
                t.deallocate();
            }
        }

        @Override
        public long mallocHost(long bytes) {
            BytePointer p = new BytePointer();   // empty: cudaMallocHost fills in the address
            CudaCheck.cuda(cudaMallocHost(p, bytes), "cudaMallocHost(" + bytes + " bytes)");
            return p.address();
        }

        @Override
        public void freeHost(long address) {
            CudaCheck.cuda(cudaFreeHost(DevicePointers.at(address)), "cudaFreeHost");
        }

        @Override
        public Event eventCreate() {
            CUevent_st e = new CUevent_st();
            CudaCheck.cuda(cudaEventCreateWithFlags(e, cudaEventDisableTiming), "cudaEventCreateWithFlags");
            return new Event() {
                @Override public void record(CUstream_st stream) { CudaCheck.cuda(cudaEventRecord(e, stream), "cudaEventRecord"); }
                @Override public void synchronize() {
                    CudaCheck.cuda(cudaEventSynchronize(e), "cudaEventSynchronize (an earlier GPU operation failed)");
                }
                @Override public void destroy() { cudaEventDestroy(e); }
            };
        }

        @Override
        public void memcpyAsync(long dst, long src, long bytes, int kind, CUstream_st stream, String what) {
            CudaCheck.cuda(cudaMemcpyAsync(DevicePointers.at(dst), DevicePointers.at(src), bytes, kind, stream), what);
        }

        @Override
        public void memcpy2DAsync(long dst, long dpitch, long src, long spitch, long width, long height, int kind,
                                  CUstream_st stream, String what) {
            CudaCheck.cuda(cudaMemcpy2DAsync(DevicePointers.at(dst), dpitch, DevicePointers.at(src), spitch, width, height,
                    kind, stream), what);
        }

        @Override
        public void memsetAsync(long dst, int value, long bytes, CUstream_st stream, String what) {
            CudaCheck.cuda(cudaMemsetAsync(DevicePointers.at(dst), value, bytes, stream), what);
        }

        @Override
        public void streamSynchronize(CUstream_st stream, String what) {
            CudaCheck.cuda(cudaStreamSynchronize(stream), what);
        }
    };
}
