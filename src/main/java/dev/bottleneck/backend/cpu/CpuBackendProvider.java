package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.Availability;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.BackendProvider;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.util.LinkedHashMap;
import java.util.Map;

/** Makes the CPU backend; it is available wherever OpenBLAS's native library loads. */
public final class CpuBackendProvider implements BackendProvider {
    @Override public String name() { return "cpu"; }
    @Override public int priority() { return 0; }

    @Override
    public Availability probe() {
        try {
            org.bytedeco.javacpp.Loader.load(openblas_nolapack.class);
            Map<String, String> d = new LinkedHashMap<>();
            d.put("openblas", openblas_nolapack.OPENBLAS_VERSION.trim());
            d.put("processors", String.valueOf(Runtime.getRuntime().availableProcessors()));
            String core = System.getenv("OPENBLAS_CORETYPE");
            d.put("OPENBLAS_CORETYPE", core == null ? "(unset)" : core);
            String l2 = System.getenv("OPENBLAS_L2_SIZE");
            d.put("OPENBLAS_L2_SIZE", l2 == null ? "(unset)" : l2);
            return Availability.yes(d);
        } catch (Throwable t) {
            Throwable c = t;
            while (c.getCause() != null) c = c.getCause();
            return Availability.no("OpenBLAS native library did not load (" + c.getMessage()
                    + "): the org.bytedeco:openblas linux-x86_64 jar must be on the class path");
        }
    }

    @Override
    public Backend create(BackendOptions options) {
        return new CpuBackend(options);
    }
}
