package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.shard.StreamedModelOps;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate a trained model's reconstruction loss on a data split.", "Example: bottleneck eval runs/w1 --json"})
final class EvalCommand extends ModelCommandBase implements Callable<Integer> {
    @Range(min = 1)
    @Option(names = {"-b", "--batch"}, defaultValue = "1000", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Mixin JsonOption jsonOption;

    @picocli.CommandLine.Mixin StreamOptionsMixin streamOptions;

    @Override
    public Integer call() {
        Log log = log();
        try (DataSession s = openData(log, streamOptions)) {
            Autoencoder m = s.loaded().model();
            int n = s.streamed() != null ? s.streamed().split(split).size() : s.data().split(split).n();
            if (n == 0) throw new BottleneckException("the " + split + " split of " + s.source() + " is empty; nothing to evaluate");
            long t0 = System.nanoTime();
            // streamed data is read batch by batch with the same arithmetic, so both give the same loss
            Trainer.Evaluation ev = s.streamed() != null ? StreamedModelOps.evaluate(m, s.streamed().split(split), batch, streamOptions.loading())
                    : Trainer.evaluate(m, s.data().split(split), batch);
            double sec = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("backend", s.backend().name());
            res.put("model", m.spec().name());
            res.put("data", s.source());
            res.put("split", split);
            Object training = s.loaded().config().get("training");
            res.put("epochs", stateEpochs());
            res.put("train_loss", lastTrainLoss());
            boolean vae = m.spec().variational() != null;   // a VAE's test loss is its negative ELBO: reconstruction + KL
            double testLoss = vae ? ev.loss() : ev.reconstruction();
            if (!Double.isFinite(testLoss) || !Double.isFinite(ev.loss())) {
                throw new BottleneckException(modelDir + ": the loss on " + s.source() + "/" + split + " is " + testLoss
                        + " (not a finite number); the model or the data hold NaN or infinite values — check the data, or train"
                        + " the model again");
            }
            res.put("test_loss", testLoss);
            res.put("objective", ev.loss());
            if (vae) {
                res.put("test_reconstruction", ev.reconstruction());
                res.put("test_kl", ev.kl());
            }
            res.put("loss", vae ? VaeText.lossName(m.spec())
                    : m.spec().loss().specName() + " (" + m.spec().reduction().name().toLowerCase(Locale.ROOT) + ")");
            res.put("samples", ev.samples());
            res.put("samples_per_s", Math.round(ev.samples() / sec));
            res.put("model_dir", modelDir.toString());
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                    "%s on %s/%s: loss %.5f (%s) over %d samples", m.spec().name(), s.source(), split,
                    testLoss, res.get("loss"), ev.samples()));
            return training == null ? 0 : 0;
        }
    }

    private Object stateEpochs() {
        try {
            return dev.bottleneck.train.Checkpoint.readState(modelDir).epochsDone();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private Object lastTrainLoss() {
        try {
            var h = dev.bottleneck.train.Checkpoint.readState(modelDir).history();
            return h.isEmpty() ? null : h.get(h.size() - 1).trainLoss();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
