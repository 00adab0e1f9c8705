package dev.bottleneck.backend.cuda;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * JavaCPP views of raw device addresses. Device memory is addressed as {@code long} everywhere in this backend
 * and turned into a {@link Pointer} only at the call site, with the byte arithmetic done explicitly
 * ({@code base + 4 * elementOffset}): JavaCPP applies a {@code position} in units of the <em>declared</em>
 * parameter type, a classic source of off-by-4x bugs (docs/CUDA.md §5). The views own nothing (no deallocator)
 * and must never be read through JavaCPP accessors (that would dereference device memory on the host).
 */
final class DevicePointers {
    private DevicePointers() {}

    /** A {@code void*} at the given address (for cudaMemcpy*, cudaMemset*). */
    static Pointer at(long address) {
        return new Raw(address);
    }

    /** A {@code float*} at the given address (for cuBLAS S-routines). */
    static FloatPointer floats(long address) {
        return new FloatPointer(new Raw(address));
    }

    private static final class Raw extends Pointer {
        Raw(long address) {
            this.address = address;
        }
    }
}
