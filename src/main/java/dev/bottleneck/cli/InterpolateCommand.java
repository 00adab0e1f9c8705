package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.ImageGrid;
import dev.bottleneck.model.Autoencoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "interpolate", mixinStandardHelpOptions = true,
        description = {"Decode a straight line between the codes of two images (their means for a variational autoencoder)",
                "into one PNG strip, with the two original images at the ends.",
                "Example: bottleneck interpolate runs/w4 --from 0 --to 1 --steps 10 --out strip.png"})
final class InterpolateCommand extends ModelCommandBase implements Callable<Integer> {
    @Range(min = 0)
    @Option(names = "--from", required = true, paramLabel = "I", description = "Index of the first image in the split.")
    int from;

    @Range(min = 0)
    @Option(names = "--to", required = true, paramLabel = "J", description = "Index of the second image in the split.")
    int to;

    @Range(min = 2)
    @Option(names = "--steps", defaultValue = "10", description = "Decoded images from code I to code J, both included (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.png", description = "PNG file to write.")
    Path out;

    @Range(min = 1)
    @Option(names = "--scale", defaultValue = "3", description = "Pixels per image pixel (default: ${DEFAULT-VALUE}).")
    int scale;

    @Override
    public Integer call() {
        if (steps < 2) throw new BottleneckException("--steps must be at least 2 (the two end points), got " + steps);
        if (scale < 1) throw new BottleneckException("--scale must be at least 1, got " + scale);
        Log log = log();
        try (Session s = open(log)) {
            Autoencoder m = s.loaded().model();
            Dataset d = s.data().split(split);
            for (int i : new int[] {from, to}) {
                if (i < 0 || i >= d.n()) {
                    throw new BottleneckException("image index " + i + " is outside the " + split + " split (0 to " + (d.n() - 1) + ")");
                }
            }
            int[] shape = Generative.imageShape(s.loaded().config(), m, modelDir);
            int f = d.features(), c = m.codeFeatures();
            float[] pair = new float[2 * f];
            System.arraycopy(d.row(from), 0, pair, 0, f);
            System.arraycopy(d.row(to), 0, pair, f, f);
            float[] codes = Generative.encode(m, pair, 2);
            float[] z = new float[steps * c];
            for (int k = 0; k < steps; k++) {
                double t = k / (double) (steps - 1);
                for (int j = 0; j < c; j++) z[k * c + j] = (float) ((1 - t) * codes[j] + t * codes[c + j]);
            }
            float[] x = Generative.decode(m, z, steps);
            float[][] row = new float[steps + 2][];
            row[0] = Arrays.copyOfRange(pair, 0, f);
            for (int k = 0; k < steps; k++) row[k + 1] = Arrays.copyOfRange(x, k * f, (k + 1) * f);
            row[steps + 1] = Arrays.copyOfRange(pair, f, 2 * f);
            List<float[][]> rows = new ArrayList<>();
            rows.add(row);
            ImageGrid.writeRows(out, rows, shape[0], shape[1], shape[2], scale, 0.0, 1.0);
            spec.commandLine().getOut().println(String.format(Locale.ROOT,
                    "wrote %s image %d, %d decoded steps and image %d to %s", split, from, steps, to, out));
            return 0;
        }
    }
}
