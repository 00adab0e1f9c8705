package dev.bottleneck.data;

import java.util.List;
import java.util.Map;

/**
 * A training set and a held-out test set with the same sample shape; the names of their classes (null for numeric
 * labels or none; see {@link ClassNames}); and {@code reading}: what config.json's data section must record to read
 * the source the same way again (an image folder's background, a text folder's fitted vocabulary), empty for other
 * data.
 */
public record TrainTest(Dataset train, Dataset test, List<String> classes, Map<String, Object> reading) {
    public TrainTest {
        if (train == null || test == null) throw new IllegalArgumentException("train and test are required");
        if (train.features() != test.features()) {
            throw new IllegalArgumentException("train has " + train.features() + " features per sample, test "
                    + test.features());
        }
        classes = classes == null || classes.isEmpty() ? null : List.copyOf(classes);
        reading = reading == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(reading));
    }

    /** Splits without class names or reading settings. */
    public TrainTest(Dataset train, Dataset test) {
        this(train, test, null, Map.of());
    }

    /** Splits with class names. */
    public TrainTest(Dataset train, Dataset test, List<String> classes) {
        this(train, test, classes, Map.of());
    }

    /** Splits with reading settings. */
    public TrainTest(Dataset train, Dataset test, Map<String, Object> reading) {
        this(train, test, null, reading);
    }
}
