package dev.bottleneck.backend.cuda;

import dev.bottleneck.testing.RequireCuda;

import dev.bottleneck.BottleneckException;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compiles every kernels/*.cu with the real NVRTC, for each architecture we target, through the same code
 * path as the backend (in-memory common.cuh, options, disk cache). NVRTC needs no GPU, but the JavaCPP nvrtc
 * preset inherits cudart, which links libcuda.so.1: this runs where a driver is installed, or on a CPU-only
 * machine with a stand-in driver (an empty libcuda.so.1) and libnvrtc.so.13 on LD_LIBRARY_PATH, e.g.
 * {@code LD_LIBRARY_PATH=/tmp/stub:/path/to/nvidia/cu13/lib mvn test -Dtest=NvrtcCompileTest}.
 * Elsewhere it skips with the reason.
 */
class NvrtcCompileTest {
    private static String skip;
    private static String version;

    @BeforeAll
    static void load() {
        CudaProbe.get();   // the probe must be the first to touch the presets: it keeps the real dlopen reason
        try {
            Loader.load(nvrtc.class);
            int[] ma = {0}, mi = {0};
            nvrtc.nvrtcVersion(ma, mi);
            version = ma[0] + "." + mi[0];
            System.out.println("[nvrtc] version " + version);
        } catch (Throwable t) {
            skip = CudaProbe.explain(t, "NVRTC does not load");
        }
    }

    private static final Pattern KERNEL = Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+(\\w+)");

    @Test
    void everyKernelCompilesForEveryTargetAndIsCached(@TempDir Path dir) throws Exception {
        RequireCuda.assume(skip == null, () -> "NVRTC unavailable: " + skip);
        String header = KernelLibrary.readSource(KernelLibrary.HEADER);
        for (String target : List.of("sm_75", "sm_80", "sm_86", "sm_90", "compute_90")) {
            Map<String, String> origin = new LinkedHashMap<>();
            for (String file : KernelLibrary.FILES) {
                String src = KernelLibrary.readSource(file);
                byte[] image = KernelLibrary.binary(file, src, header, target, version, dir, origin);
                assertTrue(image.length > 100, file + " " + target);
                if (target.startsWith("sm_")) {
                    assertEquals(0x7f, image[0]);   // ELF
                    assertEquals('E', image[1]);
                } else {
                    String ptx = new String(image, StandardCharsets.US_ASCII);
                    assertEquals(0, image[image.length - 1], "PTX must be NUL-terminated for cuModuleLoadData");
                    Matcher m = KERNEL.matcher(src);
                    while (m.find()) assertTrue(ptx.contains(".entry " + m.group(1)), file + ": no entry " + m.group(1));
                }
                assertEquals("compiled", origin.get(file));
                byte[] again = KernelLibrary.binary(file, src, header, target, version, dir, origin);
                assertEquals("cached", origin.get(file));
                assertEquals(image.length, again.length);
            }
            System.out.println("[nvrtc] " + target + ": " + KernelLibrary.FILES.size() + " files compiled");
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).toList();
            assertEquals(5 * KernelLibrary.FILES.size(), names.size(), names.toString());
            assertFalse(names.stream().anyMatch(n -> n.endsWith(".tmp")), names.toString());
        }
    }

    @Test
    void compileErrorsCarryTheLog() {
        RequireCuda.assume(skip == null, () -> "NVRTC unavailable: " + skip);
        String header = KernelLibrary.readSource(KernelLibrary.HEADER);
        BottleneckException e = assertThrows(BottleneckException.class, () -> KernelLibrary.compile("broken.cu",
                "#include \"common.cuh\"\nextern \"C\" __global__ void k(float* x) { x[0] = no_such_function(1); }\n",
                header, "sm_80"));
        System.out.println("[nvrtc] expected failure: " + e.getMessage());
        assertTrue(e.getMessage().contains("kernels/broken.cu"), e.getMessage());
        assertTrue(e.getMessage().contains("no_such_function"), "the compile log is missing: " + e.getMessage());
    }

    @Test
    void theDeviceArchitectureIsSupported() {
        RequireCuda.assume(skip == null, () -> "NVRTC unavailable: " + skip);
        for (int cc : new int[] {75, 80, 86, 89, 90}) {
            assertEquals("sm_" + cc, KernelLibrary.chooseTarget(cc), "NVRTC " + version + " should compile sm_" + cc);
        }
    }
}
