package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Conv2dGeometry;
import dev.bottleneck.backend.Pool2dGeometry;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.javacpp.Loader;

import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The check the CUDA backend runs once when it is created: a tiny convolution through cuDNN (and a max pool
 * through our kernels), so that an incomplete cuDNN installation is reported at start-up, naming the missing
 * library, instead of in the middle of training.
 */
final class CudnnSmokeTest {
    private CudnnSmokeTest() {}

    private static final List<String> CUDNN_ENGINE_LIBS = List.of("libcudnn_engines_precompiled.so.9",
            "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9", "libcudnn_ext.so.9");
    private static final Pattern SO_NAME = Pattern.compile("lib[A-Za-z0-9_]+\\.so(?:\\.[0-9]+)*");

    /**
     * Runs one tiny convolution (forward, backward-data, backward-filter) and a max pool and checks the numbers.
     * cuDNN loads its engine libraries only at the first use, so an incomplete installation otherwise fails in
     * the middle of training with CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED (docs/CUDA.md §17, P7); here it becomes
     * an error at backend creation that names the missing library.
     */
    static void run(CudaBackend be, String cudnnVersion) {
        Tensor x = null, w = null, y = null, dx = null, dw = null, p = null;
        try {
            // x = ones [1, 1, 4, 4], w = ones [1, 1, 3, 3], padding 1: y corners 4, edges 6, centre 9
            Conv2dGeometry g = new Conv2dGeometry(1, 1, 4, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1);
            x = be.memory().allocate(g.inputShape());
            w = be.memory().allocate(g.weightShape());
            y = be.memory().allocate(g.outputShape());
            dx = be.memory().allocate(g.inputShape());
            dw = be.memory().allocate(g.weightShape());
            p = be.memory().allocate(1, 1, 2, 2);
            be.memory().fill(x, 1.0);
            be.memory().fill(w, 1.0);
            be.conv().forward(g, x, w, null, y);
            be.conv().backwardData(g, y, w, dx, false);
            be.conv().backwardFilter(g, x, y, dw, false);
            be.pool().maxForward(new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, true), y, p);
            float[] out = be.memory().toFloatArray(y);   // waits for the stream: asynchronous failures surface here
            float[] pooled = be.memory().toFloatArray(p);
            if (out[0] != 4f || out[1] != 6f || out[5] != 9f || pooled[0] != 9f) {
                throw new BottleneckException("cuDNN smoke test computed wrong values (y[0]=" + out[0] + ", y[1]=" + out[1]
                        + ", y[5]=" + out[5] + ", maxpool=" + pooled[0] + "; expected 4, 6, 9, 9)");
            }
            be.synchronize();
        } catch (BottleneckException e) {
            throw new BottleneckException("cuDNN " + cudnnVersion + " loads but cannot run a convolution"
                    + missingCudnnLibraries(e.getMessage()) + ": " + e.getMessage(), e);
        } finally {
            for (Tensor t : new Tensor[] {x, w, y, dx, dw, p}) {
                if (t != null) be.memory().release(t);
            }
        }
    }

    /** " (missing: libX.so.9)" from the failure text, else the engine libraries JavaCPP could not find either. */
    static String missingCudnnLibraries(String message) {
        Matcher m = SO_NAME.matcher(message == null ? "" : message);
        StringJoiner named = new StringJoiner(", ");
        while (m.find()) named.add(m.group());
        if (named.length() > 0) return " (missing or unusable: " + named + ")";
        StringJoiner notFound = new StringJoiner(", ");
        try {
            Map<String, String> loaded = Loader.getLoadedLibraries();
            for (String lib : CUDNN_ENGINE_LIBS) {
                String stem = lib.substring(3, lib.indexOf(".so"));
                boolean found = false;
                for (Map.Entry<String, String> e : loaded.entrySet()) {
                    if (e.getKey().contains(stem) || (e.getValue() != null && e.getValue().contains(stem))) found = true;
                }
                if (!found) notFound.add(lib);
            }
        } catch (Throwable t) {
            return "";
        }
        return notFound.length() == 0 ? "" : " (not found by JavaCPP's loader either: " + notFound + ")";
    }
}
