package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CUDA backend's memory code ({@link CudaMemory}, {@link CudaAllocator}, {@link PinnedStaging}) on the
 * {@link EmulatedRuntime}: the stream really is lazy (so the conformance suite's results mean the backend waits
 * where it must), copies are checked against the memory they name, an out-of-memory device gives one clear line,
 * and a steady state makes no cudaMalloc calls.
 */
class EmulatedRuntimeTest {
    private static EmulatedCudaBackend be;

    @BeforeAll
    static void open() {
        be = (EmulatedCudaBackend) BackendsUnderTest.get(EmulatedCudaBackend.NAME);
    }

    private static float[] peek(Tensor t) {   // device memory is host memory here: read it without waiting
        float[] v = new float[(int) t.size()];
        new FloatPointer(DevicePointers.at(be.address(t))).get(v, 0, v.length);
        return v;
    }

    @Test
    void queuedWorkRunsOnlyWhenTheHostWaits() {
        Tensor t = be.memory().allocate(8);
        try {
            be.memory().fill(t, 1.0);
            be.synchronize();
            be.memory().fill(t, 0.0);
            be.memory().fill(t, 2.5);
            assertEquals(1f, peek(t)[0], "nothing has run yet: the block still holds the fill before the last wait");
            long before = be.operationsRun();
            float[] got = be.memory().toFloatArray(t);   // the download waits: fills, copy, event
            assertArrayEquals(new float[] {2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f}, got);
            assertTrue(be.operationsRun() >= before + 3, "memset, fill kernel, copy and event ran: " + (be.operationsRun() - before));
        } finally {
            be.memory().release(t);
        }
    }

    @Test
    void copiesAreCheckedAgainstTheMemoryTheyName() {
        EmulatedRuntime rt = be.runtime();
        Tensor t = be.memory().allocate(16);
        long host = rt.mallocHost(64);
        try {
            long d = be.address(t);
            IllegalStateException wrongKind = assertThrows(IllegalStateException.class, () -> rt.memcpyAsync(host, d, 64, 1, null, "copy"));
            assertTrue(wrongKind.getMessage().contains("copy: the source") && wrongKind.getMessage().contains("is not pinned host memory"),
                    wrongKind.getMessage());
            IllegalStateException tooLong = assertThrows(IllegalStateException.class, () -> rt.memcpyAsync(d, host, 65, 1, null, "copy"));
            assertTrue(tooLong.getMessage().contains("is not pinned host memory") || tooLong.getMessage().contains("not inside one device allocation"),
                    tooLong.getMessage());
            IllegalStateException overlap = assertThrows(IllegalStateException.class, () -> rt.memcpyAsync(d + 4, d, 32, 3, null, "copy"));
            assertTrue(overlap.getMessage().contains("overlap"), overlap.getMessage());
            rt.memcpyAsync(host, d, 64, 2, null, "copy");
            IllegalStateException busy = assertThrows(IllegalStateException.class, () -> rt.freeHost(host));
            assertTrue(busy.getMessage().contains("pinned memory that a queued copy still uses"), busy.getMessage());
            be.synchronize();
        } finally {
            rt.freeHost(host);
            be.memory().release(t);
        }
    }

    @Test
    void outOfMemoryIsOneClearLine() {
        BottleneckException e = assertThrows(BottleneckException.class, () -> be.memory().allocate(700_000_000));
        String m = e.getMessage();
        assertTrue(m.startsWith("GPU out of memory allocating a tensor of [700000000] (2670.3 MiB): ")
                && m.contains(" free of 2048.0 MiB total on the device, ") && m.contains(" held by Bottleneck; reduce --batch"), m);
        assertTrue(!m.contains("\n"), "one line: " + m);
        Tensor after = be.memory().allocate(10);   // the backend goes on
        be.memory().release(after);
    }

    @Test
    void aSteadyStateMakesNoCudaMallocCalls() {
        for (int round = 0; round < 3; round++) {
            long before = be.mallocCalls();
            Tensor[] ts = new Tensor[10];
            for (int i = 0; i < ts.length; i++) ts[i] = be.memory().allocate(1000 + 37 * i);
            for (Tensor t : ts) be.memory().release(t);
            if (round > 0) assertEquals(before, be.mallocCalls(), "round " + round + " must reuse the cached blocks");
        }
    }
}
