package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host-side parts of the CUDA backend that run without a GPU (JavaCPP only, no CUDA library). */
class CudaPlumbingTest {
    @Test
    void launchArgsPointAtTheirValues() {
        LaunchArgs a = new LaunchArgs();
        try {
            a.reset().ptr(0x7f0012345600L).i32(-7).i64(1L << 40).f32(2.5f).f64(-0.125)
                    .struct(new long[] {3, 4}, new int[] {5, 6}).ptr(0);
            assertEquals(7, a.count());
            assertEquals(0x7f0012345600L, new LongPointer(a.params.get(0)).get());
            assertEquals(-7, new IntPointer(a.params.get(1)).get());
            assertEquals(1L << 40, new LongPointer(a.params.get(2)).get());
            assertEquals(2.5f, new FloatPointer(a.params.get(3)).get());
            assertEquals(-0.125, new DoublePointer(a.params.get(4)).get());
            LongPointer s = new LongPointer(a.params.get(5));
            assertEquals(3L, s.get(0));
            assertEquals(4L, s.get(1));
            IntPointer si = new IntPointer(a.params.get(5)).position(4);
            assertEquals(5, si.get(0));
            assertEquals(6, si.get(1));
            assertEquals(0L, new LongPointer(a.params.get(6)).get());
            // every value is 8-byte aligned and they do not overlap
            for (int i = 0; i < 7; i++) assertEquals(0, a.params.get(i).address() % 8);
            assertEquals(8, a.params.get(1).address() - a.params.get(0).address());
            assertEquals(24, a.params.get(6).address() - a.params.get(5).address());
            // reset reuses the same block
            long first = a.params.get(0).address();
            a.reset().i32(1);
            assertEquals(first, a.params.get(0).address());
        } finally {
            a.close();
        }
    }

    @Test
    void devicePointerViewsCarryTheExactAddress() {
        assertEquals(0x1000L + 4 * 3, DevicePointers.floats(0x1000L + 4 * 3).address());
        assertEquals(0, DevicePointers.floats(0x1000L).position());
        assertEquals(0xdeadbeef00L, DevicePointers.at(0xdeadbeef00L).address());
    }

    @Test
    void sizeClassesRoundUpByAtMostAQuarter() {
        assertEquals(256, CudaAllocator.sizeClass(1));
        assertEquals(256, CudaAllocator.sizeClass(256));
        assertEquals(320, CudaAllocator.sizeClass(257));
        assertEquals(1024, CudaAllocator.sizeClass(1024));
        assertEquals(1280, CudaAllocator.sizeClass(1025));
        assertEquals(1536, CudaAllocator.sizeClass(1281));
        assertEquals(1792, CudaAllocator.sizeClass(1537));
        assertEquals(2048, CudaAllocator.sizeClass(1793));
        for (long b = 1; b < (1L << 34); b = b * 3 + 1) {
            long c = CudaAllocator.sizeClass(b);
            assertTrue(c >= b && c >= 256, b + " -> " + c);
            assertTrue(b < 256 || c <= b + b / 4 + 1, b + " -> " + c);
            assertEquals(c, CudaAllocator.sizeClass(c), "a class is its own class");
        }
    }

    @Test
    void kernelTargetPrefersAnExactCubin() {
        int[] nvrtc = {75, 80, 86, 87, 89, 90, 100, 103, 110, 120, 121};
        assertEquals("sm_86", KernelLibrary.chooseTarget(86, nvrtc));
        assertEquals("sm_90", KernelLibrary.chooseTarget(90, nvrtc));
        assertEquals("sm_121", KernelLibrary.chooseTarget(122, nvrtc));        // same major: CUBIN still runs
        assertEquals("compute_90", KernelLibrary.chooseTarget(100, new int[] {75, 80, 90}));   // newer GPU: PTX + JIT
        assertThrows(BottleneckException.class, () -> KernelLibrary.chooseTarget(70, nvrtc));
    }

    private static final Pattern KERNEL = Pattern.compile("__global__\\s+void\\s+(\\w+)");

    @Test
    void kernelSourcesArePackagedAndNvrtcFriendly() {
        String header = KernelLibrary.readSource(KernelLibrary.HEADER);
        assertFalse(header.contains("#include <"), "common.cuh must not include standard headers (NVRTC has none)");
        for (String file : KernelLibrary.FILES) {
            String src = KernelLibrary.readSource(file);
            assertTrue(src.startsWith("// " + file + ":"), file + " must start with a comment naming what it computes");
            assertTrue(src.contains("Launch shape:"), file + " lacks its launch shape");
            assertTrue(src.contains("Must match:"), file + " lacks the CPU method it must match");
            assertFalse(src.contains("#include <"), file + " includes a standard header (NVRTC has none)");
            Matcher m = KERNEL.matcher(src);
            int n = 0;
            while (m.find()) {
                n++;
                int start = Math.max(0, m.start() - 12);
                assertTrue(src.substring(start, m.start()).contains("extern \"C\""), file + ": " + m.group(1) + " is not extern \"C\"");
            }
            assertTrue(n > 0, file + " defines no kernel");
        }
    }
}
