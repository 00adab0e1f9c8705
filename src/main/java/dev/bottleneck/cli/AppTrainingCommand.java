package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.train.Checkpoint;
import dev.bottleneck.train.Resume;
import dev.bottleneck.train.TrainOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The commands that train an application model on the open training loop and write a model directory with
 * checkpoints ({@code segment}, {@code upscale}, {@code autorec}): their shared options (output directory, loop,
 * step, seed, JSON, backend, long-job options; defaults per command in {@link CommandDefaults}) and the start of
 * every run: the output directory is checked, a required checkpoint looked for and the directory locked before
 * {@link #train(Log)} runs.
 */
abstract class AppTrainingCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Model directory to write (weights, config, checkpoints, pictures).")
    Path out;

    @Mixin LoopOptions loop;

    @Mixin StepOptions step;

    @Mixin SeedOption seedOption;

    @Mixin JsonOption jsonOption;

    @Mixin BackendOptionsMixin backendOptions;

    @Mixin JobOptions job;

    @Override
    public final Integer call() {
        Log log = job.log(spec.commandLine().getErr());
        return job.run(log, null, () -> {
            if (Files.exists(out) && !Files.isDirectory(out)) throw new BottleneckException("--out " + out + " exists and is not a directory");
            if (job.resumeMode() == Resume.Mode.ALWAYS) Checkpoint.requireResumable(out);
            job.hold(out, log);
            return train(log);
        });
    }

    /** The command's work, once {@code --out} is held. */
    abstract Integer train(Log log);

    /** The loop's options for the application's trainer, with {@code config} as the checkpoints' config.json. */
    final TrainOptions trainOptions(Log log, Map<String, Object> config) {
        return job.apply(TrainOptions.defaults().validation(loop.validation).outDir(out).progress(job.progress(loop.progress))
                .log(log::info).config(config), log);
    }

    /** Records epochs, batch, lr, seed and (when used) the validation fraction in a config section. */
    final void putLoopSettings(Map<String, Object> section) {
        section.put("epochs", loop.epochs);
        section.put("batch", step.batch);
        section.put("lr", step.lr);
        section.put("seed", seedOption.seed);
        if (loop.validation > 0) section.put("validation", loop.validation);
    }

    /** Creates {@code --out}. */
    final void createOut() {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new BottleneckException("cannot create " + out + ": " + e.getMessage());
        }
    }

    /** The last value of a per-epoch series. */
    static double last(double[] perEpoch) {
        return perEpoch[perEpoch.length - 1];
    }

    /** Prints the result: a JSON object with --json, else the summary line. */
    final void print(Map<String, Object> result, String summary) {
        PrintResult.print(spec.commandLine().getOut(), result, jsonOption.on, summary);
    }
}
