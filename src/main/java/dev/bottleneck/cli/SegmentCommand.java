package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.ConvTaskConfig;
import dev.bottleneck.apps.Segmentation;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.io.ImageGrid;
import dev.bottleneck.train.TrainOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

@Command(name = "segment", mixinStandardHelpOptions = true, defaultValueProvider = CommandDefaults.class, sortOptions = false,
        description = {"Train a small SegNet (max-pooling indices reused by max-unpooling) for per-pixel digit segmentation.",
                "Canvases of 56x56 pixels hold 2-3 real MNIST digits at seeded random positions; a pixel's class is its digit "
                        + "where the digit's value is above 0.5, else background (class 10). Test canvases use MNIST test digits.",
                "Reports per-class IoU and mean IoU against the all-background prediction.",
                "Writes OUT/segment.png (rows: image, truth, prediction; colours per class, background black), and after every "
                        + "epoch a checkpoint (model.safetensors, optimizer.safetensors, config.json, trainer.json, metrics.csv, "
                        + "loss.png) that --resume continues.",
                "Example:",
                "  bottleneck segment mnist --train 3000 --epochs 3 --out runs/segment"})
final class SegmentCommand extends AppTrainingCommand {
    static final String PICTURE = "segment.png";

    @Parameters(index = "0", paramLabel = "DATA", description = "mnist, or a folder with the four MNIST IDX files.")
    String data;

    @Mixin ImageTaskOptions images;

    @Override
    Integer train(Log log) {
        ConvTaskConfig cfg = new ConvTaskConfig(images.channels, loop.epochs, step.batch, step.lr, seedOption.seed);
        TrainTest tt = DataSources.resolve(data, images.dataFolder.dir, null, seedOption.seed);
        Segmentation.Canvases train = Segmentation.build(tt.train(), images.train, seedOption.seed);
        Segmentation.Canvases test = Segmentation.build(tt.test(), images.test, seedOption.seed + 1);
        log.info(String.format(Locale.ROOT, "%s: %d training and %d test canvases of %dx%d", data, train.n(), test.n(),
                Segmentation.SIZE, Segmentation.SIZE));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("kind", "segmentation");
        Map<String, Object> sg = new LinkedHashMap<>();
        sg.put("data", data);
        sg.put("train_canvases", train.n());
        sg.put("channels", images.channels);
        putLoopSettings(sg);
        config.put("segmentation", sg);
        TrainOptions opts = trainOptions(log, config);
        try (Backend be = backendOptions.create(log)) {
            Segmentation.Trained t = Segmentation.train(be, train, cfg, opts);
            try (Segmentation.Model model = t.model()) {
                int[] pred = Segmentation.predict(model, test.images(), test.n());
                double[] iou = Segmentation.iou(pred, test.labels());
                double miou = Segmentation.meanIou(iou);
                int[] allBackground = new int[pred.length];
                java.util.Arrays.fill(allBackground, Segmentation.BACKGROUND);
                double[] bgIou = Segmentation.iou(allBackground, test.labels());
                double bgMiou = Segmentation.meanIou(bgIou);
                long correct = 0;
                for (int i = 0; i < pred.length; i++) if (pred[i] == (int) test.labels()[i]) correct++;
                createOut();
                int d = Segmentation.SIZE * Segmentation.SIZE, shown = Math.min(images.count, test.n());
                int[] truth = new int[shown * d];
                for (int i = 0; i < truth.length; i++) truth[i] = (int) test.labels()[i];
                List<float[][]> rows = new ArrayList<>();
                float[][] r0 = new float[shown][], r1 = new float[shown][], r2 = new float[shown][];
                for (int k = 0; k < shown; k++) {
                    r0[k] = Segmentation.gray(test.images(), k * d);
                    r1[k] = Segmentation.colourMap(truth, k * d);
                    r2[k] = Segmentation.colourMap(pred, k * d);
                }
                rows.add(r0);
                rows.add(r1);
                rows.add(r2);
                Path pic = out.resolve(PICTURE);
                ImageGrid.writeRows(pic, rows, 3, Segmentation.SIZE, Segmentation.SIZE, 2, 0.0, 1.0);

                Map<String, Object> res = new LinkedHashMap<>();
                res.put("data", data);
                res.put("train_canvases", train.n());
                res.put("test_canvases", test.n());
                res.put("mean_iou", miou);
                res.put("mean_iou_all_background", bgMiou);
                res.put("pixel_accuracy", (double) correct / pred.length);
                Map<String, Object> per = new LinkedHashMap<>();
                for (int c = 0; c < Segmentation.CLASSES; c++) per.put(c == Segmentation.BACKGROUND ? "background" : Integer.toString(c), iou[c]);
                res.put("iou", per);
                res.put("train_cross_entropy", last(t.epochLoss()));
                if (loop.validation > 0) res.put("val_cross_entropy", last(t.validationLoss()));
                res.put("seconds", t.seconds());
                res.put("picture", pic.toString());
                StringBuilder sb = new StringBuilder();
                for (int c = 0; c < 10; c++) sb.append(String.format(Locale.ROOT, " %d:%.2f", c, iou[c]));
                log.emit("result", res);
                print(res, String.format(Locale.ROOT,
                        "segmentation of %d test canvases: mean IoU %.3f (all-background %.3f), pixel accuracy %.3f, background IoU %.3f, "
                                + "digits%s (trained %.1fs); picture in %s",
                        test.n(), miou, bgMiou, (double) correct / pred.length, iou[Segmentation.BACKGROUND], sb, t.seconds(), pic));
                return 0;
            }
        }
    }
}
