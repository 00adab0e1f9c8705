package dev.bottleneck.data;

import java.util.List;

/**
 * A training set and a held-out test set with the same sample shape, and the names of their classes (null for
 * numeric labels or none; see {@link ClassNames}).
 */
public record TrainTest(Dataset train, Dataset test, List<String> classes) {
    public TrainTest {
        if (train == null || test == null) throw new IllegalArgumentException("train and test are required");
        if (train.features() != test.features()) {
            throw new IllegalArgumentException("train has " + train.features() + " features per sample, test "
                    + test.features());
        }
        classes = classes == null || classes.isEmpty() ? null : List.copyOf(classes);
    }

    /** Splits without class names. */
    public TrainTest(Dataset train, Dataset test) {
        this(train, test, null);
    }
}
