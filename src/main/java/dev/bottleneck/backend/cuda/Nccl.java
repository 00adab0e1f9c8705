package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.javacpp.BytePointer;

import static org.bytedeco.cuda.global.nccl.ncclGetErrorString;
import static org.bytedeco.cuda.global.nccl.ncclGetLastError;
import static org.bytedeco.cuda.global.nccl.ncclInProgress;
import static org.bytedeco.cuda.global.nccl.ncclSuccess;

/** NCCL status checks: a failed call becomes a {@link BottleneckException} naming it, NCCL's text and its last error. */
final class Nccl {
    private Nccl() {}

    /** Throws unless {@code rc} is success (or, for a non-blocking communicator, in progress). */
    static void check(int rc, String call, ncclComm comm) {
        if (rc == ncclSuccess || rc == ncclInProgress) return;
        throw new BottleneckException("NCCL call " + call + " failed: " + describe(rc, comm));
    }

    static String describe(int rc, ncclComm comm) {
        String text = string(ncclGetErrorString(rc));
        String last = comm == null ? "" : string(ncclGetLastError(comm));
        return text + " (" + rc + ")" + (last.isBlank() ? "" : ": " + last.strip())
                + (rc == 6 ? " — a remote rank failed or its connection broke" : "")
                + "; NCCL_DEBUG=INFO shows more";
    }

    private static String string(BytePointer p) {
        return p == null || p.isNull() ? "" : p.getString();
    }
}
