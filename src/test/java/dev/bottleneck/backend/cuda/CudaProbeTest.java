package dev.bottleneck.backend.cuda;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Availability;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.BackendProvider;
import dev.bottleneck.backend.Backends;
import dev.bottleneck.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs everywhere: on a machine without an NVIDIA driver or CUDA libraries the probe must say so in one line
 * naming what is missing, without crashing the JVM; on a GPU machine it must report the device and versions.
 */
class CudaProbeTest {
    @Test
    void probeEitherFindsAGpuOrNamesWhatIsMissing() {
        Availability a = new CudaBackendProvider().probe();
        assertNotNull(a);
        System.out.println("[cuda probe] available=" + a.available() + " reason=" + a.reason() + " details=" + a.details());
        if (a.available()) {
            Map<String, String> d = a.details();
            for (String key : new String[] {"gpu", "compute capability", "memory", "driver version", "runtime version",
                    "cuBLAS version", "cuDNN version", "NVRTC version", "NCCL version", "libraries"}) {
                assertTrue(d.containsKey(key), "details lack " + key + ": " + d);
            }
        } else {
            String reason = a.reason();
            assertNotNull(reason);
            assertFalse(reason.isBlank(), "empty reason");
            assertFalse(reason.contains("\n"), "reason must be one line: " + reason);
            assertFalse(reason.startsWith("no jni"), "the misleading top-level message leaked: " + reason);
            assertTrue(reason.matches("(?s).*(lib[A-Za-z0-9_]+\\.so|driver|GPU|compute capability).*"),
                    "reason names neither a library nor the driver/GPU: " + reason);
        }
    }

    @Test
    void probeRunsOncePerProcess() {
        assertSame(CudaProbe.get(), CudaProbe.get());
        assertSame(new CudaBackendProvider().probe(), new CudaBackendProvider().probe());
    }

    @Test
    void providerIsRegisteredAndPreferred() {
        BackendProvider cuda = null;
        for (BackendProvider p : Backends.providers()) if (p.name().equals("cuda")) cuda = p;
        assertNotNull(cuda, "META-INF/services lacks the cuda provider");
        assertEquals(100, cuda.priority());
        assertTrue(Backends.probeAll().containsKey("cuda"));
    }

    @Test
    void f64IsRefusedWithAClearMessage() {
        BottleneckException e = assertThrows(BottleneckException.class,
                () -> new CudaBackendProvider().create(BackendOptions.defaults().withDtype(DType.F64)));
        assertTrue(e.getMessage().contains("F32"), e.getMessage());
    }

    @Test
    void creatingWithoutAGpuIsAnErrorNotAFallback() {
        if (CudaProbe.get().available()) return;
        BottleneckException e = assertThrows(BottleneckException.class,
                () -> new CudaBackendProvider().create(BackendOptions.defaults()));
        assertTrue(e.getMessage().contains(CudaProbe.get().availability().reason()), e.getMessage());
        BottleneckException viaBackends = assertThrows(BottleneckException.class,
                () -> Backends.create("cuda", BackendOptions.defaults()));
        assertTrue(viaBackends.getMessage().contains("cuda"), viaBackends.getMessage());
    }

    /** The dlopen reason hides in the cause chain of a misleading "no jniX in java.library.path" error. */
    @Test
    void explainsLoadErrorsFromTheCauseChain() {
        String r = explainLinkError("no jnicudart in java.library.path: /usr/lib",
                "/root/.javacpp/cache/x/libjnicudart.so: libcuda.so.1: cannot open shared object file: No such file or directory",
                "CUDA runtime does not load");
        assertTrue(r.startsWith("no NVIDIA driver (libcuda.so.1 not found): install the NVIDIA driver"), r);

        r = explainLinkError("no jnicublas in java.library.path",
                "libjnicublas.so: libcublas.so.13: cannot open shared object file: No such file or directory", "cuBLAS does not load");
        assertTrue(r.contains("install CUDA 13 cuBLAS, e.g. pip install nvidia-cublas"), r);
        assertTrue(r.contains("LD_LIBRARY_PATH"), r);

        NoClassDefFoundError later = new NoClassDefFoundError("Could not initialize class org.bytedeco.cuda.global.cudnn");
        later.initCause(new ExceptionInInitializerError("Exception java.lang.UnsatisfiedLinkError: libcudnn_ops.so.9: cannot open shared object file"));
        r = CudaProbe.explain(later, "cuDNN does not load");
        assertTrue(r.contains("cuDNN 9 not found (libcudnn_ops.so.9)"), r);

        r = CudaProbe.explain(new UnsatisfiedLinkError("something odd"), "NVRTC does not load");
        assertTrue(r.startsWith("NVRTC does not load: UnsatisfiedLinkError: something odd"), r);
    }

    /** CudaProbe's one line for a JavaCPP load error {@code outer} whose cause is the dlopen failure {@code cause}. */
    static String explainLinkError(String outer, String cause, String context) {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError(outer);
        e.initCause(new UnsatisfiedLinkError(cause));
        return CudaProbe.explain(e, context);
    }
}
