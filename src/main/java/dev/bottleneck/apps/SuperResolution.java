package dev.bottleneck.apps;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.train.AlignedArrays;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.StepLoss;
import dev.bottleneck.train.StepValidator;
import dev.bottleneck.train.TrainOptions;
import dev.bottleneck.train.TrainState;
import dev.bottleneck.train.TrainStep;
import dev.bottleneck.train.TrainingLoop;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * 2x super-resolution of single-channel images. The low-resolution image is the original 2x2-average-pooled; the
 * model's input is that image bilinearly up-sampled back to full size (PyTorch {@code align_corners=False}), and a
 * small convolutional encoder–decoder predicts the residual: {@code output = clamp(input + net(input), 0, 1)}. The
 * reference interpolations (bilinear, bicubic with Keys' a = -0.75 as PyTorch uses, border pixels replicated) are
 * computed here on the host from the same low-resolution image.
 */
public final class SuperResolution {
    private SuperResolution() {}


    /**
     * The residual network as a model spec over [1, h, w]: an encoder conv(3x3, stride 2) + ReLU, conv + ReLU, and a
     * decoder nearest up-sampling x2, conv + ReLU, conv to one channel (linear).
     */
    public static ModelSpec spec(int h, int w, int channels) {
        return ModelSpec.fromMap(Map.of(
                "name", "sr-" + channels,
                "input", List.of(1, h, w),
                "encoder", List.of(conv(channels, 1, "relu"), conv(channels, 2, "relu")),
                "decoder", List.of(Map.of("type", "upsample", "scale", 2, "mode", "nearest"), conv(channels, 1, "relu"), conv(1, 1, "linear")),
                "loss", "mse"), "super-resolution model");
    }

    private static Map<String, Object> conv(int filters, int stride, String act) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "conv2d");
        m.put("filters", filters);
        m.put("kernel", 3);
        m.put("stride", stride);
        m.put("padding", 1);
        m.put("activation", act);
        return m;
    }

    // ------------------------------------------------------------------------------------------ degradations

    /** 2x2 average pooling of n images [h, w] (h, w even) to [h/2, w/2]. */
    public static float[] downsample(float[] x, int n, int h, int w) {
        if (h % 2 != 0 || w % 2 != 0) throw new BottleneckException("super-resolution needs even image sizes, got " + h + "x" + w);
        int lh = h / 2, lw = w / 2;
        float[] out = new float[n * lh * lw];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < lh; y++) {
                for (int xx = 0; xx < lw; xx++) {
                    int b = i * h * w + 2 * y * w + 2 * xx;
                    out[i * lh * lw + y * lw + xx] = (x[b] + x[b + 1] + x[b + w] + x[b + w + 1]) / 4f;
                }
            }
        }
        return out;
    }

    /** Source coordinate of output pixel {@code o} for scale 2 (align_corners = False). */
    private static double src(int o) {
        return (o + 0.5) / 2.0 - 0.5;
    }

    /** Bilinear 2x up-sampling of n images [h, w] (PyTorch align_corners=False; edges clamp). */
    public static float[] bilinear(float[] x, int n, int h, int w) {
        int oh = 2 * h, ow = 2 * w;
        float[] out = new float[n * oh * ow];
        for (int i = 0; i < n; i++) {
            int b = i * h * w;
            for (int y = 0; y < oh; y++) {
                double sy = Math.max(0, src(y));
                int y0 = (int) sy, y1 = Math.min(y0 + 1, h - 1);
                double fy = sy - y0;
                for (int xx = 0; xx < ow; xx++) {
                    double sx = Math.max(0, src(xx));
                    int x0 = (int) sx, x1 = Math.min(x0 + 1, w - 1);
                    double fx = sx - x0;
                    double v = (1 - fy) * ((1 - fx) * x[b + y0 * w + x0] + fx * x[b + y0 * w + x1])
                            + fy * ((1 - fx) * x[b + y1 * w + x0] + fx * x[b + y1 * w + x1]);
                    out[i * oh * ow + y * ow + xx] = (float) v;
                }
            }
        }
        return out;
    }

    /** Keys' cubic convolution kernel with a = -0.75 (PyTorch's bicubic). */
    static double cubic(double t) {
        double a = -0.75, u = Math.abs(t);
        if (u <= 1) return ((a + 2) * u - (a + 3)) * u * u + 1;
        if (u < 2) return ((a * u - 5 * a) * u + 8 * a) * u - 4 * a;
        return 0;
    }

    /** Bicubic 2x up-sampling (PyTorch align_corners=False, border replicated), clamped to [0, 1]. */
    public static float[] bicubic(float[] x, int n, int h, int w) {
        int oh = 2 * h, ow = 2 * w;
        float[] out = new float[n * oh * ow];
        for (int i = 0; i < n; i++) {
            int b = i * h * w;
            for (int y = 0; y < oh; y++) {
                double sy = src(y);
                int fy = (int) Math.floor(sy);
                double ty = sy - fy;
                for (int xx = 0; xx < ow; xx++) {
                    double sx = src(xx);
                    int fx = (int) Math.floor(sx);
                    double tx = sx - fx;
                    double v = 0;
                    for (int m = -1; m <= 2; m++) {
                        double wy = cubic(m - ty);
                        int yy = Math.max(0, Math.min(h - 1, fy + m));
                        double row = 0;
                        for (int k = -1; k <= 2; k++) {
                            int xk = Math.max(0, Math.min(w - 1, fx + k));
                            row += cubic(k - tx) * x[b + yy * w + xk];
                        }
                        v += wy * row;
                    }
                    out[i * oh * ow + y * ow + xx] = (float) Math.max(0, Math.min(1, v));
                }
            }
        }
        return out;
    }

    /** Nearest 2x up-sampling (for showing the low-resolution image at full size). */
    public static float[] nearest(float[] x, int n, int h, int w) {
        int oh = 2 * h, ow = 2 * w;
        float[] out = new float[n * oh * ow];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < oh; y++) {
                for (int xx = 0; xx < ow; xx++) out[i * oh * ow + y * ow + xx] = x[i * h * w + (y / 2) * w + xx / 2];
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ training

    /** The model's output for inputs {@code in} (bilinear up-samplings): {@code clamp(in + net(in), 0, 1)}. */
    static Var output(Graph g, Autoencoder m, Var in) {
        Var r = m.decoder().forward(g, m.encoder().forward(g, in));
        return g.clamp(g.add(in, r), 0, 1);
    }

    /**
     * Per-epoch training MSE, the same on the held-out images (NaN per epoch without a hold-out), and the seconds
     * {@link #train} took. After a resume the arrays cover every epoch of the run.
     */
    public record Trained(Autoencoder model, double[] epochLoss, double seconds, double[] validationLoss) { }

    /** Trains on every image of {@code train}, writing nothing. */
    public static Trained train(Backend be, Dataset train, ConvTaskConfig c, Consumer<String> log) {
        return train(be, train, c, TrainOptions.defaults().log(log));
    }

    /**
     * Trains on the images of {@code train} ([1, h, w] samples, values in [0, 1]) with the MSE of the output against the
     * original: each sample is the pair (bilinear up-sampling of its 2x2 average pooling, the image). {@link
     * TrainOptions#validation()} holds out that fraction of the images (seeded by the config's seed) and reports their
     * MSE after every epoch; with an {@link TrainOptions#outDir()} every epoch leaves a checkpoint there that
     * {@link TrainOptions#resume()} continues.
     */
    public static Trained train(Backend be, Dataset train, ConvTaskConfig c, TrainOptions o) {
        long t0 = System.nanoTime();
        int[] s = train.sampleShape();
        if (s.length != 3 || s[0] != 1) throw new BottleneckException("super-resolution needs single-channel images, got " + java.util.Arrays.toString(s));
        int n = train.n(), h = s[1], w = s[2];
        float[] in = bilinear(downsample(train.x(), n, h, w), n, h / 2, w / 2);
        Autoencoder model = new Autoencoder(spec(h, w, c.channels()));
        model.bind(be, c.seed());
        Dataset.IndexSplit split = Dataset.splitIndices(n, o.validation(), c.seed());
        FitConfig fc = o.fitConfig(c.epochs(), c.batch(), c.lr(), c.seed());
        TrainStep step = (g, b) -> StepLoss.of(g.loss(Loss.MSE, Loss.Reduction.MEAN, output(g, model, g.constant(b.tensor(INPUTS))),
                g.constant(b.tensor(TARGETS))), b.size());
        return Failures.closeOnFailure(model::close, () -> {
            try (Optimizer opt = new Optimizer(fc.optimizer(), model.params());
                 AlignedArrays tr = source(be, in, train, split.train());
                 AlignedArrays va = split.validation().length == 0 ? null : source(be, in, train, split.validation())) {
                TrainingLoop loop = new TrainingLoop(model.params(), opt, step, fc)
                        .validator(va == null ? null : new StepValidator(be, step, va, fc.batch()))
                        .listeners(o.listenerBuilder(fc)
                                .epochLine((m, epochs) -> String.format(Locale.ROOT, "epoch %d/%d  train MSE %.5f%s", m.epoch(), epochs,
                                        m.trainLoss(), Double.isNaN(m.valLoss()) ? "" : String.format(Locale.ROOT, "  val MSE %.5f", m.valLoss())))
                                .curveTitle(model.spec().name() + " MSE per epoch")
                                .checkpoint(model.params(), model.spec().toMap(), opt, o::config).build());
                TrainState state = o.fit(loop, tr, fc, model.params(), opt).state(); // adds o.listeners()
                return new Trained(model, state.trainLosses(), (System.nanoTime() - t0) / 1e9, state.validationLosses());
            }
        });
    }

    /** Array names of the batches: the up-sampled inputs and the original images, both [b, 1, h, w]. */
    static final String INPUTS = "inputs", TARGETS = "targets";

    private static AlignedArrays source(Backend be, float[] inputs, Dataset images, int[] rows) {
        int[] shape = images.sampleShape();
        return AlignedArrays.builder(be, images.n()).add(INPUTS, inputs, shape).add(TARGETS, images.x(), shape).rows(rows).build();
    }

    /** Model outputs for n bilinear-up-sampled inputs [n, 1, h, w]. */
    public static float[] apply(Autoencoder model, float[] in, int n, int h, int w) {
        Backend be = model.params().backend();
        int d = h * w;
        float[] out = new float[n * d];
        for (int from = 0; from < n; from += ModelOps.BATCH) {
            int b = Math.min(ModelOps.BATCH, n - from);
            try (Graph g = Graph.inference(be)) {
                Tensor x = g.temp(b, 1, h, w);
                be.memory().upload(in, from * d, x);
                be.memory().download(output(g, model, g.constant(x)).value(), out, from * d);
            }
        }
        return out;
    }

    /** Mean per-image PSNR (dB, peak 1) of the model, bicubic and bilinear up-sampling on a test set, and the images. */
    public record Evaluation(double psnrModel, double psnrBicubic, double psnrBilinear, float[] low, float[] bicubic, float[] model,
                             int n) { }

    public static Evaluation evaluate(Autoencoder model, Dataset test) {
        int[] s = test.sampleShape();
        int n = test.n(), h = s[1], w = s[2], d = h * w;
        float[] low = downsample(test.x(), n, h, w);
        float[] bil = bilinear(low, n, h / 2, w / 2), bic = bicubic(low, n, h / 2, w / 2);
        float[] out = apply(model, bil, n, h, w);
        return new Evaluation(ImageQuality.meanImagePsnr(out, test.x(), n, d), ImageQuality.meanImagePsnr(bic, test.x(), n, d),
                ImageQuality.meanImagePsnr(bil, test.x(), n, d), low, bic, out, n);
    }
}
