package dev.bottleneck.apps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.data.Ratings;
import dev.bottleneck.model.MaskedLoss;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.CliRun;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AutoRec: the masked loss (value and float64 gradient check), RMSE and baselines, ratings CSV, recommend. */
class AutoRecTest {
    private final Backend be = BackendsUnderTest.reference();

    private double maskedLoss(double[] p, double[] t, double[] m, int rows, int cols, double l2, double[] gradOut) {
        double obs = 0;
        for (double v : m) obs += v;
        try (TensorScope s = new TensorScope(be); Graph g = new Graph(be, true, gradOut != null, 0)) {
            Var pv = gradOut != null ? g.leaf(s.tensor(p, rows, cols)) : g.constant(s.tensor(p, rows, cols));
            Var loss = MaskedLoss.mse(g, pv, g.constant(s.tensor(t, rows, cols)), g.constant(s.tensor(m, rows, cols)), obs);
            if (l2 > 0) loss = g.add(loss, MaskedLoss.l2(g, pv, l2));
            double v = be.memory().readScalar(loss.value());
            if (gradOut != null) {
                g.backward(loss);
                double[] gr = TensorScope.download(be, pv.grad());
                System.arraycopy(gr, 0, gradOut, 0, gr.length);
            }
            return v;
        }
    }

    @Test
    void maskedMseValueAndFloat64GradientCheck() {
        int rows = 5, cols = 7, n = rows * cols;
        SplittableRandom r = new SplittableRandom(11);
        double[] p = new double[n], t = new double[n], m = new double[n];
        for (int k = 0; k < n; k++) {
            p[k] = r.nextDouble(-2, 2);
            t[k] = r.nextDouble(0.5, 5);
            m[k] = r.nextDouble() < 0.4 ? 1 : 0;
        }
        m[0] = 1;
        m[1] = 0;
        double obs = 0, sse = 0;
        for (int k = 0; k < n; k++) {
            obs += m[k];
            sse += m[k] * (p[k] - t[k]) * (p[k] - t[k]);
        }
        assertEquals(sse / obs, maskedLoss(p, t, m, rows, cols, 0, null), 1e-12, "masked MSE value");
        for (double l2 : new double[] {0, 0.3}) {
            double[] analytic = new double[n];
            maskedLoss(p, t, m, rows, cols, l2, analytic);
            double eps = 1e-6;
            for (int k = 0; k < n; k++) {
                double[] q = p.clone();
                q[k] = p[k] + eps;
                double fp = maskedLoss(q, t, m, rows, cols, l2, null);
                q[k] = p[k] - eps;
                double fm = maskedLoss(q, t, m, rows, cols, l2, null);
                double num = (fp - fm) / (2 * eps);
                assertEquals(num, analytic[k], 1e-6 * Math.abs(num) + 1e-8, "d loss / d pred[" + k + "], l2 " + l2);
                if (l2 == 0 && m[k] == 0) assertEquals(0.0, analytic[k], 0.0, "unobserved entries get no gradient");
            }
        }
    }

    @Test
    void rmseAndBaselines() {
        Ratings train = new Ratings(new int[] {0, 1, 0, 1}, new int[] {0, 0, 1, 1}, new float[] {4, 2, 5, 3},
                List.of("u1", "u2"), List.of("a", "b", "c"), "test");
        Ratings test = new Ratings(new int[] {0, 1}, new int[] {1, 2}, new float[] {4, 1}, train.userIds(), train.itemIds(), "test");
        assertEquals(Math.sqrt((1 + 4) / 2.0), AutoRec.rmse(new double[] {5, 3}, test), 1e-12);
        // item means: a 3, b 4, c (no ratings) the global mean 3.5
        double[] im = AutoRec.itemMeanPredictions(train, test);
        assertEquals(4.0, im[0], 0);
        assertEquals(3.5, im[1], 0);
        assertEquals(Math.sqrt((0 + 6.25) / 2), AutoRec.rmse(im, test), 1e-12);
        assertEquals(Math.sqrt((0.25 + 6.25) / 2), AutoRec.rmse(AutoRec.globalMeanPredictions(train, test), test), 1e-12);
    }

    @Test
    void recommendSkipsRatedItemsAndSortsByPrediction() {
        float[] pred = {4.9f, 3.0f, 4.5f, 4.8f, 1.0f};
        boolean[] rated = {true, false, false, true, false};
        List<AutoRec.Recommendation> r = AutoRec.recommend(pred, rated, List.of("a", "b", "c", "d", "e"), 2);
        assertEquals(List.of("c", "b"), r.stream().map(AutoRec.Recommendation::id).toList());
        assertEquals(3, AutoRec.recommend(pred, rated, List.of("a", "b", "c", "d", "e"), 10).size(), "only unrated items");
    }

    @Test
    void readsRQuotedHeaderAndSplitsReproducibly(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("r.csv");
        Files.writeString(f, "\"userId\",\"movieId\",\"rating\",\"timestamp\"\n1,31,2.5,1260759144\n1,1029,3,1260759179\n2,31,4,1\n");
        Ratings r = Ratings.readCsv(f);
        assertEquals(3, r.size());
        assertEquals(List.of("1", "2"), r.userIds());
        assertEquals(List.of("31", "1029"), r.itemIds());
        assertEquals(4f, r.rating(2));
        Path g = tmp.resolve("plain.csv"); // no header, item before user by name is not possible: positional
        Files.writeString(g, "7,x,1\n8,y,2\n");
        assertEquals(List.of("x", "y"), Ratings.readCsv(g).itemIds());
        Path bad = tmp.resolve("bad.csv");
        Files.writeString(bad, "user,item,rating\n1,2,abc\n");
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.bottleneck.BottleneckException.class, () -> Ratings.readCsv(bad));
        assertTrue(e.getMessage().contains("bad.csv:2"), e.getMessage());
        Ratings.Split a = r.split(0.34, 5), b = r.split(0.34, 5);
        assertEquals(1, a.test().size());
        assertEquals(a.test().item(0), b.test().item(0));
    }

    /** A small synthetic rating matrix with structure (two user groups with opposite tastes); the CLI end to end. */
    @Test
    void autorecAndRecommendCommands(@TempDir Path tmp) throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        StringBuilder b = new StringBuilder("user,item,rating\n");
        int users = 40, items = 30;
        for (int u = 0; u < users; u++) {
            for (int i = 0; i < items; i++) {
                if (r.nextDouble() > 0.5) continue;
                double like = (u % 2 == 0) == (i % 2 == 0) ? 4.5 : 1.5;
                b.append("u").append(u).append(",m").append(i).append(',').append(Math.round((like + r.nextDouble(-0.5, 0.5)) * 2) / 2.0).append('\n');
            }
        }
        Path csv = tmp.resolve("ratings.csv");
        Files.writeString(csv, b.toString());
        Path out = tmp.resolve("model");
        CliRun t = run("autorec", "--ratings", csv.toString(), "--out", out.toString(), "--hidden", "16", "--epochs", "60", "--batch", "8",
                "--lr", "0.01", "--l2", "0.001", "--backend", "cpu", "--json");
        assertEquals(0, t.rc, t.err);
        JsonNode j = new ObjectMapper().readTree(t.lastLine());
        System.out.println(t.lastLine());
        assertTrue(j.get("rmse").asDouble() < j.get("rmse_item_mean").asDouble(), "AutoRec must beat the item mean on structured data");
        for (String f : List.of("model.safetensors", "config.json", "ratings.csv")) assertTrue(Files.isRegularFile(out.resolve(f)), f);

        CliRun rec = run("recommend", out.toString(), "--user", "u0", "--top", "5", "--backend", "cpu", "--json");
        assertEquals(0, rec.rc, rec.err);
        JsonNode rj = new ObjectMapper().readTree(rec.lastLine());
        Set<String> rated = new HashSet<>();
        for (String line : Files.readAllLines(csv)) if (line.startsWith("u0,")) rated.add(line.split(",")[1]);
        assertEquals(Math.min(5, items - rated.size()), rj.get("recommendations").size());
        int even = 0;
        for (JsonNode n : rj.get("recommendations")) {
            String item = n.get("item").asText();
            assertFalse(rated.contains(item), "recommended an item u0 already rated: " + item);
            if (Integer.parseInt(item.substring(1)) % 2 == 0) even++;
        }
        assertTrue(even >= 3, "u0 likes even items; recommended " + rj.get("recommendations"));

        CliRun bad = run("recommend", out.toString(), "--user", "nobody", "--backend", "cpu");
        assertEquals(1, bad.rc);
        assertTrue(bad.err.contains("user 'nobody'"), bad.err);
    }

    static CliRun run(String... args) { return new CliRun(args); }

}
