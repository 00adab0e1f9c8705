package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cuModuleUnload;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBIN;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBINSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetNumSupportedArchs;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetPTX;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetPTXSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetSupportedArchs;

/**
 * Our CUDA kernels ({@code kernels/*.cu}, packaged in the jar under {@code dev/bottleneck/kernels/}), compiled
 * once per device architecture with NVRTC and launched through the driver API.
 *
 * <p>Target: a CUBIN for {@code sm_XY} when NVRTC supports the device's exact compute capability (no driver
 * JIT); otherwise PTX for the newest architecture NVRTC supports below it, which the driver JIT-compiles.
 * Binaries are cached on disk under {@code $BOTTLENECK_CACHE/kernels} (default
 * {@code ~/.cache/bottleneck/kernels}), keyed by the SHA-256 of the source, the shared header, the compile
 * options, the target and the NVRTC version, and written atomically (temporary file, then rename), so
 * concurrent processes never see half a file. A cache that cannot be written only costs a recompile.
 *
 * <p>Every {@code extern "C" __global__} function of every file is looked up by name once; the backend asks
 * for them with {@link #function(String)}.
 */
final class KernelLibrary {
    /** The kernel families, one .cu file each (see the comment at the top of each file). */
    static final List<String> FILES = List.of("elementwise.cu", "activation.cu", "reduce.cu", "loss.cu",
            "random.cu", "optimizer.cu", "gather.cu", "upsample.cu", "pool.cu");
    /** Shared header, passed to NVRTC in memory under its include name. */
    static final String HEADER = "common.cuh";
    static final String RESOURCE_DIR = "/dev/bottleneck/kernels/";
    /**
     * NVRTC options besides the target. {@code --fmad=false}: a*b+c rounds twice, as Java does, so element-wise
     * results match the CPU reference bit for bit where the formulas are the same (the cost is negligible for
     * these memory-bound kernels).
     */
    static final List<String> OPTIONS = List.of("--std=c++17", "--fmad=false");

    private static final Pattern KERNEL = Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+(\\w+)\\s*\\(");
    private static final System.Logger LOG = System.getLogger("dev.bottleneck.cuda");

    private final List<CUmod_st> modules = new ArrayList<>();
    private final Map<String, CUfunc_st> functions = new HashMap<>();
    final String target;
    final String nvrtcVersion;
    /** How each file was obtained: "compiled" or "cached" (for describe/logs). */
    final Map<String, String> origin = new LinkedHashMap<>();

    /**
     * Compiles (or loads from the cache) and loads every kernel file into the current context.
     *
     * @param cc           compute capability as major*10+minor (75, 80, 86, 89, 90, 100, 120...)
     * @param nvrtcVersion "13.1" (part of the cache key)
     */
    KernelLibrary(int cc, String nvrtcVersion) {
        this.nvrtcVersion = nvrtcVersion;
        this.target = chooseTarget(cc);
        String header = readSource(HEADER);
        Path dir = cacheDir();
        try {
            for (String file : FILES) {
                String source = readSource(file);
                byte[] image = binary(file, source, header, target, nvrtcVersion, dir, origin);
                CUmod_st module = new CUmod_st();
                BytePointer data = new BytePointer(image);
                try {
                    CudaCheck.cu(cuModuleLoadData(module, data), "cuModuleLoadData(kernels/" + file + ", " + target + ")");
                } finally {
                    data.deallocate();
                }
                modules.add(module);
                Matcher m = KERNEL.matcher(source);
                while (m.find()) {
                    String name = m.group(1);
                    CUfunc_st fn = new CUfunc_st();
                    CudaCheck.cu(cuModuleGetFunction(fn, module, name), "cuModuleGetFunction(" + name + ")");
                    if (functions.put(name, fn) != null) {
                        throw new BottleneckException("kernel name " + name + " is defined twice in kernels/");
                    }
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    CUfunc_st function(String name) {
        CUfunc_st f = functions.get(name);
        if (f == null) throw new IllegalStateException("no kernel named " + name + " in kernels/" + FILES);
        return f;
    }

    void close() {
        for (CUmod_st m : modules) cuModuleUnload(m);
        modules.clear();
        functions.clear();
    }

    /** "sm_86" for a CUBIN, or "compute_90" for PTX when NVRTC does not know the exact architecture. */
    static String chooseTarget(int cc) {
        int[] n = {0};
        CudaCheck.nvrtc(nvrtcGetNumSupportedArchs(n), "nvrtcGetNumSupportedArchs", "(none)", null);
        int[] archs = new int[n[0]];
        if (n[0] > 0) CudaCheck.nvrtc(nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs", "(none)", null);
        return chooseTarget(cc, archs);
    }

    /** Pure part of {@link #chooseTarget(int)}, testable without a GPU. */
    static String chooseTarget(int cc, int[] supported) {
        int best = -1;
        for (int a : supported) {
            if (a == cc) return "sm_" + cc;
            if (a < cc && a > best) best = a;
        }
        if (best < 0) {
            throw new BottleneckException("NVRTC cannot compile for compute capability " + cc / 10 + "." + cc % 10
                    + " (it supports " + Arrays.toString(supported) + "): install a CUDA 13 NVRTC that supports this GPU");
        }
        // same major: a CUBIN for the older minor runs (sm_XY runs on X.Z for Z >= Y); otherwise PTX for the JIT
        if (best / 10 == cc / 10) return "sm_" + best;
        return "compute_" + best;
    }

    /**
     * The CUBIN/PTX image of one kernel file for {@code target}: from the cache in {@code dir} when present,
     * else compiled with NVRTC and written there atomically. Needs NVRTC only, no GPU or driver.
     *
     * @param dir    cache folder, or null for no cache
     * @param origin receives file → "cached" or "compiled"
     */
    static byte[] binary(String file, String source, String header, String target, String nvrtcVersion, Path dir,
                         Map<String, String> origin) {
        boolean ptx = target.startsWith("compute_");
        String key = cacheKey(source, header, target, nvrtcVersion);
        String stem = file.substring(0, file.length() - 3);
        Path cached = dir == null ? null : dir.resolve(stem + "-" + target + "-" + key.substring(0, 24) + (ptx ? ".ptx" : ".cubin"));
        if (cached != null && Files.isRegularFile(cached)) {
            try {
                byte[] b = Files.readAllBytes(cached);
                if (b.length > 0) {
                    origin.put(file, "cached");
                    return b;
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "kernel cache unreadable, recompiling: " + cached + ": " + e);
            }
        }
        byte[] image = compile(file, source, header, target);
        origin.put(file, "compiled");
        if (cached != null) writeAtomically(cached, image);
        return image;
    }

    static String cacheKey(String source, String header, String target, String nvrtcVersion) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {source, header, String.join(" ", OPTIONS), target, "nvrtc " + nvrtcVersion}) {
                md.update(part.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code $BOTTLENECK_CACHE/kernels} or {@code ~/.cache/bottleneck/kernels}; null when unusable. */
    static Path cacheDir() {
        String env = System.getenv("BOTTLENECK_CACHE");
        Path dir = env != null && !env.isBlank()
                ? Paths.get(env, "kernels")
                : Paths.get(System.getProperty("user.home"), ".cache", "bottleneck", "kernels");
        try {
            Files.createDirectories(dir);
            return dir;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "kernel cache disabled, cannot create " + dir + ": " + e);
            return null;
        }
    }

    static void writeAtomically(Path target, byte[] data) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
            Files.write(tmp, data);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not write kernel cache " + target + ": " + e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    /** NVRTC: source (+ common.cuh as an in-memory header) → CUBIN or NUL-terminated PTX. */
    static byte[] compile(String file, String source, String header, String target) {
        boolean ptx = target.startsWith("compute_");
        List<BytePointer> keep = new ArrayList<>();
        _nvrtcProgram prog = new _nvrtcProgram();
        try {
            BytePointer src = track(keep, new BytePointer(source));
            BytePointer name = track(keep, new BytePointer(file));
            PointerPointer<BytePointer> headers = new PointerPointer<>(1);
            PointerPointer<BytePointer> includeNames = new PointerPointer<>(1);
            headers.put(0, track(keep, new BytePointer(header)));
            includeNames.put(0, track(keep, new BytePointer(HEADER)));
            CudaCheck.nvrtc(nvrtcCreateProgram(prog, src, name, 1, headers, includeNames), "nvrtcCreateProgram", file, null);

            List<String> opts = new ArrayList<>();
            opts.add("--gpu-architecture=" + target);
            opts.addAll(OPTIONS);
            PointerPointer<BytePointer> options = new PointerPointer<>(opts.size());
            for (int i = 0; i < opts.size(); i++) options.put(i, track(keep, new BytePointer(opts.get(i))));
            CudaCheck.nvrtc(nvrtcCompileProgram(prog, opts.size(), options),
                    "nvrtcCompileProgram(" + String.join(" ", opts) + ")", file, prog);

            SizeTPointer size = new SizeTPointer(1);
            BytePointer out;
            if (ptx) {
                CudaCheck.nvrtc(nvrtcGetPTXSize(prog, size), "nvrtcGetPTXSize", file, prog);   // includes the NUL
                out = new BytePointer(size.get());
                CudaCheck.nvrtc(nvrtcGetPTX(prog, out), "nvrtcGetPTX", file, prog);
            } else {
                CudaCheck.nvrtc(nvrtcGetCUBINSize(prog, size), "nvrtcGetCUBINSize", file, prog);
                out = new BytePointer(size.get());
                CudaCheck.nvrtc(nvrtcGetCUBIN(prog, out), "nvrtcGetCUBIN", file, prog);
            }
            byte[] bytes = new byte[(int) size.get()];
            out.get(bytes);
            out.deallocate();
            size.deallocate();
            headers.deallocate();
            includeNames.deallocate();
            options.deallocate();
            String log = CudaCheck.programLog(prog);
            if (!log.isBlank()) LOG.log(System.Logger.Level.DEBUG, "NVRTC log for kernels/" + file + ":\n" + log);
            return bytes;
        } finally {
            if (!prog.isNull()) nvrtcDestroyProgram(prog);
            for (BytePointer p : keep) p.deallocate();
        }
    }

    private static BytePointer track(List<BytePointer> keep, BytePointer p) {
        keep.add(p);
        return p;
    }

    /** A kernel source from the jar, or from ./kernels when running from a source tree without resources. */
    static String readSource(String file) {
        try (InputStream in = KernelLibrary.class.getResourceAsStream(RESOURCE_DIR + file)) {
            if (in != null) return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BottleneckException("cannot read kernel source " + RESOURCE_DIR + file + ": " + e.getMessage(), e);
        }
        Path local = Paths.get("kernels", file);
        try {
            if (Files.isRegularFile(local)) return Files.readString(local);
        } catch (IOException e) {
            throw new BottleneckException("cannot read kernel source " + local.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        throw new BottleneckException("kernel source " + file + " not found on the class path (" + RESOURCE_DIR
                + ") nor in ./kernels: the jar was built without the kernels/ resources");
    }
}
