package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.Conv2dGeometry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs everywhere (no GPU, no cuDNN needed): the one-line messages for a missing or incomplete cuDNN, and the
 * kernel file list. The GPU behaviour itself is covered by the conformance suite
 * ({@code dev.bottleneck.backend.ConvConformanceTest}, {@code PoolConformanceTest}, {@code NormConformanceTest},
 * {@code RnnConformanceTest}).
 */
class CudnnDiagnosticsTest {
    @Test
    void missingCudnnSaysHowToInstallIt() {
        String r = CudaProbeTest.explainLinkError("no jnicudnn in java.library.path: /usr/lib",
                "/root/.javacpp/cache/x/libjnicudnn.so: libcudnn_cnn.so.9: cannot open shared object file: No such file or directory",
                "cuDNN does not load");
        assertFalse(r.contains("\n"), r);
        assertTrue(r.contains("libcudnn_cnn.so.9"), r);
        assertTrue(r.contains("pip install nvidia-cudnn-cu13"), r);
        assertTrue(r.contains("cudnn9-cuda-13"), r);
        assertTrue(r.contains("LD_LIBRARY_PATH"), r);
        assertTrue(r.contains("required by the cuda backend"), r);
    }

    @Test
    void smokeTestFailureNamesTheSubLibrary() {
        String fromMessage = CudnnSmokeTest.missingCudnnLibraries("cuDNN call cudnnGetConvolutionForwardAlgorithm_v7 failed:"
                + " CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED (1008): libcudnn_engines_precompiled.so.9: cannot open shared object file");
        assertTrue(fromMessage.contains("libcudnn_engines_precompiled.so.9"), fromMessage);
        // nothing named in the message: fall back to the engine libraries JavaCPP did not find (here: none loaded)
        String fallback = CudnnSmokeTest.missingCudnnLibraries("CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED (1008)");
        assertTrue(fallback.isEmpty() || fallback.contains("libcudnn_"), fallback);
        assertTrue(CudaCheck.CUDNN_INSTALL_HINT.contains("nvidia-cudnn-cu13") && CudaCheck.CUDNN_INSTALL_HINT.contains("LD_LIBRARY_PATH"));
    }

    @Test
    void upsampleKernelsArePartOfTheLibrary() {
        assertTrue(KernelLibrary.FILES.contains("upsample.cu"));
        String src = KernelLibrary.readSource("upsample.cu");
        for (String k : new String[] {"up_nearest_forward", "up_nearest_backward", "up_bilinear_forward", "up_bilinear_backward"}) {
            assertTrue(src.contains("extern \"C\" __global__ void " + k + "("), k);
        }
    }

    @Test
    void geometryRecordsAreUsableAsCacheKeys() {
        Conv2dGeometry a = new Conv2dGeometry(2, 3, 9, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1);
        Conv2dGeometry b = new Conv2dGeometry(2, 3, 9, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1);
        assertTrue(a.equals(b) && a.hashCode() == b.hashCode());
    }
}
