package dev.bottleneck.cli;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.ImageGrid;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.tensor.Tensor;

import java.nio.file.Path;
import java.util.Arrays;

/** Pictures made from a trained model. */
final class Pictures {
    private Pictures() {}

    /** Reconstructions of the first {@code count} samples (inference mode, output probabilities). */
    static float[] reconstruct(Autoencoder model, Dataset data, int count) {
        var be = model.params().backend();
        int d = data.features();
        try (Graph g = Graph.inference(be)) {
            Tensor x = g.temp(count, d);
            be.memory().upload(Arrays.copyOf(data.x(), count * d), 0, x);
            Autoencoder.Forward f = model.forward(g, g.constant(x), g.constant(x), true);
            return be.memory().toFloatArray(f.output().value());
        }
    }

    /**
     * Draws a picture that is a by-product of a command (detect.png, errors.png): on a Java runtime without the
     * java.desktop module (the slim GPU bundle) it says so once and the command carries on without the picture.
     */
    static boolean draw(Path png, Log log, Runnable drawing) {
        try {
            drawing.run();
            return true;
        } catch (LinkageError e) {
            log.info("note: " + png.getFileName() + " not drawn: this Java runtime lacks the java.desktop module (" + e.getMessage() + ")");
            return false;
        }
    }

    /** Originals in the top row, reconstructions below, like the Keras blog figure. */
    static void reconstruction(Autoencoder model, Dataset data, int count, Path out) {
        int[] s = data.sampleShape();
        float[] rec = reconstruct(model, data, count);
        float[] orig = Arrays.copyOf(data.x(), count * data.features());
        ImageGrid.writeComparison(out, orig, rec, count, s[0], s[1], s[2], 3);
    }
}
