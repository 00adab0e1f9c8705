package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.Segmentation;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.io.ImageGrid;
import dev.bottleneck.train.Checkpoint;
import dev.bottleneck.train.Resume;
import dev.bottleneck.train.TrainOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "segment", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a small SegNet (max-pooling indices reused by max-unpooling) for per-pixel digit segmentation.",
                "Canvases of 56x56 pixels hold 2-3 real MNIST digits at seeded random positions; a pixel's class is its digit "
                        + "where the digit's value is above 0.5, else background (class 10). Test canvases use MNIST test digits.",
                "Reports per-class IoU and mean IoU against the all-background prediction.",
                "Writes OUT/segment.png (rows: image, truth, prediction; colours per class, background black), and after every "
                        + "epoch a checkpoint (model.safetensors, optimizer.safetensors, config.json, trainer.json, metrics.csv, "
                        + "loss.png) that --resume continues.",
                "Example:",
                "  bottleneck segment mnist --train 3000 --epochs 3 --out runs/segment"})
final class SegmentCommand implements Callable<Integer> {
    static final String PICTURE = "segment.png";

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DATA", description = "mnist, or a folder with the four MNIST IDX files.")
    String data;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder holding the data files.")
    Path dataDir;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Directory for the picture and the checkpoints.")
    Path out;

    @Option(names = "--train", defaultValue = "3000", description = "Training canvases (default: ${DEFAULT-VALUE}).")
    int trainCount;

    @Option(names = "--test", defaultValue = "500", description = "Test canvases (default: ${DEFAULT-VALUE}).")
    int testCount;

    @Option(names = "--channels", defaultValue = "16", description = "Feature maps per conv layer (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = {"-e", "--epochs"}, defaultValue = "3", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = {"-b", "--batch"}, defaultValue = "16", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "0.01", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the canvases, weights and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-n", "--count"}, defaultValue = "8", description = "Test canvases in the picture (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--validation", defaultValue = "0",
            description = "Fraction of the training canvases held out of training and scored after every epoch (default: ${DEFAULT-VALUE}).")
    double validation;

    @Option(names = "--progress", negatable = true, description = "Progress bar (default: when on a terminal).")
    Boolean progress;

    @Option(names = "--json", description = "Print the results as one JSON object on the last line.")
    boolean json;

    @Mixin BackendOptionsMixin backendOptions;

    @Mixin JobOptions job;

    @Override
    public Integer call() {
        Log log = job.log(spec.commandLine().getErr());
        return job.run(log, null, () -> train(log));
    }

    private Integer train(Log log) {
        Segmentation.Config cfg = new Segmentation.Config(channels, epochs, batch, lr, seed);
        if (trainCount < 1 || testCount < 1 || count < 1) throw new BottleneckException("--train, --test and --count must be at least 1");
        if (Files.exists(out) && !Files.isDirectory(out)) throw new BottleneckException("--out " + out + " exists and is not a directory");
        if (job.resumeMode() == Resume.Mode.ALWAYS) Checkpoint.requireResumable(out);
        job.hold(out, log);
        TrainTest tt = DataSources.resolve(data, dataDir, null, seed);
        Segmentation.Canvases train = Segmentation.build(tt.train(), trainCount, seed);
        Segmentation.Canvases test = Segmentation.build(tt.test(), testCount, seed + 1);
        log.info(String.format(Locale.ROOT, "%s: %d training and %d test canvases of %dx%d", data, train.n(), test.n(),
                Segmentation.SIZE, Segmentation.SIZE));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("kind", "segmentation");
        Map<String, Object> sg = new LinkedHashMap<>();
        sg.put("data", data);
        sg.put("train_canvases", train.n());
        sg.put("channels", channels);
        sg.put("epochs", epochs);
        sg.put("batch", batch);
        sg.put("lr", lr);
        sg.put("seed", seed);
        if (validation > 0) sg.put("validation", validation);
        config.put("segmentation", sg);
        TrainOptions opts = job.apply(TrainOptions.defaults().validation(validation).outDir(out).progress(job.progress(progress))
                .log(log::info).config(config), log);
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
                try {
                    Files.createDirectories(out);
                } catch (IOException e) {
                    throw new BottleneckException("cannot create " + out + ": " + e.getMessage());
                }
                int d = Segmentation.SIZE * Segmentation.SIZE, shown = Math.min(count, test.n());
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
                res.put("train_cross_entropy", t.epochLoss()[t.epochLoss().length - 1]);
                if (validation > 0) res.put("val_cross_entropy", t.validationLoss()[t.validationLoss().length - 1]);
                res.put("seconds", t.seconds());
                res.put("picture", pic.toString());
                StringBuilder sb = new StringBuilder();
                for (int c = 0; c < 10; c++) sb.append(String.format(Locale.ROOT, " %d:%.2f", c, iou[c]));
                log.emit("result", res);
                PrintResult.print(spec.commandLine().getOut(), res, json, String.format(Locale.ROOT,
                        "segmentation of %d test canvases: mean IoU %.3f (all-background %.3f), pixel accuracy %.3f, background IoU %.3f, "
                                + "digits%s (trained %.1fs); picture in %s",
                        test.n(), miou, bgMiou, (double) correct / pred.length, iou[Segmentation.BACKGROUND], sb, t.seconds(), pic));
                return 0;
            }
        }
    }
}
