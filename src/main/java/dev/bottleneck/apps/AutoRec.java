package dev.bottleneck.apps;

import dev.bottleneck.io.Json;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.Ratings;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.MaskedLoss;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.nn.Parameter;
import dev.bottleneck.optim.Optimizer;
import dev.bottleneck.train.AlignedArrays;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.StepLoss;
import dev.bottleneck.train.StepValidator;
import dev.bottleneck.train.TrainOptions;
import dev.bottleneck.train.TrainState;
import dev.bottleneck.train.TrainStep;
import dev.bottleneck.train.TrainingLoop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Item-based AutoRec (Sedhain et al., 2015, "I-AutoRec"): every item is a sample whose features are its ratings by
 * all users (0 where unknown). The autoencoder {@code users -> hidden (sigmoid or identity) -> users (identity)} is
 * trained on the observed entries only ({@link MaskedLoss#mse}) with an L2 penalty on both weight matrices; the
 * reconstruction of item i at user u predicts u's rating of i.
 */
public final class AutoRec {
    private AutoRec() {}

    /** Training settings. {@code l2}: λ of {@code λ/2 (|W_enc|² + |W_dec|²)}, added to the per-rating mean squared error. */
    public record Config(int hidden, String activation, double l2, int epochs, int batch, double lr, long seed) {
        public Config {
            if (hidden < 1) throw new BottleneckException("--hidden must be at least 1");
            if (epochs < 1) throw new BottleneckException("--epochs must be at least 1");
            if (batch < 1) throw new BottleneckException("--batch must be at least 1");
            if (!(l2 >= 0)) throw new BottleneckException("--l2 must be >= 0");
            if (!(lr > 0)) throw new BottleneckException("--lr must be positive");
            String a = activation.toLowerCase(Locale.ROOT);
            if (!a.equals("sigmoid") && !a.equals("identity") && !a.equals("linear")) {
                throw new BottleneckException("--activation must be sigmoid or identity, not '" + activation + "'");
            }
        }

        public Map<String, Object> toMap() {
            return Json.object("hidden", hidden, "activation", activation, "l2", l2, "epochs", epochs, "batch", batch,
                    "lr", lr, "seed", seed);
        }
    }

    /** The model spec: {@code users -> hidden -> users}, MSE (the masked loss is applied by {@link #train}). */
    public static ModelSpec spec(int users, int hidden, String activation) {
        Map<String, Object> enc = Json.object("type", "linear", "units", hidden,
                "activation", activation.equalsIgnoreCase("identity") ? "linear" : activation.toLowerCase(Locale.ROOT),
                "init", "xavier_uniform");
        Map<String, Object> dec = Json.object("type", "linear", "units", users, "activation", "linear", "init", "xavier_uniform");
        return new ModelSpec("autorec-" + users + "-" + hidden, new int[] {users}, List.of(enc), List.of(dec), Loss.MSE,
                Loss.Reduction.MEAN, List.of());
    }

    /** Item-major matrices [items, users]: the ratings (0 where unknown) and the 0/1 mask of known entries. */
    public record Matrix(float[] values, float[] mask, int items, int users) {
        public int observed(int item) {
            int c = 0;
            for (int u = 0; u < users; u++) if (mask[item * users + u] != 0) c++;
            return c;
        }
    }

    public static Matrix matrix(Ratings r) {
        int items = r.items(), users = r.users();
        long cells = (long) items * users;
        if (cells > Integer.MAX_VALUE - 8) {
            throw new BottleneckException(r.source() + ": " + items + " items x " + users + " users is too large for a dense rating matrix");
        }
        float[] v = new float[(int) cells], m = new float[(int) cells];
        for (int k = 0; k < r.size(); k++) {
            int at = r.item(k) * users + r.user(k);
            v[at] = r.rating(k);
            m[at] = 1f;
        }
        return new Matrix(v, m, items, users);
    }

    /**
     * Per-epoch training loss (masked MSE of the training ratings, without the penalty), the same on the held-out items
     * (NaN per epoch without a hold-out), and the seconds {@link #train} took. After a resume the arrays cover every
     * epoch of the run, the earlier ones included.
     */
    public record Trained(Autoencoder model, double[] epochLoss, double seconds, double[] validationLoss) { }

    /** Trains a fresh model on the training ratings with Adam, on every rated item, writing nothing. */
    public static Trained train(Backend be, Ratings train, Config c, Consumer<String> log) {
        return train(be, train, c, TrainOptions.defaults().log(log));
    }

    /**
     * Trains with Adam on the items that have at least one training rating. {@link TrainOptions#validation()} holds out
     * that fraction of those items (seeded by the config's seed) and reports their masked MSE after every epoch; with an
     * {@link TrainOptions#outDir()} every epoch leaves a checkpoint there that {@link TrainOptions#resume()} continues.
     */
    public static Trained train(Backend be, Ratings train, Config c, TrainOptions o) {
        long t0 = System.nanoTime();
        Matrix mx = matrix(train);
        Autoencoder model = new Autoencoder(spec(mx.users(), c.hidden(), c.activation()));
        model.bind(be, c.seed());
        List<Parameter> weights = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : model.params().parameters().entrySet()) {
            if (e.getKey().endsWith("weight")) weights.add(e.getValue());
        }
        int d = mx.users();
        int[] observed = new int[mx.items()];
        for (int i = 0; i < mx.items(); i++) observed[i] = mx.observed(i);
        // only items with at least one training rating carry a signal
        int[] rows = java.util.stream.IntStream.range(0, mx.items()).filter(i -> observed[i] > 0).toArray();
        Dataset.IndexSplit split = Dataset.splitIndices(rows.length, o.validation(), c.seed());
        FitConfig fc = o.fitConfig(c.epochs(), c.batch(), c.lr(), c.seed());
        // the loss of a batch is the mean over its observed entries, so batches count by those entries; the count is
        // known on the host from the item numbers alone
        TrainStep step = (g, b) -> {
            double obs = 0;
            for (int k = 0; k < b.size(); k++) obs += observed[b.row(k)];
            Var xv = g.constant(b.tensor(RATINGS));
            Var out = model.decoder().forward(g, model.encoder().forward(g, xv));
            Var mse = MaskedLoss.mse(g, out, xv, g.constant(b.tensor(MASK)), obs);
            Var loss = mse;
            if (c.l2() > 0 && g.training()) for (Parameter p : weights) loss = g.add(loss, MaskedLoss.l2(g, p.in(g), c.l2()));
            return new StepLoss(loss, mse, obs);
        };
        return Failures.closeOnFailure(model::close, () -> {
            try (Optimizer opt = new Optimizer(fc.optimizer(), model.params());
                 AlignedArrays tr = source(be, mx, pick(rows, split.train()));
                 AlignedArrays va = split.validation().length == 0 ? null : source(be, mx, pick(rows, split.validation()))) {
                TrainingLoop loop = new TrainingLoop(model.params(), opt, step, fc)
                        .validator(va == null ? null : new StepValidator(be, step, va, fc.batch()))
                        .listeners(o.listenerBuilder(fc)
                                .epochLine((m, epochs) -> String.format(Locale.ROOT, "epoch %d/%d  train RMSE %.4f%s", m.epoch(), epochs,
                                        Math.sqrt(m.trainLoss()), Double.isNaN(m.valLoss()) ? ""
                                                : String.format(Locale.ROOT, "  val RMSE %.4f", Math.sqrt(m.valLoss()))))
                                .curveTitle(model.spec().name() + " masked MSE per epoch")
                                .checkpoint(model.params(), model.spec().toMap(), opt, o::config).build());
                TrainState state = o.fit(loop, tr, fc, model.params(), opt).state(); // adds o.listeners()
                return new Trained(model, state.trainLosses(), (System.nanoTime() - t0) / 1e9, state.validationLosses());
            }
        });
    }

    /** Array names of the batches: the items' rating vectors and their 0/1 masks of known ratings. */
    static final String RATINGS = "ratings", MASK = "mask";

    private static AlignedArrays source(Backend be, Matrix mx, int[] items) {
        return AlignedArrays.builder(be, mx.items()).add(RATINGS, mx.values(), mx.users()).add(MASK, mx.mask(), mx.users())
                .rows(items).build();
    }

    private static int[] pick(int[] values, int[] at) {
        int[] out = new int[at.length];
        for (int i = 0; i < at.length; i++) out[i] = values[at[i]];
        return out;
    }

    /** Predictions for every (item, user) [items, users] from the known ratings {@code mx}. */
    public static float[] predictAll(Autoencoder model, Matrix mx) {
        return ModelOps.reconstruct(model, mx.values(), mx.items());
    }

    /** Predictions of one user for every item, from the known ratings {@code mx}. */
    public static float[] predictUser(Autoencoder model, Matrix mx, int user) {
        float[] all = predictAll(model, mx);
        float[] out = new float[mx.items()];
        for (int i = 0; i < mx.items(); i++) out[i] = all[i * mx.users() + user];
        return out;
    }

    // ------------------------------------------------------------------------------------------ evaluation

    /** Root mean squared error of {@code predicted[k]} against the ratings of {@code test}. */
    public static double rmse(double[] predicted, Ratings test) {
        if (predicted.length != test.size()) throw new IllegalArgumentException("rmse: " + predicted.length + " predictions for " + test.size() + " ratings");
        if (test.size() == 0) return Double.NaN;
        double s = 0;
        for (int k = 0; k < test.size(); k++) {
            double e = predicted[k] - test.rating(k);
            s += e * e;
        }
        return Math.sqrt(s / test.size());
    }

    /** Rating range of a set of ratings: [min, max]. */
    public static double[] range(Ratings r) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < r.size(); k++) {
            lo = Math.min(lo, r.rating(k));
            hi = Math.max(hi, r.rating(k));
        }
        return new double[] {lo, hi};
    }

    /**
     * Model predictions for the test ratings, clipped to the training ratings' range; items or users without any
     * training rating fall back to the item mean, then the global mean (AutoRec has nothing to go on there).
     */
    public static double[] predictTest(float[] all, Matrix mx, Ratings train, Ratings test) {
        double[] range = range(train);
        double[] itemMean = itemMeans(train);
        int[] userCount = new int[train.users()];
        for (int k = 0; k < train.size(); k++) userCount[train.user(k)]++;
        double[] out = new double[test.size()];
        for (int k = 0; k < test.size(); k++) {
            int i = test.item(k), u = test.user(k);
            boolean known = mx.observed(i) > 0 && userCount[u] > 0;
            double p = known ? all[i * mx.users() + u] : itemMean[i];
            out[k] = Math.max(range[0], Math.min(range[1], p));
        }
        return out;
    }

    /** Mean training rating of every item; items without ratings get the global mean. */
    public static double[] itemMeans(Ratings train) {
        double[] s = new double[train.items()];
        int[] c = new int[train.items()];
        for (int k = 0; k < train.size(); k++) {
            s[train.item(k)] += train.rating(k);
            c[train.item(k)]++;
        }
        double g = train.mean();
        for (int i = 0; i < s.length; i++) s[i] = c[i] == 0 ? g : s[i] / c[i];
        return s;
    }

    /** The item-mean baseline's predictions for the test ratings. */
    public static double[] itemMeanPredictions(Ratings train, Ratings test) {
        double[] m = itemMeans(train);
        double[] out = new double[test.size()];
        for (int k = 0; k < test.size(); k++) out[k] = m[test.item(k)];
        return out;
    }

    /** The global-mean baseline's predictions. */
    public static double[] globalMeanPredictions(Ratings train, Ratings test) {
        double[] out = new double[test.size()];
        Arrays.fill(out, train.mean());
        return out;
    }

    // ------------------------------------------------------------------------------------------ recommendation

    /** One recommended item: its index, id and predicted rating. */
    public record Recommendation(int item, String id, double predicted) { }

    /**
     * The {@code top} items with the highest predicted rating among those the user has not rated ({@code rated[i]}
     * true where the user rated item i); ties go to the lower item index.
     */
    public static List<Recommendation> recommend(float[] userPredictions, boolean[] rated, List<String> itemIds, int top) {
        Integer[] order = new Integer[userPredictions.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> {
            int c = Float.compare(userPredictions[b], userPredictions[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        List<Recommendation> out = new ArrayList<>();
        for (int i : order) {
            if (out.size() >= top) break;
            if (rated[i] || Float.isNaN(userPredictions[i])) continue;
            out.add(new Recommendation(i, itemIds.get(i), userPredictions[i]));
        }
        return out;
    }
}
