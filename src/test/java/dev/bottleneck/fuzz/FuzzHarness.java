package dev.bottleneck.fuzz;

import dev.bottleneck.BottleneckException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs one fuzz target: {@code n} inputs, each generated from its own seed {@code mix(runSeed, target, index)}, so
 * any single input can be regenerated alone. For every input it checks the contract of the project's readers:
 * <ul>
 *   <li>the only exception that may escape is a {@link BottleneckException} with a non-empty one-line message;</li>
 *   <li>the input allocates at most {@code allocationBound} bytes on the calling thread (measured with HotSpot's
 *       per-thread allocation counter, so the bound holds for whatever the reader does, not only for arrays).</li>
 * </ul>
 * A failing input is written to {@code <build dir>/fuzz/<target>-<index>.bin} and the failure says how to
 * reproduce it. A summary line per target goes to standard output and to {@code <build dir>/fuzz/summary.txt}.
 *
 * <p>System properties: {@code bottleneck.fuzz.inputs} (inputs per reader target, overriding each target's CI budget),
 * {@code bottleneck.fuzz.cliInputs} (inputs per command-line target), {@code bottleneck.fuzz.seed} (the run seed,
 * default {@value #DEFAULT_SEED}).
 */
final class FuzzHarness {
    static final long DEFAULT_SEED = 0x5EEDF00DL;

    /** What a target does with one input; anything it throws is judged by the harness. */
    interface Target {
        void accept(byte[] input, SplittableRandom r) throws Exception;
    }

    /** Makes the input for one index from that index's random stream. */
    interface Generator {
        byte[] make(SplittableRandom r);
    }

    /** The outcome of a run, for the summary and for assertions. */
    record Summary(String target, int inputs, int accepted, int refused, long maxAllocated, double maxSeconds, double seconds) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "fuzz %-14s %6d inputs in %6.2f s: %6d accepted, %6d refused with a typed error;"
                            + " max %s allocated and %.3f s for one input", target, inputs, seconds, accepted, refused,
                    dev.bottleneck.Limits.bytes(maxAllocated), maxSeconds);
        }
    }

    private static final com.sun.management.ThreadMXBean THREADS = threads();

    private FuzzHarness() {}

    /** Inputs for a target: its CI budget unless {@code -Dbottleneck.fuzz.inputs=N} is given. */
    static int inputs(int ciBudget) {
        String s = System.getProperty("bottleneck.fuzz.inputs");
        return s == null || s.isBlank() ? ciBudget : Integer.parseInt(s.trim());
    }

    /**
     * Inputs for a target that runs the whole CLI (about 50 ms an input): its CI budget unless
     * {@code -Dbottleneck.fuzz.cliInputs=N} is given, else a tenth of {@code bottleneck.fuzz.inputs}.
     */
    static int cliInputs(int ciBudget) {
        String s = System.getProperty("bottleneck.fuzz.cliInputs");
        if (s != null && !s.isBlank()) return Integer.parseInt(s.trim());
        String all = System.getProperty("bottleneck.fuzz.inputs");
        return all == null || all.isBlank() ? ciBudget : Math.max(1, Integer.parseInt(all.trim()) / 10);
    }

    static long seed() {
        String s = System.getProperty("bottleneck.fuzz.seed");
        return s == null || s.isBlank() ? DEFAULT_SEED : Long.decode(s.trim());
    }

    static Summary run(String target, int n, long allocationBound, Generator gen, Target fn) {
        long runSeed = seed();
        int accepted = 0, refused = 0;
        long maxAlloc = 0;
        double maxSec = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long inputSeed = mix(runSeed, target, i);
            byte[] input = gen.make(new SplittableRandom(inputSeed));
            SplittableRandom use = new SplittableRandom(inputSeed ^ 0x9E3779B97F4A7C15L);
            long a0 = allocated();
            long s0 = System.nanoTime();
            Throwable thrown = null;
            try {
                fn.accept(input, use);
            } catch (Throwable t) {
                thrown = t;
            }
            double sec = (System.nanoTime() - s0) / 1e9;
            long alloc = allocated() - a0;
            maxSec = Math.max(maxSec, sec);
            maxAlloc = Math.max(maxAlloc, alloc);
            if (thrown == null) {
                accepted++;
            } else if (thrown instanceof BottleneckException && isOneLine(thrown.getMessage())) {
                refused++;
            } else {
                Path saved = save(target, i, input);
                String why = thrown instanceof BottleneckException
                        ? "a BottleneckException without a one-line message: " + describe(thrown)
                        : "an untyped " + describe(thrown);
                fail("fuzz target '" + target + "', input " + i + " (run seed " + runSeed + ") threw " + why
                        + "\ninput saved to " + saved + "; rerun with -Dbottleneck.fuzz.seed=" + runSeed
                        + "\n" + stackTrace(thrown), thrown);
            }
            if (THREADS != null && alloc > allocationBound) {
                Path saved = save(target, i, input);
                fail("fuzz target '" + target + "', input " + i + " (" + input.length + " bytes) allocated "
                        + dev.bottleneck.Limits.bytes(alloc) + ", more than the bound of " + dev.bottleneck.Limits.bytes(allocationBound)
                        + "; input saved to " + saved + (thrown == null ? "" : "; it ended with: " + thrown.getMessage()));
            }
        }
        Summary s = new Summary(target, n, accepted, refused, maxAlloc, maxSec, (System.nanoTime() - t0) / 1e9);
        report(s);
        return s;
    }

    static boolean isOneLine(String m) {
        return m != null && !m.isBlank() && m.indexOf('\n') < 0 && m.indexOf('\r') < 0;
    }

    /** Bytes allocated so far by this thread (0 where the JVM cannot tell). */
    static long allocated() {
        return THREADS == null ? 0 : THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    static boolean measuresAllocation() {
        return THREADS != null;
    }

    private static com.sun.management.ThreadMXBean threads() {
        try {
            java.lang.management.ThreadMXBean b = ManagementFactory.getThreadMXBean();
            if (b instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported()) {
                t.setThreadAllocatedMemoryEnabled(true);
                return t;
            }
        } catch (LinkageError | UnsupportedOperationException e) {
            // not HotSpot: the allocation bound is not checked
        }
        return null;
    }

    private static long mix(long seed, String target, int i) {
        long z = seed ^ (target.hashCode() * 0x9E3779B97F4A7C15L) ^ (i * 0xBF58476D1CE4E5B9L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static String describe(Throwable t) {
        return t.getClass().getName() + ": " + t.getMessage();
    }

    private static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** The build folder (the parent of test-classes), where reproducers and the summary go. */
    static Path outDir() {
        try {
            Path classes = Path.of(FuzzHarness.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path dir = classes.getParent().resolve("fuzz");
            Files.createDirectories(dir);
            return dir;
        } catch (URISyntaxException | IOException | RuntimeException e) {
            return Path.of(System.getProperty("java.io.tmpdir"), "bottleneck-fuzz");
        }
    }

    private static Path save(String target, int i, byte[] input) {
        try {
            Path dir = outDir();
            Files.createDirectories(dir);
            return Files.write(dir.resolve(target + "-" + i + ".bin"), input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized void report(Summary s) {
        System.out.println(s);
        try {
            Files.writeString(outDir().resolve("summary.txt"), s + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the summary file is a convenience; the assertions are what matter
        }
    }
}
