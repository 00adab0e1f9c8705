package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.io.ImageGrid;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.VariationalSpec;
import dev.bottleneck.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "latent-map", mixinStandardHelpOptions = true,
        description = {"For a variational autoencoder with a 2-D latent space: decode a regular grid of codes over",
                "[-R, R]^2 into one PNG (z1 grows to the right, z2 upwards), like the Keras blog's 2-D manifold figure.",
                "Example: bottleneck latent-map runs/vae2 --out map.png --grid 20"})
final class LatentMapCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory with a variational model whose latent size is 2.")
    Path modelDir;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.png", description = "PNG file to write.")
    Path out;

    @Range(min = 2)
    @Option(names = "--grid", defaultValue = "20", description = "Images per side (default: ${DEFAULT-VALUE}).")
    int grid;

    @Range(min = 0, minExclusive = true)
    @Option(names = "--range", defaultValue = "3", paramLabel = "R", description = "Codes span [-R, R] in each direction (default: ${DEFAULT-VALUE}).")
    double range;

    @Range(min = 1)
    @Option(names = "--scale", defaultValue = "1", description = "Pixels per image pixel (default: ${DEFAULT-VALUE}).")
    int scale;

    @Mixin BackendOptionsMixin backendOptions;

    @Override
    public Integer call() {
        if (grid < 2) throw new BottleneckException("--grid must be at least 2, got " + grid);
        if (!(range > 0) || Double.isInfinite(range)) throw new BottleneckException("--range must be a positive number, got " + range);
        if (scale < 1) throw new BottleneckException("--scale must be at least 1, got " + scale);
        Log log = new Log(spec.commandLine().getErr(), false);
        var config = Checkpoint.readConfig(modelDir);
        try (Backend be = backendOptions.create(log)) {
            Autoencoder m = Checkpoint.load(modelDir, be).model();
            try {
                VariationalSpec v = Generative.requireVariational(m, modelDir, "latent-map");
                if (v.latent() != 2) {
                    throw new BottleneckException("latent-map draws a 2-D latent space, but the model in " + modelDir + " has "
                            + v.latent() + " latent dimensions; use 'sample' or 'interpolate' instead");
                }
                int[] shape = Generative.imageShape(config, m, modelDir);
                float[] z = codes(grid, range);
                float[] x = Generative.decode(m, z, grid * grid);
                ImageGrid.writeTiles(out, x, grid * grid, grid, shape[0], shape[1], shape[2], scale, 0.0, 1.0);
            } finally {
                m.close();
            }
        }
        spec.commandLine().getOut().println(String.format(Locale.ROOT, "wrote a %dx%d map of the latent square [-%s, %s]^2 to %s",
                grid, grid, fmt(range), fmt(range), out));
        return 0;
    }

    /** Row r, column c of the picture gets z = (x_c, y_r): x from -R to R left to right, y from R to -R top to bottom. */
    static float[] codes(int grid, double range) {
        float[] z = new float[grid * grid * 2];
        for (int r = 0; r < grid; r++) {
            for (int c = 0; c < grid; c++) {
                int i = r * grid + c;
                z[2 * i] = (float) (-range + 2 * range * c / (grid - 1));
                z[2 * i + 1] = (float) (range - 2 * range * r / (grid - 1));
            }
        }
        return z;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
