package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.ConvTaskConfig;
import dev.bottleneck.apps.SuperResolution;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.io.ImageGrid;
import dev.bottleneck.train.Checkpoint;
import dev.bottleneck.train.TrainOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

@Command(name = "upscale", mixinStandardHelpOptions = true, defaultValueProvider = CommandDefaults.class, sortOptions = false,
        description = {"Train a 2x super-resolution model and compare it with bicubic and bilinear up-sampling on the test split.",
                "Pairs are made from real single-channel images: the input is the image 2x2-average-pooled, then bilinearly "
                        + "up-sampled back; a small convolutional encoder-decoder predicts the residual to the original. "
                        + "Reports the mean per-image PSNR (dB, pixel range [0, 1]) of the model, bicubic and bilinear.",
                "Writes OUT/model.safetensors, OUT/config.json and OUT/upscale.png (rows: low-res, bicubic, model, original); "
                        + "after every epoch also a checkpoint (optimizer.safetensors, trainer.json, metrics.csv, loss.png) "
                        + "that --resume continues.",
                "Example:",
                "  bottleneck upscale mnist --train 5000 --epochs 3 --out runs/upscale"})
final class UpscaleCommand extends AppTrainingCommand {
    static final String PICTURE = "upscale.png";

    @Parameters(index = "0", paramLabel = "DATA", description = "mnist, fashion-mnist, or a folder with the four IDX files.")
    String data;

    @Mixin ImageTaskOptions images;

    @Override
    Integer train(Log log) {
        ConvTaskConfig cfg = new ConvTaskConfig(images.channels, loop.epochs, step.batch, step.lr, seedOption.seed);
        TrainTest tt = DataSources.resolve(data, images.dataFolder.dir, null, seedOption.seed);
        Dataset train = tt.train().head(Math.min(images.train, tt.train().n()), tt.train().name());
        Dataset test = tt.test().head(Math.min(images.test, tt.test().n()), tt.test().name());
        int[] s = train.sampleShape();
        if (s.length != 3 || s[0] != 1 || s[1] % 2 != 0 || s[2] % 2 != 0) {
            throw new BottleneckException("upscale needs single-channel images of even size, but " + data + " has samples of shape " + Arrays.toString(s));
        }
        log.info(String.format(Locale.ROOT, "%s: %d training and %d test images of %dx%d", data, train.n(), test.n(), s[1], s[2]));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("kind", "super_resolution");
        config.put("model", SuperResolution.spec(s[1], s[2], images.channels).toMap());
        Map<String, Object> sr = new LinkedHashMap<>();
        sr.put("scale", 2);
        sr.put("degradation", "avg_pool 2x2, then bilinear up-sampling (align_corners=False); output = clamp(input + net(input), 0, 1)");
        sr.put("channels", images.channels);
        putLoopSettings(sr);
        config.put("super_resolution", sr);
        TrainOptions opts = trainOptions(log, config);
        try (Backend be = backendOptions.create(log)) {
            SuperResolution.Trained t = SuperResolution.train(be, train, cfg, opts);
            try (var model = t.model()) {
                SuperResolution.Evaluation ev = SuperResolution.evaluate(model, test);
                createOut();
                int h = s[1], w = s[2], d = h * w, shown = Math.min(images.count, test.n());
                float[] lowShown = SuperResolution.nearest(Arrays.copyOf(ev.low(), shown * d / 4), shown, h / 2, w / 2);
                List<float[][]> rows = new ArrayList<>();
                rows.add(slice(lowShown, shown, d));
                rows.add(slice(ev.bicubic(), shown, d));
                rows.add(slice(ev.model(), shown, d));
                rows.add(slice(test.x(), shown, d));
                Path pic = out.resolve(PICTURE);
                ImageGrid.writeRows(pic, rows, 1, h, w, 3, 0.0, 1.0);

                Map<String, Object> res = new LinkedHashMap<>();
                res.put("data", data);
                res.put("train_images", train.n());
                res.put("test_images", test.n());
                res.put("psnr_model", ev.psnrModel());
                res.put("psnr_bicubic", ev.psnrBicubic());
                res.put("psnr_bilinear", ev.psnrBilinear());
                res.put("train_mse", last(t.epochLoss()));
                if (loop.validation > 0) res.put("val_mse", last(t.validationLoss()));
                res.put("seconds", t.seconds());
                res.put("picture", pic.toString());
                res.put("model_dir", out.toString());
                config.put("results", new LinkedHashMap<>(res));
                Checkpoint.saveWeights(out.resolve(Checkpoint.MODEL), model);
                Checkpoint.saveConfig(out, config);
                log.emit("result", res);
                print(res, String.format(Locale.ROOT,
                        "2x super-resolution on %d test images: PSNR model %.2f dB, bicubic %.2f dB, bilinear %.2f dB (trained %.1fs); picture in %s",
                        test.n(), ev.psnrModel(), ev.psnrBicubic(), ev.psnrBilinear(), t.seconds(), pic));
                return 0;
            }
        }
    }

    private static float[][] slice(float[] all, int count, int d) {
        float[][] o = new float[count][];
        for (int i = 0; i < count; i++) o[i] = Arrays.copyOfRange(all, i * d, (i + 1) * d);
        return o;
    }
}
