package dev.bottleneck.cli;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.train.Checkpoint;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;

/** Shared by the commands that use a trained model directory. */
abstract class ModelCommandBase {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory written by 'bottleneck train'.")
    Path modelDir;

    @Option(names = "--dataset", paramLabel = "DATA", description = "Data to use (default: the data the model was trained on).")
    String dataset;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder holding the data files.")
    Path dataDir;

    @Option(names = "--split", defaultValue = "test", paramLabel = "train|test", description = "Which split (default: ${DEFAULT-VALUE}).")
    String split;

    @Mixin BackendOptionsMixin backendOptions;

    Log log() {
        return new Log(spec.commandLine().getErr(), false);
    }

    /** Everything a model command works on; close it to free the backend. */
    record Session(Backend backend, Checkpoint.Loaded loaded, PreparedData data) implements AutoCloseable {
        @Override
        public void close() {
            loaded.model().close();
            backend.close();
        }
    }

    Session open(Log log) {
        var config = Checkpoint.readConfig(modelDir);
        PreparedData pd = PreparedData.fromConfig(config, dataset, dataDir);
        Backend be = backendOptions.create(log);
        try {
            return new Session(be, Checkpoint.load(modelDir, be), pd);
        } catch (RuntimeException e) {
            be.close();
            throw e;
        }
    }
}
