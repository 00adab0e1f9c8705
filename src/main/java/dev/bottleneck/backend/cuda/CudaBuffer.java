package dev.bottleneck.backend.cuda;

import dev.bottleneck.tensor.Buffer;
import dev.bottleneck.tensor.DType;

/**
 * Device memory of the CUDA backend: a block from {@link CudaAllocator} holding {@link #capacity()} float32
 * elements starting at device address {@link #address}. Tensors index it with element offsets; the address of
 * element {@code i} is {@code address + 4 * i}.
 */
public final class CudaBuffer implements Buffer {
    final CudaBackend owner;
    final long address;
    final long capacity;
    /** Bytes of the allocator block (the size class), at least {@code 4 * capacity}. */
    final long blockBytes;
    volatile boolean released;

    CudaBuffer(CudaBackend owner, long address, long capacity, long blockBytes) {
        this.owner = owner;
        this.address = address;
        this.capacity = capacity;
        this.blockBytes = blockBytes;
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public DType dtype() {
        return DType.F32;
    }

    /** Device address of element {@code elementOffset}. */
    long addressOf(long elementOffset) {
        return address + 4L * elementOffset;
    }

    @Override
    public String toString() {
        return "CudaBuffer[" + capacity + " floats @0x" + Long.toHexString(address) + (released ? ", released" : "") + "]";
    }
}
