package dev.bottleneck.backend.cuda;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The kernel emulator ({@code native/emu}): every {@code kernels/*.cu} compiled as host C++ into one JNI library
 * that runs a launch the way a GPU does (blocks, threads as fibers, {@code __syncthreads}, warp shuffles), on
 * host memory. Built on first use into {@code <build dir>/kernel-emu} by {@code native/emu/build.sh}, again
 * whenever a kernel or emulator source is newer than the library.
 *
 * <p>Without g++ (or a JDK's {@code jni.h}) the emulator is unavailable and {@link #unavailable()} says why; a
 * compile error in a kernel or in the emulator is a test failure, never a skip.
 */
public final class KernelEmulator {
    /**
     * Held by every write to emulated device memory (a launch, a copy, a fill, a GEMM), by every backend: a launch's
     * order check compares all device memory before and after, so no other backend (another rank of a job in the
     * same JVM) may write any while it runs.
     */
    static final Object DEVICE = new Object();

    private static boolean loaded;
    private static String unavailable;

    private KernelEmulator() {}

    /** Runs {@code kernel}; {@code params} is the address of cuLaunchKernel's argument array. Null, or the error. */
    static native String launch(String kernel, int grid, int block, long params, int count);

    /** The registered kernels, comma-separated, in name order. */
    static native String kernels();

    /**
     * A block of {@code bytes} of emulated device memory on pages of its own, filled with 0xFF bytes (NaN floats)
     * and ending where an inaccessible page begins, so that a kernel reading or writing past its end fails the
     * launch (and one using it after {@link #free} too); 0 when the system has no memory for it.
     */
    static native long alloc(long bytes);

    /** Frees a block of {@link #alloc}; false when it is not one. */
    static native boolean free(long address);

    /** The time a launch may run before it is killed and reported (default 60 s). */
    static native void timeout(long millis);

    /** Null when the emulator is loaded, else why it cannot be used here (no compiler, no JDK headers). */
    public static synchronized String unavailable() {
        if (loaded) return null;
        if (unavailable != null) return unavailable;
        Path buildDir = buildDir(), root = buildDir.getParent();
        Path script = root.resolve("native/emu/build.sh"), lib = buildDir.resolve("kernel-emu/libbnemu.so");
        if (!Files.isRegularFile(script)) {   // compiled tests without the source tree (the GPU bundle)
            unavailable = "kernel emulator: no " + script + " (the tests run outside a source checkout)";
            return unavailable;
        }
        if (stale(lib, root)) build(script, lib.getParent());
        if (unavailable != null) return unavailable;
        System.load(lib.toString());
        loaded = true;
        return null;
    }

    private static Path buildDir() {
        try {
            // <build dir>/test-classes
            return Paths.get(KernelEmulator.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean stale(Path lib, Path root) {
        if (!Files.isRegularFile(lib)) return true;
        try (Stream<Path> k = Files.list(root.resolve("kernels")); Stream<Path> e = Files.list(root.resolve("native/emu"))) {
            long built = Files.getLastModifiedTime(lib).toMillis();
            for (Path p : Stream.concat(k, e).toList()) {
                if (Files.getLastModifiedTime(p).toMillis() > built) return true;
            }
            return false;
        } catch (IOException ex) {
            return true;
        }
    }

    private static void build(Path script, Path out) {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString(), out.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Path javaHome = Paths.get(System.getProperty("java.home"));
        if (Files.isRegularFile(javaHome.resolve("include/jni.h"))) pb.environment().put("JAVA_HOME", javaHome.toString());
        try {
            Process p = pb.start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("kernel emulator: native/emu/build.sh did not finish in 10 minutes");
            }
            if (p.exitValue() == 3) {   // no compiler or no JDK headers here: the emulator cannot exist
                unavailable = log;
                return;
            }
            if (p.exitValue() != 0) throw new AssertionError("kernel emulator: native/emu/build.sh failed:\n" + log);
            System.out.println(log);
        } catch (IOException e) {
            unavailable = "kernel emulator: cannot run bash (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
