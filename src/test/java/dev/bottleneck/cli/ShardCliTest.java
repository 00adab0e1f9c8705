package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.io.IdxFixtures;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static dev.bottleneck.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code bottleneck shard}, then train / eval / encode / index / detect on the shard directory: the same weights, losses,
 * codes and scores as on the data in memory.
 */
class ShardCliTest {
    @TempDir static Path tmp;
    static Path idx, shards;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void data() throws Exception {
        idx = IdxFixtures.writeDigitsFolder(tmp.resolve("idx"), 600, 120, 12);
        shards = tmp.resolve("shards");
        CliTest.Run r = run("shard", idx.toString(), "--out", shards.toString(), "--shard-size", "20KB", "--json");
        assertEquals(0, r.rc(), r.err());
        JsonNode j = JSON.readTree(r.lastLine());
        assertEquals(600, j.get("train_samples").asInt());
        assertEquals(120, j.get("test_samples").asInt());
        assertEquals(5, j.get("train_shards").asInt(), "142 samples of 144 bytes per 20 KiB shard");
        assertEquals("uint8", j.get("dtype").asText());
    }

    static JsonNode train(Path out, String data, String... extra) throws Exception {
        List<String> a = new ArrayList<>(List.of("train", data, "--out", out.toString(), "--backend", "cpu", "--json"));
        List<String> more = Arrays.asList(extra);
        // defaults that the extra options may override
        for (String[] d : new String[][] {{"--model", "144-24-8"}, {"--epochs", "3"}, {"--batch", "50"}}) {
            if (!more.contains(d[0])) a.addAll(List.of(d));
        }
        a.addAll(more);
        CliTest.Run r = run(a.toArray(String[]::new));
        assertEquals(0, r.rc(), r.err());
        return JSON.readTree(r.lastLine());
    }

    static void sameRun(JsonNode a, JsonNode b, Path da, Path db) throws Exception {
        for (String k : List.of("train_loss", "val_loss", "test_loss", "epochs")) assertEquals(a.get(k), b.get(k), k);
        assertArrayEquals(Files.readAllBytes(da.resolve("model.safetensors")), Files.readAllBytes(db.resolve("model.safetensors")),
                "bit-identical weights");
        assertArrayEquals(Files.readAllBytes(da.resolve("optimizer.safetensors")), Files.readAllBytes(db.resolve("optimizer.safetensors")));
        assertEquals(metrics(da), metrics(db), "per epoch: losses, learning rate and mean code activation");
    }

    /** metrics.csv without the timing columns. */
    static List<String> metrics(Path dir) throws Exception {
        return Files.readAllLines(dir.resolve("metrics.csv")).stream().map(l -> {
            String[] c = l.split(",");
            return c[0] + "," + c[1] + "," + c[2] + "," + c[3] + "," + c[6];
        }).toList();
    }

    @Test
    void trainingOnShardsGivesTheWeightsOfTrainingInMemory() throws Exception {
        Path a = tmp.resolve("mem"), b = tmp.resolve("sh"), c = tmp.resolve("sh3");
        JsonNode ra = train(a, idx.toString());
        JsonNode rb = train(b, shards.toString());
        sameRun(ra, rb, a, b);
        // more loader threads, a shallow read-ahead, denoising noise clipped to the range from the manifest
        Path d = tmp.resolve("memn"), e = tmp.resolve("shn");
        sameRun(train(d, idx.toString(), "--noise", "gaussian:0.3", "--limit", "400"),
                train(e, shards.toString(), "--noise", "gaussian:0.3", "--limit", "400", "--loader-threads", "3", "--prefetch", "2"), d, e);
        JsonNode rc = train(c, shards.toString(), "--loader-threads", "0", "--scale", "minmax", "--validation", "0");
        Path f = tmp.resolve("memmm");
        sameRun(train(f, idx.toString(), "--scale", "minmax", "--validation", "0"), rc, f, c);
    }

    @Test
    void resumingOnShardsContinuesExactly() throws Exception {
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        JsonNode w = train(whole, shards.toString());
        train(parts, shards.toString(), "--epochs", "1");
        JsonNode p = train(parts, shards.toString(), "--resume");
        sameRun(w, p, whole, parts);
    }

    @Test
    void evalEncodeIndexAndDetectOnShardsMatchInMemory() throws Exception {
        Path a = tmp.resolve("m2"), b = tmp.resolve("s2");
        train(a, idx.toString());
        train(b, shards.toString());
        for (String split : List.of("test", "train")) {
            CliTest.Run ea = run("eval", a.toString(), "--split", split, "--json"), eb = run("eval", b.toString(), "--split", split, "--json");
            assertEquals(0, eb.rc(), eb.err());
            assertEquals(JSON.readTree(ea.lastLine()).get("test_loss"), JSON.readTree(eb.lastLine()).get("test_loss"), split);
        }
        for (String f : List.of("codes.csv", "codes.npy")) {
            CliTest.Run ca = run("encode", a.toString(), "--out", tmp.resolve("a-" + f).toString(), "--batch", "37");
            CliTest.Run cb = run("encode", b.toString(), "--out", tmp.resolve("b-" + f).toString(), "--batch", "37", "--loader-threads", "2");
            assertEquals(0, ca.rc(), ca.err());
            assertEquals(0, cb.rc(), cb.err());
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a-" + f)), Files.readAllBytes(tmp.resolve("b-" + f)), f);
        }
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a-codes.labels.npy")), Files.readAllBytes(tmp.resolve("b-codes.labels.npy")));
        CliTest.Run ia = run("index", a.toString(), "--out", tmp.resolve("a.safetensors").toString());
        CliTest.Run ib = run("index", b.toString(), "--out", tmp.resolve("b.safetensors").toString());
        assertEquals(0, ib.rc(), ib.err());
        var ta = dev.bottleneck.io.Safetensors.read(tmp.resolve("a.safetensors"));
        var tb = dev.bottleneck.io.Safetensors.read(tmp.resolve("b.safetensors"));
        assertArrayEquals(ta.tensors().get("codes").f32(), tb.tensors().get("codes").f32());
        CliTest.Run da = run("detect", a.toString(), "--out", tmp.resolve("da").toString(), "--normal-labels", "1,2,3,4,5,6,7,8,9");
        CliTest.Run db = run("detect", b.toString(), "--out", tmp.resolve("db").toString(), "--normal-labels", "1,2,3,4,5,6,7,8,9");
        assertEquals(0, db.rc(), db.err());
        assertEquals(Files.readString(tmp.resolve("da/scores.csv")), Files.readString(tmp.resolve("db/scores.csv")));
        assertTrue(Files.isRegularFile(tmp.resolve("db/errors.png")));
        // commands that need the whole split load it from the shards
        CliTest.Run rec = run("reconstruct", b.toString(), "--out", tmp.resolve("r.png").toString());
        assertEquals(0, rec.rc(), rec.err());
    }

    @Test
    void anImageFolderStreamedFromItsFilesTrainsLikeOneInMemory() throws Exception {
        Path dir = tmp.resolve("pics");
        SplittableRandom r = new SplittableRandom(8);
        for (String cls : List.of("a", "b")) {
            Files.createDirectories(dir.resolve(cls));
            for (int i = 0; i < 60; i++) {
                BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) img.getRaster().setSample(x, y, 0, cls.equals("a") ? x * 30 : r.nextInt(256));
                assertTrue(ImageIO.write(img, "png", dir.resolve(cls).resolve(i + ".png").toFile()));
            }
        }
        Path a = tmp.resolve("fm"), b = tmp.resolve("fs");
        JsonNode ra = train(a, dir.toString(), "--model", "64-8-64", "--batch", "16");
        JsonNode rb = train(b, dir.toString(), "--model", "64-8-64", "--batch", "16", "--stream", "--loader-threads", "2");
        sameRun(ra, rb, a, b);
        CliTest.Run e = run("eval", b.toString(), "--json");
        assertEquals(0, e.rc(), e.err());
        assertEquals(ra.get("test_loss"), JSON.readTree(e.lastLine()).get("test_loss"), "eval streams the folder the model was trained on");
    }

    @Test
    void tablesAndSeriesWindowsTrainFromShards() throws Exception {
        Path csv = tmp.resolve("table.csv");
        StringBuilder sb = new StringBuilder("id,a,b,c,d,class\n");
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 300; i++) {
            double t = r.nextDouble();
            sb.append(i).append(',').append(10 * t).append(',').append(-t * t).append(',').append(r.nextGaussian()).append(',')
              .append(3 + t).append(',').append(t > 0.5 ? "hi" : "lo").append('\n');
        }
        Files.writeString(csv, sb.toString());
        Path s = tmp.resolve("table-shards");
        CliTest.Run c = run("shard", csv.toString(), "--csv-label", "class", "--csv-skip", "id", "--out", s.toString(), "--seed", "3");
        assertEquals(0, c.rc(), c.err());
        String[] table = {"--model", "4-3:linear", "--loss", "mse", "--batch", "20", "--seed", "3"};
        Path a = tmp.resolve("t-mem"), b = tmp.resolve("t-sh");
        List<String> mem = new ArrayList<>(List.of(table));
        mem.addAll(List.of("--csv-label", "class", "--csv-skip", "id"));
        sameRun(train(a, csv.toString(), mem.toArray(String[]::new)), train(b, s.toString(), table), a, b);   // minmax: exact
        // standard scaling: the one-pass standard deviation agrees with the two-pass one to rounding
        List<String> std = new ArrayList<>(mem);
        std.addAll(List.of("--scale", "standard"));
        List<String> stdS = new ArrayList<>(List.of(table));
        stdS.addAll(List.of("--scale", "standard"));
        JsonNode x = train(tmp.resolve("t-mem-std"), csv.toString(), std.toArray(String[]::new));
        JsonNode y = train(tmp.resolve("t-sh-std"), s.toString(), stdS.toArray(String[]::new));
        assertEquals(x.get("test_loss").asDouble(), y.get("test_loss").asDouble(), 1e-6 * x.get("test_loss").asDouble());

        Path series = tmp.resolve("series.csv");
        StringBuilder ts = new StringBuilder("time,u,v\n");
        for (int i = 0; i < 400; i++) ts.append(i).append(',').append(Math.sin(i / 7.0)).append(',').append(Math.cos(i / 11.0)).append('\n');
        Files.writeString(series, ts.toString());
        Path w = tmp.resolve("windows");
        CliTest.Run cw = run("shard", series.toString(), "--series", "--window", "8", "--stride", "2", "--timestamp", "time",
                "--out", w.toString(), "--json");
        assertEquals(0, cw.rc(), cw.err());
        assertEquals(157, JSON.readTree(cw.lastLine()).get("train_samples").asInt(), "rows 0..319, windows of 8 every 2");
        JsonNode tw = train(tmp.resolve("w-run"), w.toString(), "--model", "16-4:linear", "--loss", "mse", "--batch", "16",
                "--epochs", "60", "--lr", "0.01");
        // predicting every value's mean would score about 0.125 (the variance of a scaled sine)
        assertTrue(tw.get("test_loss").asDouble() < 0.03, "the windows are learnable: " + tw.get("test_loss"));
    }

    @Test
    void brokenShardsAndBadOptionsFailWithOneLine() throws Exception {
        Path bad = tmp.resolve("bad");
        Files.createDirectories(bad);
        for (Path f : Files.list(shards).toList()) Files.copy(f, bad.resolve(f.getFileName()));
        Files.delete(bad.resolve("train-00003.npy"));
        HostileCliTest.fails(1, run("train", bad.toString(), "--epochs", "1"), "train-00003.npy", "missing");
        HostileCliTest.fails(1, run("shard", idx.toString(), "--out", shards.toString()), "not empty");
        HostileCliTest.fails(2, run("shard", idx.toString(), "--out", tmp.resolve("x").toString(), "--shard-size", "lots"), "--shard-size");
        HostileCliTest.fails(2, run("shard", idx.toString(), "--out", tmp.resolve("y").toString(), "--dtype", "u7"), "--dtype");
        HostileCliTest.fails(2, run("train", shards.toString(), "--loader-threads", "-1"), "--loader-threads");
        assertFalse(Files.exists(tmp.resolve("y").resolve("manifest.json")));
    }

    @Test
    void realMnistFromShardsGivesTheWeightsAndTestLossOfTrainMnist() throws Exception {
        try {
            DataSources.resolve("mnist", null, null, 42);
        } catch (dev.bottleneck.BottleneckException e) {
            Assumptions.abort("MNIST is not installed: run scripts/fetch-data.sh");
        }
        Path s = tmp.resolve("mnist-shards");
        CliTest.Run c = run("shard", "mnist", "--out", s.toString());
        assertEquals(0, c.rc(), c.err());
        Path a = tmp.resolve("w1-mem"), b = tmp.resolve("w1-shards");
        String[] w1 = {"--model", "w1", "--batch", "256", "--epochs", "2", "--limit", "12000"};
        JsonNode ra = train(a, "mnist", w1), rb = train(b, s.toString(), w1);
        sameRun(ra, rb, a, b);
        assertTrue(ra.get("test_loss").asDouble() < 0.3, "W1 learns: " + ra.get("test_loss"));
    }
}
