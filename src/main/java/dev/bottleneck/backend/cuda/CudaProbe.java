package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.Availability;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.cuda.global.nccl;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.javacpp.Loader;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides once per process whether the CUDA backend can run, following docs/CUDA.md §3, and never crashes the
 * JVM doing so:
 * <ol>
 *   <li>{@code Loader.load(cudart)} inside {@code catch (Throwable)}: the failure is an {@link Error} whose
 *       <em>cause</em> holds the real dlopen reason ({@code libcuda.so.1: cannot open shared object file});</li>
 *   <li>{@code cudaDriverGetVersion} must report at least 13000 before anything else (no driver-API {@code cu*}
 *       call is ever made here: on a driver without the symbol that kills the JVM);</li>
 *   <li>a device exists ({@code cudaGetDeviceCount}) with compute capability at least 7.5;</li>
 *   <li>cuBLAS, cuDNN and NVRTC, each in its own try/catch. All three are required: GEMM, convolutions /
 *       pooling / batch norm, and our kernels. For cuDNN the version must be 9.x and the graph, ops and cnn
 *       sub-libraries must pass their version checks ({@code cudnn*VersionCheck}).</li>
 *   <li>NCCL, optional (only data-parallel training over several GPUs uses it): loaded in its own try/catch, its
 *       version must be at least 2.14 (non-blocking communicators); without it the backend works and a job of
 *       several ranks averages its gradients through the host (docs/CUDA.md §21).</li>
 * </ol>
 * cuDNN loads its engine libraries only at the first convolution (docs/CUDA.md §17, P7), which a probe cannot
 * try without creating a context; {@link CudaBackend} therefore runs a tiny convolution when it is created
 * and turns a failure into an error naming the missing library.
 * A failed JavaCPP preset class can never be loaded again in this class loader, so the result is cached.
 */
final class CudaProbe {
    /** CUDA 13 runtime needs a driver reporting at least this (CUDA 13.0, NVIDIA driver 580+). */
    static final int MIN_DRIVER = 13000;
    /** CUDA 13 dropped Maxwell, Pascal and Volta. */
    static final int MIN_CC = 75;

    /** What the backend needs to know beyond {@link Availability}. */
    record Result(Availability availability, int device, int ccMajor, int ccMinor, String gpuName, long totalBytes,
                  int driverVersion, int runtimeVersion, String cublasVersion, String cudnnVersion,
                  String nvrtcVersion, int deviceCount, String ncclVersion, String ncclProblem) {
        boolean available() { return availability.available(); }

        /** The same libraries on GPU {@code d} of this machine (its name, compute capability and memory). */
        Result onDevice(int d) {
            if (d == device) return this;
            int[] major = {0}, minor = {0};
            CudaCheck.cuda(cudart.cudaDeviceGetAttribute(major, cudart.cudaDevAttrComputeCapabilityMajor, d), "cudaDeviceGetAttribute(" + d + ")");
            CudaCheck.cuda(cudart.cudaDeviceGetAttribute(minor, cudart.cudaDevAttrComputeCapabilityMinor, d), "cudaDeviceGetAttribute(" + d + ")");
            if (major[0] * 10 + minor[0] < MIN_CC) {
                throw new dev.bottleneck.BottleneckException("GPU " + d + " has compute capability " + major[0] + "." + minor[0]
                        + "; CUDA 13 needs 7.5 (Turing) or newer");
            }
            DeviceInfo info = DeviceInfo.of(d);
            return new Result(availability, d, major[0], minor[0], info.name(), info.totalBytes(), driverVersion, runtimeVersion,
                    cublasVersion, cudnnVersion, nvrtcVersion, deviceCount, ncclVersion, ncclProblem);
        }
    }

    /** A device's name and memory ("GPU d" and 0 when cudaGetDeviceProperties fails; its error is cleared). */
    private record DeviceInfo(String name, long totalBytes) {
        static DeviceInfo of(int device) {
            String name = "GPU " + device;
            long total = 0;
            cudaDeviceProp prop = new cudaDeviceProp();
            try {
                if (cudart.cudaGetDeviceProperties(prop, device) == cudart.cudaSuccess) {
                    name = prop.name().getString().trim();
                    total = prop.totalGlobalMem();
                } else {
                    cudart.cudaGetLastError();
                }
            } finally {
                prop.deallocate();
            }
            return new DeviceInfo(name, total);
        }
    }

    /** NCCL older than this lacks non-blocking communicators (ncclCommInitRankConfig, ncclCommFinalize). */
    static final int MIN_NCCL = 21400;

    private static Result cached;

    private CudaProbe() {}

    static synchronized Result get() {
        if (cached == null) {
            try {
                cached = probe();
            } catch (Throwable t) {   // e.g. the cuda jar missing from the class path: NoClassDefFoundError
                cached = failed(explain(t, "CUDA probe failed"), new LinkedHashMap<>());
            }
        }
        return cached;
    }

    private static Result failed(String reason, Map<String, String> details) {
        return new Result(Availability.no(reason, details), 0, 0, 0, "", 0, 0, 0, "", "", "", 0, "", "the cuda backend is not available");
    }

    private static Result probe() {
        Map<String, String> details = new LinkedHashMap<>();
        try {
            Loader.load(cudart.class);
        } catch (Throwable t) {
            details.put("libraries", loadedLibraries());
            return failed(explain(t, "CUDA runtime does not load"), details);
        }

        int[] driver = {0};
        cudart.cudaDriverGetVersion(driver);   // stays 0 when libcuda.so.1 is absent or unusable
        int[] runtime = {0};
        cudart.cudaRuntimeGetVersion(runtime);
        details.put("driver version", version(driver[0]));
        details.put("runtime version", version(runtime[0]));
        if (driver[0] < MIN_DRIVER) {
            details.put("libraries", loadedLibraries());
            String why = driver[0] == 0
                    ? "no usable NVIDIA driver (cudaDriverGetVersion reports 0): install or repair the NVIDIA driver (580 or newer for CUDA 13)"
                    : "NVIDIA driver too old: it supports CUDA " + version(driver[0]) + ", Bottleneck needs CUDA 13: update the driver to 580 or newer";
            return failed(why, details);
        }

        int[] count = {0};
        int rc = cudart.cudaGetDeviceCount(count);   // count is not written on failure
        if (rc != cudart.cudaSuccess || count[0] <= 0) {
            String err = rc != cudart.cudaSuccess ? CudaCheck.cudaErrorText(rc) : "0 devices";
            cudart.cudaGetLastError();                 // reset the runtime's last-error slot
            details.put("libraries", loadedLibraries());
            return failed("no CUDA GPU found (cudaGetDeviceCount: " + err + "): check nvidia-smi and CUDA_VISIBLE_DEVICES", details);
        }
        final int device = 0;
        int[] major = {0}, minor = {0};
        cudart.cudaDeviceGetAttribute(major, cudart.cudaDevAttrComputeCapabilityMajor, device);
        cudart.cudaDeviceGetAttribute(minor, cudart.cudaDevAttrComputeCapabilityMinor, device);
        DeviceInfo info = DeviceInfo.of(device);
        String name = info.name();
        long total = info.totalBytes();
        details.put("devices", Integer.toString(count[0]));
        details.put("gpu", name);
        details.put("compute capability", major[0] + "." + minor[0]);
        details.put("memory", String.format(java.util.Locale.ROOT, "%.1f GiB", total / (double) (1L << 30)));
        if (major[0] * 10 + minor[0] < MIN_CC) {
            details.put("libraries", loadedLibraries());
            return failed(name + " has compute capability " + major[0] + "." + minor[0]
                    + "; CUDA 13 needs 7.5 (Turing) or newer", details);
        }

        String problem = null;
        String cublasVersion = "";
        try {
            Loader.load(cublas.class);
            int[] ma = {0}, mi = {0}, pa = {0};
            cublas.cublasGetProperty(cudart.MAJOR_VERSION, ma);
            cublas.cublasGetProperty(cudart.MINOR_VERSION, mi);
            cublas.cublasGetProperty(cudart.PATCH_LEVEL, pa);
            cublasVersion = ma[0] + "." + mi[0] + "." + pa[0];
            details.put("cuBLAS version", cublasVersion);
        } catch (Throwable t) {
            problem = explain(t, "cuBLAS does not load");
            details.put("cuBLAS version", "missing: " + problem);
        }

        String cudnnVersion = "missing";
        if (problem == null) {   // the cudnn preset inherits cublas
            try {
                Loader.load(cudnn.class);
                long v = cudnn.cudnnGetVersion();
                cudnnVersion = (v / 10000) + "." + (v % 10000 / 100) + "." + (v % 100);
                details.put("cuDNN version", cudnnVersion);
                String bad = cudnnSubLibraryProblem(v);
                if (bad != null) {
                    problem = bad;
                    details.put("cuDNN version", cudnnVersion + " (unusable: " + bad + ")");
                }
            } catch (Throwable t) {
                problem = explain(t, "cuDNN does not load");
                if (!problem.contains("cuDNN")) problem = "cuDNN 9 is required by the cuda backend: " + problem;
                details.put("cuDNN version", "missing: " + problem);
            }
        } else {
            details.put("cuDNN version", "missing (needs cuBLAS)");
        }

        String nvrtcVersion = "";
        try {
            Loader.load(nvrtc.class);
            int[] ma = {0}, mi = {0};
            nvrtc.nvrtcVersion(ma, mi);
            nvrtcVersion = ma[0] + "." + mi[0];
            details.put("NVRTC version", nvrtcVersion);
        } catch (Throwable t) {
            String p = explain(t, "NVRTC does not load");
            details.put("NVRTC version", "missing: " + p);
            if (problem == null) problem = p;
        }
        String ncclVersion = "", ncclProblem = null;
        try {
            Loader.load(nccl.class);
            int[] v = {0};
            int rc2 = nccl.ncclGetVersion(v);
            if (rc2 != nccl.ncclSuccess) {
                ncclProblem = "ncclGetVersion failed (" + rc2 + ")";
            } else {
                ncclVersion = ncclVersion(v[0]);
                if (v[0] < MIN_NCCL) ncclProblem = "NCCL " + ncclVersion + " is too old: install NCCL 2.14 or newer (pip install nvidia-nccl-cu13)";
            }
            details.put("NCCL version", ncclProblem == null ? ncclVersion : ncclVersion + " (unusable: " + ncclProblem + ")");
        } catch (Throwable t) {
            ncclProblem = explain(t, "NCCL does not load");
            details.put("NCCL version", "missing (needed only to train on several GPUs): " + ncclProblem);
        }
        details.put("libraries", loadedLibraries());
        if (problem != null) return failed(problem, details);
        return new Result(Availability.yes(details), device, major[0], minor[0], name, total, driver[0], runtime[0],
                cublasVersion, cudnnVersion, nvrtcVersion, count[0], ncclVersion, ncclProblem);
    }

    /**
     * Null when cuDNN is a 9.x whose graph, ops and cnn sub-libraries match it, else one line saying what is wrong
     * and how to fix it. (The version-check functions exist in every cuDNN 9, so calling them is safe.)
     */
    static String cudnnSubLibraryProblem(long version) {
        if (version / 10000 != 9) {
            return "cuDNN " + version + " found, the cuda backend needs cuDNN 9: " + CudaCheck.CUDNN_INSTALL_HINT;
        }
        String[] names = {"libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9"};
        for (int i = 0; i < names.length; i++) {
            int st = i == 0 ? cudnn.cudnnGraphVersionCheck() : i == 1 ? cudnn.cudnnOpsVersionCheck() : cudnn.cudnnCnnVersionCheck();
            if (st != cudnn.CUDNN_STATUS_SUCCESS) {
                String why = cudnn.cudnnGetErrorString(st).getString();
                return "cuDNN sub-library " + names[i] + " does not match cuDNN " + version + " (" + why + ", status " + st
                        + "): " + CudaCheck.CUDNN_INSTALL_HINT;
            }
        }
        return null;
    }

    /** NCCL's version code: 22903 → "2.29.3" (from 2.9 on major·10000 + minor·100 + patch, before major·1000 + minor·100 + patch). */
    static String ncclVersion(int code) {
        if (code >= 20900) return (code / 10000) + "." + (code % 10000 / 100) + "." + (code % 100);
        return (code / 1000) + "." + (code % 1000 / 100) + "." + (code % 100);
    }

    /** 13000 → "13.0", 13010 → "13.1". */
    static String version(int v) {
        return v <= 0 ? "none" : (v / 1000) + "." + (v % 1000 / 10);
    }

    /** The files JavaCPP actually loaded (library name → path), CUDA-related ones only. */
    static String loadedLibraries() {
        try {
            Map<String, String> libs = new TreeMap<>(Loader.getLoadedLibraries());
            StringJoiner j = new StringJoiner(", ");
            for (Map.Entry<String, String> e : libs.entrySet()) {
                String k = e.getKey().toLowerCase(java.util.Locale.ROOT);
                if (k.contains("cud") || k.contains("cublas") || k.contains("nvrtc") || k.contains("curand")
                        || k.contains("nvjitlink") || k.contains("nccl")) {
                    j.add(e.getValue());
                }
            }
            return j.length() == 0 ? "none" : j.toString();
        } catch (Throwable t) {
            return "unknown (" + t + ")";
        }
    }

    private static final Pattern DLOPEN = Pattern.compile("(lib[A-Za-z0-9_+\\-]+\\.so(?:\\.[0-9]+)*): cannot open shared object file");
    private static final Pattern SYMBOL = Pattern.compile("undefined symbol: ?([A-Za-z0-9_]+)");

    /**
     * One line naming what is missing and how to get it, from an Error thrown while loading a preset. The top
     * message ("no jnicudart in java.library.path") is misleading; the real dlopen reason is in a cause.
     */
    static String explain(Throwable t, String what) {
        StringBuilder chain = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null) chain.append(c.getMessage()).append('\n');
        }
        String all = chain.toString();
        Matcher m = DLOPEN.matcher(all);
        if (m.find()) {
            String lib = m.group(1);
            return hint(lib) + " [" + what + ": " + lib + ": cannot open shared object file]";
        }
        Matcher s = SYMBOL.matcher(all);
        if (s.find()) {
            return what + ": a CUDA library is older than the JavaCPP wrappers (undefined symbol " + s.group(1)
                    + "): install CUDA 13.1 or newer and cuDNN 9.19 or newer";
        }
        String first = all.isBlank() ? t.toString() : all.lines().findFirst().orElse(t.toString());
        return what + ": " + t.getClass().getSimpleName() + ": " + first;
    }

    private static String hint(String lib) {
        String onPath = ", and put its lib folder on LD_LIBRARY_PATH (the scripts/gpu-bundle.sh launchers search the usual places)";
        if (lib.startsWith("libcuda.so")) {
            return "no NVIDIA driver (" + lib + " not found): install the NVIDIA driver (580 or newer for CUDA 13)";
        }
        if (lib.startsWith("libcudart")) {
            return "CUDA 13 runtime not found (" + lib + "): install the CUDA 13 toolkit or pip install nvidia-cuda-runtime" + onPath;
        }
        if (lib.startsWith("libcublas")) {
            return "cuBLAS 13 not found (" + lib + "): install CUDA 13 cuBLAS, e.g. pip install nvidia-cublas or the CUDA toolkit" + onPath;
        }
        if (lib.startsWith("libcudnn")) {
            return "cuDNN 9 not found (" + lib + "), required by the cuda backend for convolutions: install cuDNN 9 for CUDA 13"
                    + " (pip install nvidia-cudnn-cu13, or the CUDA cuDNN package cudnn9-cuda-13)" + onPath;
        }
        if (lib.startsWith("libnvrtc")) {
            return "NVRTC 13 not found (" + lib + "): install CUDA 13 NVRTC, e.g. pip install nvidia-cuda-nvrtc or the CUDA toolkit" + onPath;
        }
        if (lib.startsWith("libcurand")) {
            return "cuRAND not found (" + lib + "): install CUDA 13 cuRAND, e.g. pip install nvidia-curand" + onPath;
        }
        if (lib.startsWith("libnccl")) {
            return "NCCL 2 not found (" + lib + "): install NCCL for CUDA 13, e.g. pip install nvidia-nccl-cu13 or the libnccl2 package" + onPath;
        }
        if (lib.startsWith("libnvJitLink")) {
            return "nvJitLink 13 not found (" + lib + "): install CUDA 13 nvJitLink, e.g. pip install nvidia-nvjitlink" + onPath;
        }
        return "a CUDA library is missing (" + lib + ")" + onPath;
    }
}
