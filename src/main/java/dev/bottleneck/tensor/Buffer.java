package dev.bottleneck.tensor;

/**
 * A block of memory owned by one backend (a Java array on the CPU, device memory on a GPU). Opaque above
 * the backend layer: only the backend that made it reads or writes it.
 */
public interface Buffer {
    /** Capacity in elements. */
    long capacity();

    DType dtype();
}
