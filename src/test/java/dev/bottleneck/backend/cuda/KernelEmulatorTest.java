package dev.bottleneck.backend.cuda;

import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel emulator follows the CUDA rules the kernels rely on, and fails loudly where a GPU would fail
 * quietly: warp shuffles ({@code __shfl_down_sync}), the block reduction's tree, {@code __syncthreads} ordering
 * writes before reads, a race reported by the order check, a deadlock reported instead of hanging, an access past
 * the end of a block, undefined behaviour (the sanitizer) and a launch that never ends reported (the JVM goes on),
 * a pointer outside every allocation and a wrong argument count refused. The kernels are those of
 * {@code native/emu/selftest.cu}; the CUDA backend's own kernels are checked by the conformance suite on
 * {@value EmulatedCudaBackend#NAME}.
 */
class KernelEmulatorTest {
    private static EmulatedCudaBackend be;

    @BeforeAll
    static void open() {
        be = (EmulatedCudaBackend) BackendsUnderTest.get(EmulatedCudaBackend.NAME);
    }

    private static float[] run(String kernel, int grid, int block, int outSize, int... ints) {
        Tensor out = be.memory().allocate(outSize);
        try {
            KernelSink s = be.sink().begin().ptr(be.address(out));
            for (int v : ints) s.i32(v);
            s.launch(kernel, grid, block);
            return be.memory().toFloatArray(out);   // waits for the stream: the launch runs (and fails) here
        } finally {
            be.memory().release(out);
        }
    }

    /** The message of the error that {@code launch} ends in once the stream has run it. */
    private static String failure(Runnable launch) {
        return assertThrows(IllegalStateException.class, () -> {
            launch.run();
            be.synchronize();
        }).getMessage();
    }

    @Test
    void holdsExactlyTheKernelsWithEntryPoints() {
        Set<String> entryPoints = Arrays.stream(Kernels.class.getDeclaredMethods())
                .filter(m -> !Modifier.isPrivate(m.getModifiers()) && !m.isSynthetic())
                .map(Method::getName).collect(Collectors.toCollection(TreeSet::new));
        Set<String> emulated = Arrays.stream(EmulatedCudaBackend.kernels()).filter(k -> !k.startsWith("emu_"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(entryPoints, emulated, "kernels/*.cu as compiled into the emulator vs the entry points of Kernels");
        assertTrue(emulated.size() >= 30, "kernels found: " + emulated);
    }

    @Test
    void shuffleDownPassesTheValueOfLaneIPlusDelta() {
        for (int delta : new int[] {1, 5, 16}) {
            float[] got = run("emu_shuffle", 2, 64, 128, delta);
            float[] want = new float[128];
            for (int t = 0; t < 128; t++) want[t] = (t & 31) + delta < 32 ? t + delta : t;
            assertArrayEquals(want, got, "__shfl_down_sync by " + delta);
        }
    }

    @Test
    void blockSumAddsEveryThreadOfTheBlock() {
        for (int threads : new int[] {32, 96, 256, 1024}) {
            Tensor out = be.memory().allocate(2 * 3);   // 3 doubles
            try {
                be.sink().begin().ptr(be.address(out)).launch("emu_block_sum", 3, threads);
                float[] raw = be.memory().toFloatArray(out);
                java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.nativeOrder());
                for (float f : raw) bb.putFloat(f);
                bb.flip();
                for (int b = 0; b < 3; b++) {
                    assertEquals(threads * (threads + 1) / 2.0, bb.getDouble(), "bn_block_sum of 1.." + threads + ", block " + b);
                }
            } finally {
                be.memory().release(out);
            }
        }
    }

    @Test
    void syncthreadsOrdersWritesBeforeReads() {
        float[] got = run("emu_neighbour", 1, 128, 128);
        for (int t = 0; t < 128; t++) assertEquals((t + 1) % 128, got[t], "thread " + t + " reads its neighbour's write");
    }

    @Test
    void aRaceIsReportedByTheOrderCheck() {
        String m = failure(() -> run("emu_neighbour_race", 1, 64, 64));
        assertTrue(m.contains("emu_neighbour_race: results depend on the order its threads run in"), m);
    }

    @Test
    void aDeadlockIsReportedNotHung() {
        String m = failure(() -> run("emu_partial_warp", 1, 64, 64));
        assertTrue(m.contains("emu_partial_warp: deadlock in block 0"), m);
    }

    @Test
    void anAccessPastTheEndOfABlockFailsTheLaunch() {
        String m = failure(() -> run("emu_past_end", 1, 32, 64, 64));
        assertTrue(m.contains("emu_past_end: invalid memory access at 0x") && m.contains(", 0 bytes past the end of a 256-byte allocation"), m);
        // the JVM and the emulator go on: the next launch works
        assertEquals(1f, run("emu_shuffle", 1, 32, 32, 1)[0]);
    }

    @Test
    void undefinedBehaviourFailsTheLaunch() {
        String m = failure(() -> run("emu_nan_to_int", 1, 32, 4));
        assertTrue(m.contains("emu_nan_to_int: undefined behaviour in the kernel"), m);
    }

    @Test
    void aLaunchThatNeverEndsIsKilled() {
        Tensor flag = be.memory().zeros(1);
        KernelEmulator.timeout(500);
        try {
            String m = failure(() -> be.sink().begin().ptr(be.address(flag)).launch("emu_spin", 1, 32));
            assertTrue(m.contains("emu_spin: did not finish in 500 ms"), m);
        } finally {
            KernelEmulator.timeout(60_000);
            be.memory().release(flag);
        }
    }

    @Test
    void aPointerOutsideEveryAllocationIsRefused() {
        String m = failure(() -> be.sink().begin().ptr(4096).f32(1f).i64(10).launch("ew_fill", 1, 256));
        assertTrue(m.contains("ew_fill: pointer argument 0 = 0x1000 is not inside any allocation"), m);
    }

    @Test
    void aWrongArgumentCountIsRefused() {
        Tensor t = be.memory().allocate(10);
        try {
            String m = failure(() -> be.sink().begin().ptr(be.address(t)).f32(1f).launch("ew_fill", 1, 256));
            assertTrue(m.contains("ew_fill: 2 arguments passed, the kernel has 3 parameters"), m);
        } finally {
            be.memory().release(t);
        }
    }
}
