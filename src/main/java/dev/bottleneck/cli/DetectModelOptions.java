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
            description = "Model mode: classes of normal samples, by name or number (e.g. normal, 3 or 0,1); every other class is an "
                    + "anomaly. Default: the classes the model was trained on (train --normal-labels / --exclude-labels), else 0 when "
                    + "the labels are 0/1, else none (no ROC-AUC).")
    List<String> normalLabels;

    @Option(names = "--fpr", paramLabel = "RATE",
            description = "Choose the threshold for this false-positive rate on the validation samples (model mode) or rows "
                    + "(series mode), e.g. 0.05, instead of --threshold (series mode default: 0.01).")
    Double fpr;

    @Option(names = "--split", defaultValue = "test", description = "Model mode: the split to score (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--train-limit", paramLabel = "N",
            description = "Model mode: the --limit the model was trained with, so the validation hold-out is the same.")
    Integer trainLimit;

    @Option(names = "--score", defaultValue = "mse", paramLabel = "mse|sum|per-nonzero",
            description = "Model mode: the score of a sample: mse (reconstruction MSE over its values), sum (summed squared error) or"
                    + " per-nonzero (MSE over the values that are non-zero in the input, for bag-of-words and other sparse vectors)"
                    + " (default: ${DEFAULT-VALUE}).")
    String score;

    @Option(names = "--top", defaultValue = "10",
            description = "Model mode: error maps of this many highest-scoring images (default: ${DEFAULT-VALUE}).")
    int top;
}
