package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.CounterRng;
import dev.bottleneck.io.ImageGrid;
import dev.bottleneck.model.Autoencoder;
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

@Command(name = "sample", defaultValueProvider = CommandDefaults.class, mixinStandardHelpOptions = true,
        description = {"Draw codes z ~ N(0, I) and decode them with a variational autoencoder into a PNG grid.",
                "Example: bottleneck sample runs/w4 --out samples.png --count 64 --seed 1"})
final class SampleCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory written by 'bottleneck train' with a variational model (e.g. --model w4).")
    Path modelDir;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.png", description = "PNG file to write.")
    Path out;

    @Range(min = 1)
    @Option(names = {"-n", "--count"}, defaultValue = "64", description = "Number of samples (default: ${DEFAULT-VALUE}).")
    int count;

    @Range(min = 1)
    @Option(names = "--columns", description = "Images per row (default: the square root of --count, rounded up).")
    Integer columns;

    @Mixin SeedOption seedOption;

    @Range(min = 1)
    @Option(names = "--scale", defaultValue = "2", description = "Pixels per image pixel (default: ${DEFAULT-VALUE}).")
    int scale;

    @Mixin BackendOptionsMixin backendOptions;

    @Override
    public Integer call() {
        if (count < 1) throw new BottleneckException("--count must be at least 1, got " + count);
        if (scale < 1) throw new BottleneckException("--scale must be at least 1, got " + scale);
        if (columns != null && columns < 1) throw new BottleneckException("--columns must be at least 1, got " + columns);
        Log log = new Log(spec.commandLine().getErr(), false);
        var config = Checkpoint.readConfig(modelDir);
        try (Backend be = backendOptions.create(log)) {
            Autoencoder m = Checkpoint.load(modelDir, be).model();
            try {
                Generative.requireVariational(m, modelDir, "sample");
                int[] shape = Generative.imageShape(config, m, modelDir);
                int c = m.codeFeatures();
                float[] z = new float[count * c];
                for (int i = 0; i < z.length; i++) z[i] = (float) CounterRng.normal(seedOption.seed, i);
                float[] x = Generative.decode(m, z, count);
                int cols = columns != null ? columns : (int) Math.ceil(Math.sqrt(count));
                ImageGrid.writeTiles(out, x, count, cols, shape[0], shape[1], shape[2], scale, 0.0, 1.0);
            } finally {
                m.close();
            }
        }
        spec.commandLine().getOut().println(String.format(Locale.ROOT, "wrote %d samples to %s", count, out));
        return 0;
    }
}
