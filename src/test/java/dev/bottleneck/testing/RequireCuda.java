package dev.bottleneck.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.util.function.Supplier;

/**
 * The one place where a CUDA test decides to skip. Without a GPU (CI, laptops) a CUDA test skips and prints why;
 * with {@code BOTTLENECK_REQUIRE_CUDA=1} in the environment (set by {@code scripts/gpu-check.sh} on a GPU machine)
 * the same condition fails the test with the probe's reason, so a GPU run can never pass by skipping.
 */
public final class RequireCuda {
    /** The environment variable that turns CUDA skips into failures. */
    public static final String VARIABLE = "BOTTLENECK_REQUIRE_CUDA";

    private RequireCuda() {}

    /** True when {@code BOTTLENECK_REQUIRE_CUDA=1}. */
    public static boolean required() {
        return "1".equals(System.getenv(VARIABLE)) || "1".equals(System.getProperty("bottleneck.requireCuda"));
    }

    /**
     * Continues when {@code available}; otherwise skips the test (printing {@code reason}), or fails it when CUDA is
     * required.
     */
    public static void assume(boolean available, Supplier<String> reason) {
        if (available) return;
        String why = reason.get();
        if (required()) {
            Assertions.fail(VARIABLE + "=1 but CUDA cannot be used: " + why);
        }
        System.out.println("skipped (CUDA): " + why);
        Assumptions.assumeTrue(false, why);
    }
}
