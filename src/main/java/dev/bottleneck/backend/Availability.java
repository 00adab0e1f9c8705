package dev.bottleneck.backend;

import java.util.Map;

/**
 * Result of probing a backend once per process.
 *
 * @param available whether {@link BackendProvider#create} can be called
 * @param reason    when not available: one line naming what is missing and how to get it
 * @param details   facts for {@code info}: device name, compute capability, library versions...
 */
public record Availability(boolean available, String reason, Map<String, String> details) {
    public static Availability yes(Map<String, String> details) {
        return new Availability(true, null, Map.copyOf(details));
    }

    public static Availability no(String reason) {
        return new Availability(false, reason, Map.of());
    }

    public static Availability no(String reason, Map<String, String> details) {
        return new Availability(false, reason, Map.copyOf(details));
    }
}
