package dev.bottleneck.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/**
 * The options of {@code detect MODEL_DIR} (images and table rows scored by a trained autoencoder), mixed into
 * {@link DetectCommand}: with a model directory the command runs {@link ModelDetect}, without one the time-series mode.
 */
final class DetectModelOptions {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL_DIR",
            description = "A model directory written by 'bottleneck train' (image / table mode). Without it: time-series mode (--data).")
    Path modelDir;

    @Option(names = "--normal-labels", split = ",", paramLabel = "L",
            description = "Model mode: labels of normal samples (e.g. 3 or 0,1); every other label is an anomaly. "
                    + "Default: 0 when the labels are 0/1, else none (no ROC-AUC).")
    List<Integer> normalLabels;

    @Option(names = "--fpr", paramLabel = "RATE",
            description = "Choose the threshold for this false-positive rate on the validation samples (model mode) or rows "
                    + "(series mode), e.g. 0.05, instead of --threshold (series mode default: 0.01).")
    Double fpr;

    @Option(names = "--split", defaultValue = "test", description = "Model mode: the split to score (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--train-limit", paramLabel = "N",
            description = "Model mode: the --limit the model was trained with, so the validation hold-out is the same.")
    Integer trainLimit;

    @Option(names = "--top", defaultValue = "10",
            description = "Model mode: error maps of this many highest-scoring images (default: ${DEFAULT-VALUE}).")
    int top;
}
