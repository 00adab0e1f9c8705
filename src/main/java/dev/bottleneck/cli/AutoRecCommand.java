package dev.bottleneck.cli;

import dev.bottleneck.apps.AutoRec;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Ratings;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.io.CsvText;
import dev.bottleneck.train.Checkpoint;
import dev.bottleneck.train.TrainOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

@Command(name = "autorec", mixinStandardHelpOptions = true, defaultValueProvider = CommandDefaults.class, sortOptions = false,
        description = {"Train an item-based AutoRec recommender on a user-item rating CSV and report its RMSE on held-out ratings.",
                "Each item is a sample: its vector of ratings by all users. The autoencoder (users -> hidden -> users) learns from the "
                        + "observed ratings only (masked MSE) with L2 weight decay; its reconstruction predicts the missing ratings.",
                "The CSV has user,item,rating columns (a header is optional; extra columns such as a timestamp are ignored; R's "
                        + "quoted \"userId\",\"movieId\",\"rating\" header works). A seeded fraction of the ratings is held out, and the "
                        + "RMSE on it is compared with the item-mean and global-mean baselines.",
                "Writes OUT/model.safetensors, OUT/config.json and OUT/ratings.csv (the ratings with their split) for 'recommend'; "
                        + "after every epoch also a checkpoint (optimizer.safetensors, trainer.json, metrics.csv, loss.png) "
                        + "that --resume continues.",
                "Example:",
                "  bottleneck autorec --ratings ~/.cache/bottleneck/data/movielens/movielens.csv --out runs/autorec"})
final class AutoRecCommand extends AppTrainingCommand {
    static final String RATINGS = "ratings.csv";

    @Option(names = "--ratings", required = true, paramLabel = "FILE.csv", description = "Ratings CSV (user,item,rating).")
    Path ratings;

    @Option(names = "--holdout", defaultValue = "0.1", description = "Fraction of the ratings held out for the RMSE (default: ${DEFAULT-VALUE}).")
    double holdout;

    @Option(names = "--hidden", defaultValue = "200", description = "Hidden units (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--activation", defaultValue = "sigmoid", paramLabel = "sigmoid|identity",
            description = "Hidden activation (default: ${DEFAULT-VALUE}).")
    String activation;

    @Option(names = "--l2", defaultValue = "0.01", description = "L2 weight decay λ of λ/2 (|W_enc|² + |W_dec|²) (default: ${DEFAULT-VALUE}).")
    double l2;

    @Override
    Integer train(Log log) {
        AutoRec.Config cfg = new AutoRec.Config(hidden, activation, l2, loop.epochs, step.batch, step.lr, seedOption.seed);
        Ratings all = Ratings.readCsv(ratings);
        Ratings.Split sp = all.split(holdout, seedOption.seed);
        log.info(String.format(Locale.ROOT, "%s: %,d ratings, %,d users, %,d items; %,d held out", ratings, all.size(), all.users(),
                all.items(), sp.test().size()));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("kind", "autorec");
        config.put("model", AutoRec.spec(sp.train().users(), hidden, activation).toMap());
        Map<String, Object> ar = new LinkedHashMap<>(cfg.toMap());
        ar.put("ratings", ratings.toAbsolutePath().toString());
        ar.put("holdout", holdout);
        if (loop.validation > 0) ar.put("validation", loop.validation);
        config.put("autorec", ar);
        createOut();
        writeRatings(out.resolve(RATINGS), all, sp.heldOut());
        TrainOptions opts = trainOptions(log, config);
        try (Backend be = backendOptions.create(log)) {
            AutoRec.Trained t = AutoRec.train(be, sp.train(), cfg, opts);
            try {
                AutoRec.Matrix mx = AutoRec.matrix(sp.train());
                float[] pred = AutoRec.predictAll(t.model(), mx);
                double rmse = AutoRec.rmse(AutoRec.predictTest(pred, mx, sp.train(), sp.test()), sp.test());
                double rmseItem = AutoRec.rmse(AutoRec.itemMeanPredictions(sp.train(), sp.test()), sp.test());
                double rmseGlobal = AutoRec.rmse(AutoRec.globalMeanPredictions(sp.train(), sp.test()), sp.test());
                double trainRmse = Math.sqrt(last(t.epochLoss()));

                Map<String, Object> res = new LinkedHashMap<>();
                res.put("ratings", ratings.toString());
                res.put("users", all.users());
                res.put("items", all.items());
                res.put("train_ratings", sp.train().size());
                res.put("test_ratings", sp.test().size());
                res.put("rmse", rmse);
                res.put("rmse_item_mean", rmseItem);
                res.put("rmse_global_mean", rmseGlobal);
                res.put("train_rmse", trainRmse);
                if (loop.validation > 0) res.put("val_rmse", Math.sqrt(last(t.validationLoss())));
                res.put("seconds", t.seconds());
                res.put("model_dir", out.toString());
                config.put("results", new LinkedHashMap<>(res));
                Checkpoint.saveWeights(out.resolve(Checkpoint.MODEL), t.model());
                Checkpoint.saveConfig(out, config);
                log.emit("result", res);
                print(res, String.format(Locale.ROOT,
                        "AutoRec on %,d held-out ratings: RMSE %.4f (item mean %.4f, global mean %.4f; train %.4f) in %.1fs; model in %s",
                        sp.test().size(), rmse, rmseItem, rmseGlobal, trainRmse, t.seconds(), out));
                return 0;
            } finally {
                t.model().close();
            }
        }
    }

    /** The ratings as {@code user,item,rating,split} (split: train or test), so 'recommend' needs no other file. */
    static void writeRatings(Path file, Ratings r, boolean[] heldOut) {
        // the original order, so that reading it back numbers users and items as training did
        StringBuilder b = new StringBuilder("user,item,rating,split\n");
        for (int k = 0; k < r.size(); k++) {
            b.append(CsvText.field(r.userIds().get(r.user(k)))).append(',').append(CsvText.field(r.itemIds().get(r.item(k))))
                    .append(',')
                    .append(r.rating(k)).append(',').append(heldOut[k] ? "test" : "train").append('\n');
        }
        AtomicFiles.writeString(file, b.toString());
    }
}
