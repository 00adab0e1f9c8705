package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.apps.ModelOps;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BackendOptions;
import dev.bottleneck.backend.Backends;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.io.IdxFixtures;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.tensor.DType;
import dev.bottleneck.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bottleneck score}: a new file or folder scored with a trained model's scaling and the threshold {@code detect}
 * saved, every item keeping its identity; the numbers are those {@code detect} computes for the same items.
 */
class ScoreCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A table with an id column, a string class column and three correlated features; every 25th row is odd. */
    static String table(int rows, long seed, boolean withLabel) {
        StringBuilder b = new StringBuilder("order_id,").append("width,height,weight").append(withLabel ? ",kind" : "").append('\n');
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < rows; i++) {
            boolean odd = i % 25 == 3;
            double w = 10 + 5 * r.nextDouble(), h = 2 * w + r.nextDouble(), m = w * h / 10 + r.nextDouble() + (odd ? 25 : 0);
            b.append(String.format(Locale.ROOT, "ord-%d-%d,%.3f,%.3f,%.3f", seed, i, w, h, m));
            if (withLabel) b.append(odd ? ",odd" : ",normal");
            b.append('\n');
        }
        return b.toString();
    }

    /** The rows of a CSV file written by the CLI, by column name (no quoted cells in these tests). */
    static List<Map<String, String>> rows(Path csv) throws Exception {
        List<String> lines = Files.readAllLines(csv);
        String[] head = lines.get(0).split(",");
        List<Map<String, String>> out = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) {
            String[] c = l.split(",", -1);
            assertEquals(head.length, c.length, l);
            Map<String, String> m = new LinkedHashMap<>();
            for (int j = 0; j < head.length; j++) m.put(head[j], c[j]);
            out.add(m);
        }
        return out;
    }

    private static CliTest.Run ok(String... args) {
        CliTest.Run r = CliTest.run(args);
        assertEquals(0, r.rc(), String.join(" ", args) + ": " + r.err());
        return r;
    }

    private static void fails(String part, String... args) {
        CliTest.Run r = CliTest.run(args);
        assertNotEquals(0, r.rc(), String.join(" ", args));
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error:")).toList();
        assertEquals(1, errors.size(), r.err());
        assertTrue(errors.get(0).contains(part), r.err());
    }

    @Test
    void aNewTableIsScoredWithTheSavedThresholdAndKeepsItsIds(@TempDir Path tmp) throws Exception {
        Path train = tmp.resolve("orders.csv"), fresh = tmp.resolve("new-orders.csv"), model = tmp.resolve("m"), det = tmp.resolve("det");
        Files.writeString(train, table(500, 1, true));
        Files.writeString(fresh, table(120, 2, false));   // no label column
        ok("train", train.toString(), "--csv-label", "kind", "--id-column", "order_id", "--model", "3-8-2", "--loss", "mse",
                "--lr", "0.01", "--epochs", "30", "--batch", "32", "--out", model.toString(), "--backend", "cpu");
        // score needs a threshold: before detect has saved one, the message says how to get one
        fails("run 'bottleneck detect", "score", model.toString(), fresh.toString(), "--out", tmp.resolve("none.csv").toString());
        JsonNode d = JSON.readTree(ok("detect", model.toString(), "--out", det.toString(), "--normal-labels", "0", "--backend", "cpu",
                "--json").lastLine());
        double threshold = d.get("threshold").asDouble();
        assertTrue(Files.isRegularFile(model.resolve("threshold.json")), "detect saves its threshold with the model");

        // detect's outputs name each row by its id column, not by a position in the shuffled test split
        List<Map<String, String>> detected = rows(det.resolve("scores.csv"));
        assertEquals(List.of("index", "id", "label", "anomaly", "error", "flag"), List.copyOf(detected.get(0).keySet()));
        assertTrue(detected.get(0).get("id").startsWith("ord-1-"), detected.get(0).toString());

        Path out = tmp.resolve("s").resolve("scores.csv");
        JsonNode s = JSON.readTree(ok("score", model.toString(), fresh.toString(), "--out", out.toString(), "--backend", "cpu",
                "--json").lastLine());
        assertEquals(120, s.get("items").asInt());
        assertEquals(threshold, s.get("threshold").asDouble(), 0.0);
        List<Map<String, String>> scored = rows(out);
        assertEquals(List.of("index", "id", "score", "flag"), List.copyOf(scored.get(0).keySet()));
        int flagged = 0;
        for (int i = 0; i < 120; i++) {
            Map<String, String> r = scored.get(i);
            assertEquals(Integer.toString(i), r.get("index"));
            assertEquals("ord-2-" + i, r.get("id"));
            boolean flag = r.get("flag").equals("1");
            assertEquals(Double.parseDouble(r.get("score")) > threshold, flag, r.toString());
            if (flag) flagged++;
        }
        assertEquals(flagged, s.get("flagged").asInt());
        assertEquals(flagged + 1, Files.readAllLines(tmp.resolve("s").resolve("flagged.csv")).size());
        // the odd rows (every 25th) are the ones that stand out
        int oddFlagged = 0;
        for (int i = 3; i < 120; i += 25) if (scored.get(i).get("flag").equals("1")) oddFlagged++;
        assertEquals(5, oddFlagged, "odd rows flagged");

        // the training file itself, scored: detect's test rows get detect's scores, found by their ids
        Path again = tmp.resolve("again.csv");
        ok("score", model.toString(), train.toString(), "--out", again.toString(), "--backend", "cpu");
        sameAsDetect(detected, again, 500);   // the class names pass through (detect names them too)

        // --threshold: a number, or a rule computed on the validation hold-out as detect computes it
        JsonNode fixed = JSON.readTree(ok("score", model.toString(), fresh.toString(), "--out", tmp.resolve("t.csv").toString(),
                "--threshold", "1e9", "--backend", "cpu", "--json").lastLine());
        assertEquals(0, fixed.get("flagged").asInt());
        JsonNode rule = JSON.readTree(ok("score", model.toString(), fresh.toString(), "--out", tmp.resolve("r.csv").toString(),
                "--threshold", "p99", "--backend", "cpu", "--json").lastLine());
        assertEquals(threshold, rule.get("threshold").asDouble(), 1e-12 * threshold);

        // one-line errors
        fails("is for --score mse", "score", model.toString(), fresh.toString(), "--out", tmp.resolve("e.csv").toString(), "--score", "sum");
        Path reordered = tmp.resolve("reordered.csv");
        Files.writeString(reordered, "order_id,height,width,weight\nx,20,10,21\n");
        fails("not the 3 the model was trained on, [width, height, weight]", "score", model.toString(), reordered.toString(),
                "--out", tmp.resolve("e.csv").toString());
        Path images = tmp.resolve("pics");
        Files.createDirectories(images);
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY), "png", images.resolve("a.png").toFile());
        fails("was not trained on images", "score", model.toString(), images.toString(), "--out", tmp.resolve("e.csv").toString());
        fails("unknown --score 'median'", "score", model.toString(), fresh.toString(), "--out", tmp.resolve("e.csv").toString(),
                "--score", "median");
        fails("no such file or folder", "score", model.toString(), tmp.resolve("missing.csv").toString(), "--out",
                tmp.resolve("e.csv").toString());
        assertFalse(Files.exists(tmp.resolve("e.csv")), "nothing written on errors");
        // shard directories store no ids: the option is refused there, not dropped
        fails("shard directories store no ids", "shard", train.toString(), "--csv-label", "kind", "--id-column", "order_id", "--out",
                tmp.resolve("shards").toString());
        assertFalse(Files.exists(tmp.resolve("shards")));
    }

    @Test
    void perNonzeroScoresBagOfWordsVectorsOnTheirWords(@TempDir Path tmp) throws Exception {
        // documents as word counts over a 12-word vocabulary: short and long ones, most entries zero
        Path docs = tmp.resolve("docs.csv");
        StringBuilder b = new StringBuilder("doc");
        for (int j = 0; j < 12; j++) b.append(",w").append(j);
        b.append('\n');
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < 400; i++) {
            int[] c = new int[12];
            int topic = r.nextInt(2), words = 2 + r.nextInt(i % 2 == 0 ? 3 : 20);
            for (int k = 0; k < words; k++) c[topic * 6 + r.nextInt(6)]++;
            b.append("doc").append(i);
            for (int v : c) b.append(',').append(v);
            b.append('\n');
        }
        Files.writeString(docs, b.toString());
        Path model = tmp.resolve("bow");
        ok("train", docs.toString(), "--id-column", "doc", "--model", "12-6-3", "--loss", "mse", "--epochs", "6", "--batch", "32",
                "--out", model.toString(), "--backend", "cpu");
        ok("detect", model.toString(), "--out", tmp.resolve("det").toString(), "--score", "per-nonzero", "--backend", "cpu");
        JsonNode saved = JSON.readTree(model.resolve("threshold.json").toFile());
        assertEquals("per-nonzero", saved.get("score").asText());
        Path nz = tmp.resolve("nz.csv"), mse = tmp.resolve("mse.csv"), sum = tmp.resolve("sum.csv");
        JsonNode res = JSON.readTree(ok("score", model.toString(), docs.toString(), "--out", nz.toString(), "--backend", "cpu", "--json")
                .lastLine());
        assertEquals("per-nonzero", res.get("score").asText(), "the saved threshold's score is the default");
        ok("score", model.toString(), docs.toString(), "--out", mse.toString(), "--score", "mse", "--threshold", "1", "--backend", "cpu");
        ok("score", model.toString(), docs.toString(), "--out", sum.toString(), "--score", "sum", "--threshold", "1", "--backend", "cpu");

        // the same numbers computed here from the model's reconstructions, in its scaled units
        List<String> lines = Files.readAllLines(docs);
        int n = lines.size() - 1;
        float[] raw = new float[n * 12];
        for (int i = 0; i < n; i++) {
            String[] c = lines.get(i + 1).split(",");
            for (int j = 0; j < 12; j++) raw[i * 12 + j] = Float.parseFloat(c[j + 1]);
        }
        var config = Checkpoint.readConfig(model);
        @SuppressWarnings("unchecked")
        Scaler scaler = Scaler.fromMap((Map<String, Object>) ((Map<String, Object>) config.get("data")).get("scaler"));
        float[] x = scaler.transform(raw);
        float[] rec;
        try (Backend be = Backends.create("cpu", new BackendOptions(DType.F32, false, 0), m -> { });
             Autoencoder ae = Checkpoint.load(model, be).model()) {
            rec = ModelOps.reconstruct(ae, x, n);
        }
        List<Map<String, String>> a = rows(nz), bm = rows(mse), bs = rows(sum);
        int differ = 0;
        for (int i = 0; i < n; i++) {
            double s = 0, snz = 0;
            int k = 0;
            for (int j = 0; j < 12; j++) {
                double t = x[i * 12 + j] - rec[i * 12 + j];
                s += t * t;
                if (raw[i * 12 + j] != 0) {
                    snz += t * t;
                    k++;
                }
            }
            assertEquals("doc" + i, a.get(i).get("id"));
            assertClose(snz / k, a.get(i).get("score"));
            assertClose(s / 12, bm.get(i).get("score"));
            assertClose(s, bs.get(i).get("score"));
            if (Math.abs(snz / k - s / 12) > 1e-3 * (s / 12)) differ++;
        }
        assertTrue(differ > n / 2, "per-nonzero differs from mse on most documents: " + differ);
    }

    /**
     * Checks that every row of detect's scores.csv has, in score's output of the whole input, a row with the same id,
     * score, flag and label (a class name in both where the classes have names); returns score's rows by id.
     */
    private static Map<String, Map<String, String>> sameAsDetect(List<Map<String, String>> detected, Path scored, int items) throws Exception {
        Map<String, Map<String, String>> byId = new HashMap<>();
        for (Map<String, String> r : rows(scored)) byId.put(r.get("id"), r);
        assertEquals(items, byId.size(), "ids are unique");
        for (Map<String, String> r : detected) {
            Map<String, String> mine = byId.get(r.get("id"));
            assertEquals(r.get("error"), mine.get("score"), r.get("id"));
            assertEquals(r.get("flag"), mine.get("flag"), r.get("id"));
            assertEquals(r.get("label"), mine.get("label"), r.get("id"));
        }
        return byId;
    }

    /** A value written with 6 significant digits. */
    private static void assertClose(double want, String written) {
        double got = Double.parseDouble(written), digit = Math.pow(10, Math.floor(Math.log10(Math.abs(want))) - 5);
        assertEquals(want, got, 0.5 * digit + 1e-6 * Math.abs(want), written);
    }

    /** A folder of 8x8 gray PNG images in two class sub-folders: "bars" and "noise". */
    static Path pictures(Path dir, int perClass, long seed) throws Exception {
        return pictures(dir, perClass, seed, List.of("bars", "noise"));
    }

    /** As above, with these classes; "blank" images are all white. */
    static Path pictures(Path dir, int perClass, long seed, List<String> classes) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        for (String cls : classes) {
            Files.createDirectories(dir.resolve(cls));
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
                int phase = r.nextInt(8);
                for (int y = 0; y < 8; y++) {
                    for (int x = 0; x < 8; x++) {
                        int v = cls.equals("bars") ? ((x + phase) % 4 < 2 ? 220 : 30) : cls.equals("blank") ? 255 : r.nextInt(256);
                        img.getRaster().setSample(x, y, 0, v);
                    }
                }
                assertTrue(ImageIO.write(img, "png", dir.resolve(cls).resolve(String.format(Locale.ROOT, "img%03d.png", i)).toFile()));
            }
        }
        return dir;
    }

    @Test
    void imagesAreKnownByTheirPathsAndScoreAsDetectScoresThem(@TempDir Path tmp) throws Exception {
        Path pics = pictures(tmp.resolve("pics"), 60, 1), model = tmp.resolve("m"), det = tmp.resolve("det");
        ok("train", pics.toString(), "--model", "64-16-4", "--epochs", "4", "--batch", "16", "--out", model.toString(), "--backend", "cpu",
                "--pictures", "0");
        ok("detect", model.toString(), "--out", det.toString(), "--backend", "cpu", "--top", "0");
        List<Map<String, String>> detected = rows(det.resolve("scores.csv"));
        assertTrue(detected.get(0).get("id").matches("(bars|noise)/img\\d{3}\\.png"), detected.get(0).toString());

        // the training folder scored image by image (streamed from its files): detect's test images get detect's numbers
        Path all = tmp.resolve("all.csv");
        ok("score", model.toString(), pics.toString(), "--out", all.toString(), "--backend", "cpu", "--loader-threads", "2");
        Map<String, Map<String, String>> byId = sameAsDetect(detected, all, 120); // by class name, in both

        // encode, index and search carry the path too
        Path codes = tmp.resolve("codes.csv");
        ok("encode", model.toString(), "--out", codes.toString());
        List<Map<String, String>> c = rows(codes);
        for (int i = 0; i < c.size(); i++) assertEquals(detected.get(i).get("id"), c.get(i).get("id"), "encode row " + i);
        ok("encode", model.toString(), "--out", tmp.resolve("codes.npy").toString());
        JsonNode npyIds = JSON.readTree(tmp.resolve("codes.ids.json").toFile());
        assertEquals(detected.get(5).get("id"), npyIds.get(5).asText());
        Path index = tmp.resolve("index.safetensors");
        ok("index", model.toString(), "--split", "train", "--out", index.toString());
        JsonNode hits = JSON.readTree(ok("search", index.toString(), "--query", "0", "--k", "3", "--json", "--backend", "cpu").lastLine());
        assertEquals(detected.get(0).get("id"), hits.get("query_id").asText());
        JsonNode indexIds = JSON.readTree(dev.bottleneck.io.Safetensors.read(index).metadata().get("ids"));
        for (JsonNode h : hits.get("neighbours")) {
            assertEquals(indexIds.get(h.get("row").asInt()).asText(), h.get("id").asText());
            assertTrue(byId.containsKey(h.get("id").asText()), h.toString());
        }
    }

    @Test
    void idxFilesAndShardDirectoriesAreScoredToo(@TempDir Path tmp) throws Exception {
        Path data = IdxFixtures.writeDigitsFolder(tmp.resolve("digits"), 400, 100, 8), model = tmp.resolve("m"), det = tmp.resolve("det");
        ok("train", data.toString(), "--model", "64-12-4", "--epochs", "3", "--batch", "40", "--out", model.toString(), "--backend", "cpu",
                "--pictures", "0");
        ok("detect", model.toString(), "--out", det.toString(), "--backend", "cpu", "--top", "0");
        // the test file of the IDX folder is detect's test split: the same rows, in the same order
        Path s = tmp.resolve("s.csv");
        ok("score", model.toString(), data.resolve("t10k-images-idx3-ubyte").toString(), "--out", s.toString(), "--backend", "cpu");
        List<Map<String, String>> detected = rows(det.resolve("scores.csv")), scored = rows(s);
        assertEquals(100, scored.size());
        for (int i = 0; i < 100; i++) {
            assertEquals(detected.get(i).get("error"), scored.get(i).get("score"), "image " + i);
            assertEquals(detected.get(i).get("label"), scored.get(i).get("label"), "image " + i);
        }
        // the same data as a shard directory: every split, each sample known as split/position
        Path shards = tmp.resolve("shards");
        ok("shard", data.toString(), "--out", shards.toString());
        Path sh = tmp.resolve("sh.csv");
        JsonNode res = JSON.readTree(ok("score", model.toString(), shards.toString(), "--out", sh.toString(), "--backend", "cpu", "--json")
                .lastLine());
        assertEquals(500, res.get("items").asInt());
        List<Map<String, String>> fromShards = rows(sh);
        assertEquals("train/0", fromShards.get(0).get("id"));
        for (int i = 0; i < 100; i++) {
            Map<String, String> r = fromShards.get(400 + i);
            assertEquals("test/" + i, r.get("id"));
            assertEquals(detected.get(i).get("error"), r.get("score"), "test sample " + i);
        }
        JsonNode one = JSON.readTree(ok("score", model.toString(), shards.toString(), "--split", "test", "--out",
                tmp.resolve("one.csv").toString(), "--backend", "cpu", "--json").lastLine());
        assertEquals(100, one.get("items").asInt());
    }
}
