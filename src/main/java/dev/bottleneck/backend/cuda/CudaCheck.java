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
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cudnn.cudnnGetErrorString;
import static org.bytedeco.cuda.global.cudnn.cudnnGetLastErrorString;
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

    /**
     * cuDNN ({@code cudnnStatus_t}): the call, the status name and text ({@code cudnnGetErrorString}) and cuDNN 9's
     * detailed reason ({@code cudnnGetLastErrorString}). A sub-library status (1008 loading failed, 1002 version
     * mismatch) gets the install hint, since it means an incomplete cuDNN installation, not a bug.
     */
    static void cudnn(int st, String call) {
        if (st != CUDNN_STATUS_SUCCESS) {
            throw new BottleneckException("cuDNN call " + call + " failed: " + cudnnErrorText(st));
        }
    }

    static String cudnnErrorText(int st) {
        String text = name(cudnnGetErrorString(st)) + " (" + st + ")";
        String last = cudnnLastError();
        if (!last.isEmpty()) text += ": " + last;
        if (st == CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED || st == CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH) {
            text += "; " + CUDNN_INSTALL_HINT;
        }
        return text;
    }

    static final String CUDNN_INSTALL_HINT = "install a complete cuDNN 9 for CUDA 13 (pip install nvidia-cudnn-cu13, or the"
            + " CUDA cuDNN package cudnn9-cuda-13) and put its lib folder on LD_LIBRARY_PATH";

    /** cuDNN 9's detailed message for the last failure on this thread, one line ("" when there is none). */
    static String cudnnLastError() {
        try {
            BytePointer msg = new BytePointer(1024);
            try {
                msg.put(0, (byte) 0);
                cudnnGetLastErrorString(msg, msg.capacity());
                return msg.getString().replace('\n', ' ').strip();
            } finally {
                msg.deallocate();
            }
        } catch (RuntimeException e) {   // never let the diagnosis hide the original failure
            return "";
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
