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

    @Mixin DataFolderOption dataFolder;

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

    /**
     * The data of a {@link #openData} session: streamed from disk (a shard directory, or an image folder with
     * --stream), or loaded into memory as {@link #open} loads it.
     */
    record DataSession(Backend backend, Checkpoint.Loaded loaded, PreparedData data, StreamedData streamed) implements AutoCloseable {
        String source() {
            return streamed != null ? streamed.source() : data.source();
        }

        /** The split as samples (a view of the in-memory split when the data is not streamed). */
        dev.bottleneck.data.shard.Samples samples(String which) {
            return streamed != null ? streamed.split(which) : dev.bottleneck.data.shard.Samples.of(data.split(which));
        }

        @Override
        public void close() {
            try {
                loaded.model().close();
                backend.close();
            } finally {
                if (streamed != null) streamed.close();
            }
        }
    }

    /** As {@link #open}, but data that is streamed stays on disk. */
    DataSession openData(Log log, StreamOptionsMixin stream) {
        var config = Checkpoint.readConfig(modelDir);
        StreamedData sd = StreamedData.fromConfig(config, dataset, dataFolder.dir, stream == null ? StreamOptionsMixin.defaults() : stream, log);
        PreparedData pd = null;
        Backend be = null;
        try {
            if (sd == null) pd = PreparedData.fromConfig(config, dataset, dataFolder.dir);
            be = backendOptions.create(log);
            return new DataSession(be, Checkpoint.load(modelDir, be), pd, sd);
        } catch (RuntimeException e) {
            if (be != null) be.close();
            if (sd != null) sd.close();
            throw e;
        }
    }

    Session open(Log log) {
        var config = Checkpoint.readConfig(modelDir);
        PreparedData pd = PreparedData.fromConfig(config, dataset, dataFolder.dir);
        Backend be = backendOptions.create(log);
        try {
            return new Session(be, Checkpoint.load(modelDir, be), pd);
        } catch (RuntimeException e) {
            be.close();
            throw e;
        }
    }
}
