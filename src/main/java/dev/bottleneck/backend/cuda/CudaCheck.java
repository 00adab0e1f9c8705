package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

import static org.bytedeco.cuda.global.cublas.CUBLAS_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cublas.cublasGetStatusName;
import static org.bytedeco.cuda.global.cublas.cublasGetStatusString;
import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.cuGetErrorName;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorName;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;
import static org.bytedeco.cuda.global.nvrtc.NVRTC_SUCCESS;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetErrorString;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;

/**
 * Status checks for every CUDA library call: a non-success status becomes a {@link BottleneckException} that
 * names the call and the library's error name and text. Only used after the probe said the libraries load.
 */
final class CudaCheck {
    private CudaCheck() {}

    /** Runtime API ({@code cudaError_t}). */
    static void cuda(int rc, String call) {
        if (rc != cudaSuccess) {
            throw new BottleneckException("CUDA call " + call + " failed: " + cudaErrorText(rc));
        }
    }

    static String cudaErrorText(int rc) {
        return name(cudaGetErrorName(rc)) + " (" + rc + "): " + name(cudaGetErrorString(rc));
    }

    /** Driver API ({@code CUresult}). */
    static void cu(int rc, String call) {
        if (rc != CUDA_SUCCESS) {
            BytePointer n = new BytePointer((Pointer) null);
            BytePointer s = new BytePointer((Pointer) null);
            cuGetErrorName(rc, n);        // const char** filled with a static string
            cuGetErrorString(rc, s);
            throw new BottleneckException("CUDA driver call " + call + " failed: " + name(n) + " (" + rc + "): " + name(s));
        }
    }

    /** cuBLAS ({@code cublasStatus_t}). */
    static void cublas(int st, String call) {
        if (st != CUBLAS_STATUS_SUCCESS) {
            throw new BottleneckException("cuBLAS call " + call + " failed: " + name(cublasGetStatusName(st)) + " (" + st
                    + "): " + name(cublasGetStatusString(st)));
        }
    }

    /** NVRTC ({@code nvrtcResult}); the program's compile log is appended when there is one. */
    static void nvrtc(int rc, String call, String source, _nvrtcProgram prog) {
        if (rc != NVRTC_SUCCESS) {
            String log = prog == null || prog.isNull() ? "" : programLog(prog);
            throw new BottleneckException("NVRTC " + call + " failed for kernels/" + source + ": "
                    + name(nvrtcGetErrorString(rc)) + (log.isBlank() ? "" : "\ncompile log:\n" + log.strip()));
        }
    }

    static String programLog(_nvrtcProgram prog) {
        SizeTPointer size = new SizeTPointer(1);
        try {
            if (nvrtcGetProgramLogSize(prog, size) != NVRTC_SUCCESS || size.get() <= 1) return "";
            BytePointer buf = new BytePointer(size.get());
            try {
                if (nvrtcGetProgramLog(prog, buf) != NVRTC_SUCCESS) return "";
                return buf.getString();
            } finally {
                buf.deallocate();
            }
        } finally {
            size.deallocate();
        }
    }

    private static String name(BytePointer p) {
        return p == null || p.isNull() ? "?" : p.getString();
    }
}
