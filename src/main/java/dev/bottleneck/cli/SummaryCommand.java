package dev.bottleneck.cli;

import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "summary", mixinStandardHelpOptions = true,
        description = {"Print a model's layers with their output shapes and parameter counts (like Keras model.summary()).",
                "Examples: bottleneck summary w3    bottleneck summary 784-128-64-32    bottleneck summary runs/w1"})
final class SummaryCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "A preset, a dense spec, a .json/.yaml spec file, or a model directory.")
    String model;

    @Override
    @SuppressWarnings("unchecked")
    public Integer call() {
        ModelSpec ms;
        Path p = Path.of(model);
        if (Files.isDirectory(p)) {
            Map<String, Object> config = Checkpoint.readConfig(p);
            ms = ModelSpec.fromMap((Map<String, Object>) config.get("model"), p.resolve(Checkpoint.CONFIG).toString());
        } else {
            ms = ModelSpec.parse(model, 0);
        }
        spec.commandLine().getOut().print(new Autoencoder(ms).summary());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
