package dev.bottleneck.cli;

import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.UsageException;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.model.Presets;
import dev.bottleneck.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "summary", mixinStandardHelpOptions = true,
        description = {"Print a model's layers with their output shapes and parameter counts (like Keras model.summary()).",
                "Examples: bottleneck summary w3    bottleneck summary keras-conv --input 3x64x64    bottleneck summary 784-128-64-32"
                        + "    bottleneck summary runs/w1"})
final class SummaryCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "A preset, a dense spec, a .json/.yaml spec file, or a model directory.")
    String model;

    @Option(names = "--input", paramLabel = "CxHxW",
            description = "The data's sample shape, e.g. 3x64x64 for colour images of 64x64 (or 784 for rows): a convolutional preset is fitted to"
                    + " it, a spec file's input is replaced by it, so its layers are checked on that size.")
    String input;

    @Override
    @SuppressWarnings("unchecked")
    public Integer call() {
        ModelSpec ms;
        Path p = Path.of(model);
        if (Files.isDirectory(p)) {
            Map<String, Object> config = Checkpoint.readConfig(p);
            ms = ModelSpec.fromMap((Map<String, Object>) config.get("model"), p.resolve(Checkpoint.CONFIG).toString());
        } else if (input != null) {
            int[] shape = parseShape(input);
            ms = ModelSpec.parse(model, shape);
            if (!Presets.exists(model)) ms = ms.withInput(shape);
        } else {
            ms = ModelSpec.parse(model, 0);
        }
        spec.commandLine().getOut().print(new Autoencoder(ms).summary());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** {@code 3x64x64} or {@code 784}: positive sizes joined by 'x'. */
    static int[] parseShape(String text) {
        String[] p = text.trim().toLowerCase(java.util.Locale.ROOT).split("x", -1);
        if (p.length != 1 && p.length != 3) throw new UsageException("--input '" + text + "': expected CxHxW (such as 3x64x64) or a number of values");
        int[] shape = new int[p.length];
        try {
            for (int i = 0; i < p.length; i++) {
                shape[i] = Integer.parseInt(p[i].trim());
                if (shape[i] < 1) throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new UsageException("--input '" + text + "': expected CxHxW (such as 3x64x64) or a number of values, each a positive whole number");
        }
        return shape;
    }
}
