package dev.bottleneck.testing;

import dev.bottleneck.backend.Availability;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.BackendProvider;
import dev.bottleneck.backend.Backends;
import dev.bottleneck.backend.cpu.CpuBackend;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.backend.cuda.EmulatedCudaBackend;
import dev.bottleneck.backend.cuda.KernelEmulator;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The backends the conformance suite runs on: the CPU backend in F32 always, and every other
 * provider found by {@link Backends#providers()} in F32 where {@link Backends#probeAll()} says it is available.
 *
 * <p>Tests take backend <em>names</em> from {@link #names()} ({@code @MethodSource(Conformance.NAMES)}) and call
 * {@link #get(String)}, which skips the test with the probe's reason when the backend cannot load here (a failure
 * instead with {@code BOTTLENECK_REQUIRE_CUDA=1}, see {@link RequireCuda}). {@code cuda} is always listed, even when
 * its provider is not on the class path, so a CPU-only run shows the skip and why.
 *
 * <p>Backends are created once per JVM and shared by every test (creating a CUDA context per test would be slow);
 * tests release the tensors they allocate (see {@link TensorScope}).
 */
public final class BackendsUnderTest {
    /** The dtype every backend under test is created with (the production precision). */
    public static final DType DTYPE = DType.F32;

    /** Whether backends under test are created with TF32 allowed (never, today: see {@link Tolerances#GEMM_TF32_RTOL}). */
    public static final boolean TF32 = false;

    /** A backend name with its availability here. */
    public record Candidate(String name, boolean available, String reason, BackendProvider provider) { }

    private static List<Candidate> candidates;
    private static final Map<String, Backend> OPEN = new LinkedHashMap<>();
    private static CpuBackend reference;

    private BackendsUnderTest() {}

    /** Every backend name the suite knows, available or not: cpu first, then the other providers, then cuda. */
    public static synchronized List<Candidate> candidates() {
        if (candidates != null) return candidates;
        List<Candidate> out = new ArrayList<>();
        out.add(new Candidate("cpu", true, null, null));
        List<BackendProvider> providers;
        Map<String, Availability> probed;
        String loadError = null;
        try {
            providers = Backends.providers();
            probed = Backends.probeAll();
        } catch (Throwable t) { // a provider listed in META-INF/services whose class is missing or broken
            providers = List.of();
            probed = Map.of();
            loadError = t.toString();
        }
        for (BackendProvider p : providers) {
            if (p.name().equals("cpu")) continue;
            Availability a = probed.get(p.name());
            boolean ok = a != null && a.available();
            out.add(new Candidate(p.name(), ok, ok ? null : (a == null ? "not probed" : a.reason()), p));
        }
        if (out.stream().noneMatch(c -> c.name().equals("cuda"))) {
            out.add(new Candidate("cuda", false, loadError == null ? "CUDA provider not on the class path"
                    : "CUDA provider not on the class path (" + loadError + ")", null));
        }
        candidates = Collections.unmodifiableList(out);
        return candidates;
    }

    /** Names for {@code @MethodSource}. */
    public static Stream<String> names() {
        return candidates().stream().map(Candidate::name);
    }

    /**
     * {@link #names()} and {@value EmulatedCudaBackend#NAME}: the CUDA backend's own kernels run by the kernel
     * emulator without a GPU ({@link EmulatedCudaBackend}). For the tests of op groups that use nothing but those
     * kernels (element-wise, reductions, activations, losses, random numbers, optimizers, max pooling,
     * up-sampling).
     */
    public static Stream<String> kernelNames() {
        if ("off".equals(System.getenv(EMULATOR))) return names();
        return Stream.concat(names(), Stream.of(EmulatedCudaBackend.NAME));
    }

    /** Set to {@code off} to leave the emulated backend out of {@link #kernelNames()} (scripts/gpu-check.sh does). */
    public static final String EMULATOR = "BOTTLENECK_EMULATOR";

    /** Set to 1 (as CI does) to make an emulator that cannot be built here a failure instead of a skip. */
    public static final String REQUIRE_EMULATOR = "BOTTLENECK_REQUIRE_EMULATOR";

    /**
     * The shared backend of that name in {@link #DTYPE}, or a skipped test ({@link Assumptions}) naming why it
     * cannot be used here.
     */
    public static synchronized Backend get(String name) {
        if (name.equals(EmulatedCudaBackend.NAME)) return emulated();
        Candidate c = candidates().stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown backend under test: " + name));
        if (name.equals("cpu")) {
            Assumptions.assumeTrue(c.available(), () -> name + ": " + c.reason());
        } else {
            RequireCuda.assume(c.available(), () -> name + ": " + c.reason());
        }
        return OPEN.computeIfAbsent(name, n -> {
            BackendOptions o = new BackendOptions(DTYPE, TF32, 0);
            Backend b = n.equals("cpu") ? new CpuBackend(o) : c.provider().create(o);
            System.out.println("backend under test: " + b.describe());
            return b;
        });
    }

    private static Backend emulated() {
        Backend open = OPEN.get(EmulatedCudaBackend.NAME);
        if (open != null) return open;
        EmulatedCudaBackend b = EmulatedCudaBackend.createOrNull();
        if (b == null) {
            String why = "kernel emulator unavailable: " + KernelEmulator.unavailable();
            if ("1".equals(System.getenv(REQUIRE_EMULATOR))) Assertions.fail(REQUIRE_EMULATOR + "=1 but " + why);
            System.out.println("skipped (kernel emulator): " + why);
            Assumptions.assumeTrue(false, why);
        }
        System.out.println("backend under test: " + b.describe());
        Runtime.getRuntime().addShutdownHook(new Thread(() ->   // which kernels this test JVM ran, in the build log
                System.out.println("kernel emulator: launches per kernel " + b.launches())));
        OPEN.put(EmulatedCudaBackend.NAME, b);
        return b;
    }

    /** The float64 CPU backend every result is compared with. */
    public static synchronized CpuBackend reference() {
        if (reference == null) reference = new CpuBackend(DType.F64);
        return reference;
    }
}
