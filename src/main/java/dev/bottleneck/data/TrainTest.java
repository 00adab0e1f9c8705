package dev.bottleneck.data;

/** A training set and a held-out test set with the same sample shape. */
public record TrainTest(Dataset train, Dataset test) {
    public TrainTest {
        if (train == null || test == null) throw new IllegalArgumentException("train and test are required");
        if (train.features() != test.features()) {
            throw new IllegalArgumentException("train has " + train.features() + " features per sample, test "
                    + test.features());
        }
    }
}
