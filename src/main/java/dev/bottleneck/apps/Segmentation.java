package dev.bottleneck.apps;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.nn.Conv2d;
import dev.bottleneck.nn.Init;
import dev.bottleneck.nn.Module;
import dev.bottleneck.nn.ParameterStore;
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
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Semantic segmentation of canvases of several MNIST digits with a small SegNet: the encoder's max poolings keep
 * the positions of their maxima, and the decoder's max un-poolings put values back at those positions. The loss
 * is the per-pixel softmax cross-entropy over {@link #CLASSES} classes (digits 0–9 and background 10).
 */
public final class Segmentation {
    private Segmentation() {}

    /** Canvas side (pixels). */
    public static final int SIZE = 56;
    /** Ten digit classes and the background. */
    public static final int CLASSES = 11;
    public static final int BACKGROUND = 10;
    private static final int PREDICT_BATCH = 100;

    /** Canvases [n, 1, SIZE, SIZE] in [0, 1] and labels [n, SIZE, SIZE] (class numbers as floats). */
    public record Canvases(float[] images, float[] labels, int n) { }

    /**
     * Builds n canvases from 28x28 digits of {@code digits} (labels required): each holds 2 or 3 digits at seeded random
     * positions, each chosen among 20 tries as the one overlapping the earlier digits' boxes least. A pixel's label is
     * the class of the last digit whose value there is above 0.5, else background; the image is the pixel-wise maximum.
     */
    public static Canvases build(Dataset digits, int n, long seed) {
        int[] s = digits.sampleShape();
        if (s.length != 3 || s[0] != 1 || s[1] != 28 || s[2] != 28 || !digits.hasLabels()) {
            throw new BottleneckException("segmentation needs labelled 28x28 single-channel digits (MNIST), got " + digits.name()
                    + " with samples " + java.util.Arrays.toString(s));
        }
        int d = SIZE * SIZE, span = SIZE - 28 + 1;
        float[] img = new float[n * d], lab = new float[n * d];
        java.util.Arrays.fill(lab, BACKGROUND);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = digits.x();
        for (int i = 0; i < n; i++) {
            int count = 2 + rnd.nextInt(2);
            int[][] boxes = new int[count][];
            for (int k = 0; k < count; k++) {
                int best = Integer.MAX_VALUE, by = 0, bx = 0;
                for (int t = 0; t < 20 && best > 0; t++) {
                    int py = rnd.nextInt(span), px = rnd.nextInt(span), ov = 0;
                    for (int j = 0; j < k; j++) {
                        int oy = Math.max(0, 28 - Math.abs(py - boxes[j][0])), ox = Math.max(0, 28 - Math.abs(px - boxes[j][1]));
                        ov += oy * ox;
                    }
                    if (ov < best) { best = ov; by = py; bx = px; }
                }
                boxes[k] = new int[] {by, bx};
                int src = rnd.nextInt(digits.n()), cls = digits.label(src);
                for (int yy = 0; yy < 28; yy++) {
                    for (int xx = 0; xx < 28; xx++) {
                        float v = x[src * 784 + yy * 28 + xx];
                        int at = i * d + (by + yy) * SIZE + bx + xx;
                        img[at] = Math.max(img[at], v);
                        if (v > 0.5f) lab[at] = cls;
                    }
                }
            }
        }
        return new Canvases(img, lab, n);
    }

    /**
     * The SegNet: conv3x3+ReLU, pool, conv5x5+ReLU, pool, conv5x5+ReLU, unpool, conv3x3+ReLU, unpool, conv3x3 to class
     * logits (5x5 in the middle so the receptive field, about 30 pixels, covers a whole digit).
     */
    public static final class Model implements AutoCloseable {
        final Conv2d c1, c2, c3, c4, c5;
        final ParameterStore params;
        public final int channels;

        public Model(Backend be, int channels, long seed) {
            this.channels = channels;
            c1 = new Conv2d(1, channels, 3, 1, 1, 1, true, Init.HE_UNIFORM);
            c2 = new Conv2d(channels, channels, 5, 1, 2, 1, true, Init.HE_UNIFORM);
            c3 = new Conv2d(channels, channels, 5, 1, 2, 1, true, Init.HE_UNIFORM);
            c4 = new Conv2d(channels, channels, 3, 1, 1, 1, true, Init.HE_UNIFORM);
            c5 = new Conv2d(channels, CLASSES, 3, 1, 1, 1, true, Init.XAVIER_UNIFORM);
            Map<String, Module> roots = new LinkedHashMap<>();
            roots.put("enc1", c1);
            roots.put("enc2", c2);
            roots.put("mid", c3);
            roots.put("dec2", c4);
            roots.put("dec1", c5);
            params = new ParameterStore(be, roots);
            params.initialize(seed);
        }

        public ParameterStore params() { return params; }

        /** What the weights files record about the network (it has no autoencoder spec). */
        public Map<String, Object> description() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "segnet");
            m.put("channels", channels);
            m.put("classes", CLASSES);
            m.put("input", java.util.List.of(1, SIZE, SIZE));
            return m;
        }

        /** Logits [n, CLASSES, h, w] for images [n, 1, h, w] (h, w divisible by 4). */
        public Var logits(Graph g, Var x) {
            int h = x.value().dim(2), w = x.value().dim(3);
            Var a = g.activation(Activation.RELU, c1.forward(g, x));
            Graph.Pooled p1 = g.maxPool2dWithIndices(a, 2, 2);
            Var b = g.activation(Activation.RELU, c2.forward(g, p1.out()));
            Graph.Pooled p2 = g.maxPool2dWithIndices(b, 2, 2);
            Var m = g.activation(Activation.RELU, c3.forward(g, p2.out()));
            Var u2 = g.maxUnpool2d(m, p2.indices(), h / 2, w / 2);
            Var d2 = g.activation(Activation.RELU, c4.forward(g, u2));
            Var u1 = g.maxUnpool2d(d2, p1.indices(), h, w);
            return c5.forward(g, u1);
        }

        @Override
        public void close() { params.close(); }
    }


    /**
     * Per-epoch training cross-entropy (mean per pixel), the same on the held-out canvases (NaN per epoch without a
     * hold-out), and the seconds {@link #train} took. After a resume the arrays cover every epoch of the run.
     */
    public record Trained(Model model, double[] epochLoss, double seconds, double[] validationLoss) { }

    /** Trains on every canvas, writing nothing. */
    public static Trained train(Backend be, Canvases data, ConvTaskConfig c, Consumer<String> log) {
        return train(be, data, c, TrainOptions.defaults().log(log));
    }

    /**
     * Trains with Adam on the per-pixel softmax cross-entropy. {@link TrainOptions#validation()} holds out that
     * fraction of the canvases (seeded by the config's seed) and reports their cross-entropy after every epoch; with an
     * {@link TrainOptions#outDir()} every epoch leaves a checkpoint there that {@link TrainOptions#resume()} continues.
     */
    public static Trained train(Backend be, Canvases data, ConvTaskConfig c, TrainOptions o) {
        long t0 = System.nanoTime();
        checkLabels(data);
        Model model = new Model(be, c.channels(), c.seed());
        Dataset.IndexSplit split = Dataset.splitIndices(data.n(), o.validation(), c.seed());
        FitConfig fc = o.fitConfig(c.epochs(), c.batch(), c.lr(), c.seed());
        TrainStep step = (g, b) -> StepLoss.of(g.softmaxCrossEntropy(model.logits(g, g.constant(b.tensor(IMAGES))), b.tensor(LABELS)), b.size());
        return Failures.closeOnFailure(model::close, () -> {
            try (Optimizer opt = new Optimizer(fc.optimizer(), model.params());
                 AlignedArrays tr = source(be, data, split.train());
                 AlignedArrays va = split.validation().length == 0 ? null : source(be, data, split.validation())) {
                TrainingLoop loop = new TrainingLoop(model.params(), opt, step, fc)
                        .validator(va == null ? null : new StepValidator(be, step, va, fc.batch()))
                        .listeners(o.listenerBuilder(fc)
                                .epochLine((m, epochs) -> String.format(Locale.ROOT, "epoch %d/%d  train cross-entropy %.4f%s", m.epoch(), epochs,
                                        m.trainLoss(), Double.isNaN(m.valLoss()) ? "" : String.format(Locale.ROOT, "  val cross-entropy %.4f", m.valLoss())))
                                .divergenceAdvice(lr -> "lower --lr (now " + lr + "); a pixel class outside [0, " + CLASSES
                                        + ") (such as an 'ignore' label 255) also makes the per-pixel cross-entropy NaN")
                                .curveTitle("segnet-" + c.channels() + " cross-entropy per epoch")
                                .checkpoint(model.params(), model.description(), opt, o::config).build());
                TrainState state = o.fit(loop, tr, fc, model.params(), opt).state(); // adds o.listeners()
                return new Trained(model, state.trainLosses(), (System.nanoTime() - t0) / 1e9, state.validationLosses());
            }
        });
    }

    /**
     * Every pixel class must be an integer in [0, CLASSES): the loss would be NaN for any other value (the backends
     * never use it as an index), so it is refused here with its position, before anything is uploaded.
     */
    static void checkLabels(Canvases data) {
        float[] l = data.labels();
        int d = SIZE * SIZE;
        for (int i = 0; i < l.length; i++) {
            float v = l[i];
            if (!(v >= 0 && v < CLASSES && v == (int) v)) {
                throw new BottleneckException("segmentation: pixel class " + v + " of canvas " + i / d + " at (" + (i % d) / SIZE
                        + ", " + i % SIZE + ") is not a class in [0, " + CLASSES + "): labels must be 0-9 for digits and "
                        + (CLASSES - 1) + " for background (no 'ignore' value)");
            }
        }
    }

    /** Array names of the batches: canvases [b, 1, SIZE, SIZE] and pixel classes [b, SIZE, SIZE]. */
    static final String IMAGES = "images", LABELS = "labels";

    private static AlignedArrays source(Backend be, Canvases data, int[] rows) {
        return AlignedArrays.builder(be, data.n()).add(IMAGES, data.images(), 1, SIZE, SIZE).add(LABELS, data.labels(), SIZE, SIZE)
                .rows(rows).build();
    }

    /** Predicted class per pixel [n, SIZE, SIZE] (as ints). */
    public static int[] predict(Model model, float[] images, int n) {
        Backend be = model.params().backend();
        int d = SIZE * SIZE;
        int[] out = new int[n * d];
        float[] logits = new float[Math.min(PREDICT_BATCH, n) * CLASSES * d];
        for (int from = 0; from < n; from += PREDICT_BATCH) {
            int b = Math.min(PREDICT_BATCH, n - from);
            try (Graph g = Graph.inference(be)) {
                Tensor x = g.temp(b, 1, SIZE, SIZE);
                be.memory().upload(images, from * d, x);
                be.memory().download(model.logits(g, g.constant(x)).value(), logits, 0);
            }
            for (int k = 0; k < b; k++) {
                for (int p = 0; p < d; p++) {
                    int best = 0;
                    float bv = logits[k * CLASSES * d + p];
                    for (int c = 1; c < CLASSES; c++) {
                        float v = logits[(k * CLASSES + c) * d + p];
                        if (v > bv) { bv = v; best = c; }
                    }
                    out[(from + k) * d + p] = best;
                }
            }
        }
        return out;
    }

    /** Intersection over union per class (NaN where a class is in neither truth nor prediction). */
    public static double[] iou(int[] pred, float[] truth) {
        long[] inter = new long[CLASSES], uni = new long[CLASSES];
        for (int i = 0; i < pred.length; i++) {
            int p = pred[i], t = (int) truth[i];
            if (p == t) { inter[p]++; uni[p]++; } else { uni[p]++; uni[t]++; }
        }
        double[] r = new double[CLASSES];
        for (int c = 0; c < CLASSES; c++) r[c] = uni[c] == 0 ? Double.NaN : (double) inter[c] / uni[c];
        return r;
    }

    /** Mean of the defined (non-NaN) IoUs; classes absent from both truth and prediction are left out. */
    public static double meanIou(double[] iou) {
        double s = 0;
        int k = 0;
        for (double v : iou) if (!Double.isNaN(v)) { s += v; k++; }
        return k == 0 ? Double.NaN : s / k;
    }

    /** The colour of a class: ten distinct hues for the digits, black for the background. */
    public static float[] colour(int cls) {
        if (cls == BACKGROUND) return new float[] {0, 0, 0};
        float h = cls / 10f;
        java.awt.Color c = java.awt.Color.getHSBColor(h, 0.85f, 1f);
        return new float[] {c.getRed() / 255f, c.getGreen() / 255f, c.getBlue() / 255f};
    }

    /** A class map [SIZE*SIZE] as an RGB image [3, SIZE, SIZE]. */
    public static float[] colourMap(int[] classes, int offset) {
        int d = SIZE * SIZE;
        float[] o = new float[3 * d];
        for (int p = 0; p < d; p++) {
            float[] c = colour(classes[offset + p]);
            for (int ch = 0; ch < 3; ch++) o[ch * d + p] = c[ch];
        }
        return o;
    }

    /** A gray image [SIZE*SIZE] as RGB. */
    public static float[] gray(float[] img, int offset) {
        int d = SIZE * SIZE;
        float[] o = new float[3 * d];
        for (int ch = 0; ch < 3; ch++) System.arraycopy(img, offset, o, ch * d, d);
        return o;
    }
}
