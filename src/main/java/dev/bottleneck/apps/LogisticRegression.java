package dev.bottleneck.apps;

import java.util.SplittableRandom;

/**
 * Multinomial logistic regression (softmax over classes 0..C-1), plain Java: features standardised with the training
 * mean and standard deviation, trained by mini-batch Adam on the mean cross-entropy plus an L2 penalty on the weights,
 * seeded shuffles.
 */
public final class LogisticRegression {
    private final int d, classes;
    private final double[] w; // classes x d
    private final double[] b;
    private final double[] mean, std;

    private LogisticRegression(int d, int classes, double[] mean, double[] std) {
        this.d = d;
        this.classes = classes;
        this.w = new double[classes * d];
        this.b = new double[classes];
        this.mean = mean;
        this.std = std;
    }

    public record Config(int epochs, int batch, double lr, double l2, long seed) {
        public static Config defaults() { return new Config(30, 128, 0.01, 1e-4, 42); }
    }

    public static LogisticRegression fit(float[] x, int[] y, int n, int d, Config cfg) {
        int classes = 0;
        for (int i = 0; i < n; i++) {
            if (y[i] < 0) throw new IllegalArgumentException("label " + y[i] + " at row " + i + " is negative");
            classes = Math.max(classes, y[i] + 1);
        }
        double[] mean = new double[d], std = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mean[j] += x[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) { double t = x[i * d + j] - mean[j]; std[j] += t * t; }
        for (int j = 0; j < d; j++) { std[j] = Math.sqrt(std[j] / n); if (std[j] < 1e-8) std[j] = 1; }
        LogisticRegression m = new LogisticRegression(d, classes, mean, std);
        m.train(x, y, n, cfg);
        return m;
    }

    private void train(float[] x, int[] y, int n, Config cfg) {
        int p = w.length + b.length;
        double[] g = new double[p], m1 = new double[p], m2 = new double[p];
        double[] z = new double[d], logits = new double[classes];
        SplittableRandom rnd = new SplittableRandom(cfg.seed());
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        long step = 0;
        double b1 = 0.9, b2 = 0.999, eps = 1e-8;
        for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
            for (int i = n - 1; i > 0; i--) { int j = rnd.nextInt(i + 1); int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
            for (int from = 0; from < n; from += cfg.batch()) {
                int bs = Math.min(cfg.batch(), n - from);
                java.util.Arrays.fill(g, 0);
                for (int s = 0; s < bs; s++) {
                    int i = perm[from + s];
                    standardise(x, i * d, z);
                    probabilities(z, logits);
                    for (int c = 0; c < classes; c++) {
                        double diff = (logits[c] - (y[i] == c ? 1 : 0)) / bs;
                        if (diff == 0) continue;
                        int o = c * d;
                        for (int j = 0; j < d; j++) g[o + j] += diff * z[j];
                        g[w.length + c] += diff;
                    }
                }
                for (int k = 0; k < w.length; k++) g[k] += cfg.l2() * w[k];
                step++;
                double c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
                for (int k = 0; k < p; k++) {
                    m1[k] = b1 * m1[k] + (1 - b1) * g[k];
                    m2[k] = b2 * m2[k] + (1 - b2) * g[k] * g[k];
                    double upd = cfg.lr() * (m1[k] / c1) / (Math.sqrt(m2[k] / c2) + eps);
                    if (k < w.length) w[k] -= upd; else b[k - w.length] -= upd;
                }
            }
        }
    }

    private void standardise(float[] x, int off, double[] z) {
        for (int j = 0; j < d; j++) z[j] = (x[off + j] - mean[j]) / std[j];
    }

    /** Softmax probabilities of a standardised row, written into {@code out}. */
    private void probabilities(double[] z, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            double s = b[c];
            int o = c * d;
            for (int j = 0; j < d; j++) s += w[o + j] * z[j];
            out[c] = s;
            max = Math.max(max, s);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) { out[c] = Math.exp(out[c] - max); sum += out[c]; }
        for (int c = 0; c < classes; c++) out[c] /= sum;
    }

    public int[] predict(float[] x, int n) {
        int[] out = new int[n];
        double[] z = new double[d], p = new double[classes];
        for (int i = 0; i < n; i++) {
            standardise(x, i * d, z);
            probabilities(z, p);
            int best = 0;
            for (int c = 1; c < classes; c++) if (p[c] > p[best]) best = c;
            out[i] = best;
        }
        return out;
    }

    /** One class's share of correct predictions. */
    public record ClassAccuracy(int label, int samples, double accuracy) { }

    /** The accuracy on the samples of each label of {@code y} that occurs, by label. */
    public static java.util.List<ClassAccuracy> perClass(int[] predicted, int[] y, int n) {
        java.util.TreeMap<Integer, int[]> m = new java.util.TreeMap<>();
        for (int i = 0; i < n; i++) {
            int[] c = m.computeIfAbsent(y[i], k -> new int[2]);
            c[0]++;
            if (predicted[i] == y[i]) c[1]++;
        }
        java.util.List<ClassAccuracy> out = new java.util.ArrayList<>();
        for (var e : m.entrySet()) out.add(new ClassAccuracy(e.getKey(), e.getValue()[0], (double) e.getValue()[1] / e.getValue()[0]));
        return out;
    }

    public double accuracy(float[] x, int[] y, int n) {
        int[] p = predict(x, n);
        int ok = 0;
        for (int i = 0; i < n; i++) if (p[i] == y[i]) ok++;
        return (double) ok / n;
    }
}
