package dev.bottleneck.backend;

import dev.bottleneck.BottleneckException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * Backend selection that never lies: {@code auto} takes the best available backend and says in one line why
 * it passed over the others; naming a backend that cannot load is an error naming what is missing.
 * The request comes from {@code --backend} or, when that is absent, the environment variable
 * {@code BOTTLENECK_BACKEND}.
 */
public final class Backends {
    public static final String ENV = "BOTTLENECK_BACKEND";

    private static volatile List<BackendProvider> providers;
    private static final Map<String, Availability> PROBED = new LinkedHashMap<>();

    private Backends() {}

    public static synchronized List<BackendProvider> providers() {
        if (providers == null) {
            List<BackendProvider> list = new ArrayList<>();
            for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) list.add(p);
            list.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
            providers = List.copyOf(list);
        }
        return providers;
    }

    /** Probes (once per process) and returns the availability of every known backend, best first. */
    public static synchronized Map<String, Availability> probeAll() {
        for (BackendProvider p : providers()) availability(p);
        Map<String, Availability> out = new LinkedHashMap<>();
        for (BackendProvider p : providers()) out.put(p.name(), PROBED.get(p.name()));
        return out;
    }

    private static synchronized Availability availability(BackendProvider p) {
        return PROBED.computeIfAbsent(p.name(), n -> {
            try {
                return p.probe();
            } catch (Throwable t) {
                return Availability.no(p.name() + " probe failed: " + t);
            }
        });
    }

    /** The request from the argument, else from {@code BOTTLENECK_BACKEND}, else {@code auto}. */
    public static String resolveRequest(String requested) {
        if (requested != null && !requested.isBlank()) return requested.trim().toLowerCase(Locale.ROOT);
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) return env.trim().toLowerCase(Locale.ROOT);
        return "auto";
    }

    /**
     * Creates the requested backend.
     *
     * @param requested {@code auto}, {@code cpu}, {@code cuda} or null (then the environment decides)
     * @param log       receives the one-line explanation of the choice
     */
    public static Backend create(String requested, BackendOptions options, Consumer<String> log) {
        String req = resolveRequest(requested);
        if (req.equals("auto")) {
            StringBuilder passed = new StringBuilder();
            for (BackendProvider p : providers()) {
                Availability a = availability(p);
                if (a.available()) {
                    Backend b = p.create(options);
                    String msg = "backend: " + b.name() + " (auto)" + (passed.length() > 0 ? "; " + passed : "")
                            + " — " + b.describe();
                    log.accept(msg);
                    return b;
                }
                if (passed.length() > 0) passed.append("; ");
                passed.append(p.name()).append(" not used: ").append(a.reason());
            }
            throw new BottleneckException("no backend available: " + passed);
        }
        for (BackendProvider p : providers()) {
            if (p.name().equals(req)) {
                Availability a = availability(p);
                if (!a.available()) {
                    throw new BottleneckException("backend '" + req + "' requested but cannot be used: " + a.reason());
                }
                Backend b = p.create(options);
                log.accept("backend: " + b.name() + " — " + b.describe());
                return b;
            }
        }
        List<String> names = new ArrayList<>();
        for (BackendProvider p : providers()) names.add(p.name());
        throw new BottleneckException("unknown backend '" + req + "': expected auto or one of " + names);
    }

    /** Creates a named backend without logging (tests, tools). */
    public static Backend create(String name, BackendOptions options) {
        return create(name, options, s -> { });
    }
}
