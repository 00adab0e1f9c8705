package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.AutoRec;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Ratings;
import dev.bottleneck.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "recommend", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Recommend items to a user with an AutoRec model written by 'bottleneck autorec': the items the user has not "
                + "rated (in either split), highest predicted rating first.",
                "Example:",
                "  bottleneck recommend runs/autorec --user 15 --top 10"})
final class RecommendCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory written by 'bottleneck autorec'.")
    Path modelDir;

    @Option(names = "--user", required = true, paramLabel = "U", description = "The user's id as in the ratings file.")
    String user;

    @Range(min = 1)
    @Option(names = {"-n", "--top"}, defaultValue = "10", paramLabel = "N", description = "How many items (default: ${DEFAULT-VALUE}).")
    int top;

    @Mixin JsonOption jsonOption;

    @Mixin BackendOptionsMixin backendOptions;

    @Override
    public Integer call() {
        if (top < 1) throw new BottleneckException("--top must be at least 1");
        Map<String, Object> config = Checkpoint.readConfig(modelDir);
        if (!"autorec".equals(config.get("kind"))) {
            throw new BottleneckException(modelDir + " holds no AutoRec model (its config.json has no \"kind\": \"autorec\"); train one with 'bottleneck autorec'");
        }
        Path rf = modelDir.resolve(AutoRecCommand.RATINGS);
        if (!Files.isRegularFile(rf)) throw new BottleneckException("no ratings in " + modelDir + ": " + AutoRecCommand.RATINGS + " not found");
        Ratings.Split sp = Ratings.readSplit(rf);
        Ratings train = sp.train();
        int u = train.userIndex(user);
        if (u < 0) throw new BottleneckException("user '" + user + "' is not in " + rf + " (" + train.users() + " users, e.g. " + train.userIds().get(0) + ")");
        Log log = new Log(spec.commandLine().getErr(), false);
        try (Backend be = backendOptions.create(log)) {
            Checkpoint.Loaded l = Checkpoint.load(modelDir, be);
            try {
                AutoRec.Matrix mx = AutoRec.matrix(train);
                if (l.model().inputFeatures() != mx.users()) {
                    throw new BottleneckException(modelDir + ": the model takes " + l.model().inputFeatures() + " users but " + rf + " has " + mx.users());
                }
                float[] pred = AutoRec.predictUser(l.model(), mx, u);
                double[] range = AutoRec.range(train);
                for (int i = 0; i < pred.length; i++) pred[i] = (float) Math.max(range[0], Math.min(range[1], pred[i]));
                boolean[] rated = new boolean[train.items()];
                int nRated = 0;
                for (Ratings r : List.of(sp.train(), sp.test())) {
                    for (int k = 0; k < r.size(); k++) {
                        if (r.user(k) == u && !rated[r.item(k)]) {
                            rated[r.item(k)] = true;
                            nRated++;
                        }
                    }
                }
                List<AutoRec.Recommendation> recs = AutoRec.recommend(pred, rated, train.itemIds(), top);
                List<Map<String, Object>> items = new ArrayList<>();
                StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "top %d items for user %s (who rated %d):", recs.size(), user, nRated));
                for (AutoRec.Recommendation r : recs) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("item", r.id());
                    m.put("predicted", r.predicted());
                    items.add(m);
                    text.append(String.format(Locale.ROOT, "%n  %-10s %.3f", r.id(), r.predicted()));
                }
                Map<String, Object> res = new LinkedHashMap<>();
                res.put("model_dir", modelDir.toString());
                res.put("user", user);
                res.put("rated", nRated);
                res.put("recommendations", items);
                PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, text.toString());
                return 0;
            } finally {
                l.model().close();
            }
        }
    }
}
