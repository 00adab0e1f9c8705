package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.testing.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Training on chosen classes only ({@code train --normal-labels / --exclude-labels}: the one-class protocol) and class
 * names kept from a text label column or class sub-folders, in config.json and in what detect, search, probe, cluster
 * and encode write.
 */
class LabelsCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static CliRun ok(String... args) {
        CliRun r = new CliRun(args);
        assertEquals(0, r.rc(), r.err());
        return r;
    }

    private static JsonNode json(CliRun r) throws Exception {
        return r.json();
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void aTableTrainsOnItsNormalClassesAndEveryOutputNamesTheClasses(@TempDir Path tmp) throws Exception {
        Path csv = LabelledData.table(tmp.resolve("table.csv"), 1000, 5);
        // what the run should keep: the training split (the seeded 80%) without the rare class
        TrainTest tt = DataSources.loadCsv(csv, CsvReader.options().labelColumn("kind").build(), 42);
        assertEquals(List.of(LabelledData.TABLE_CLASSES), tt.classes());
        Dataset tr = tt.train();
        int kept = 0, rareInTest = 0;
        double min0 = Double.POSITIVE_INFINITY, max0 = Double.NEGATIVE_INFINITY, allMax0 = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < tr.n(); i++) {
            float v = tr.x()[i * tr.features()];
            allMax0 = Math.max(allMax0, v);
            if (tr.label(i) == 1) continue;
            kept++;
            min0 = Math.min(min0, v);
            max0 = Math.max(max0, v);
        }
        for (int l : tt.test().labels()) if (l == 1) rareInTest++;
        assertTrue(kept < tr.n() && rareInTest > 10, "the data has rare rows in both splits");

        Path model = tmp.resolve("normal");
        String[] common = {"--csv-label", "kind", "--model", "12-8-3", "--epochs", "15", "--batch", "32", "--backend", "cpu", "--json"};
        CliRun t = ok(concat(new String[] {"train", csv.toString(), "--normal-labels", "normal,usual", "--out", model.toString()}, common));
        JsonNode res = json(t);
        assertEquals(List.of(LabelledData.TABLE_CLASSES), texts(res.get("classes")));
        assertEquals(List.of("normal", "usual"), texts(res.get("normal_labels")));
        JsonNode data = JSON.readTree(model.resolve("config.json").toFile()).get("data");
        assertEquals(List.of(LabelledData.TABLE_CLASSES), texts(data.get("classes")));
        assertEquals(List.of("normal", "usual"), texts(data.get("normal_labels")));
        assertEquals(kept, data.get("train_samples").asInt(), "training and validation hold the normal rows only");
        int val = (int) Math.round(kept * 0.1);
        assertTrue(t.err().contains((kept - val) + " training / " + val + " validation / " + tt.test().n() + " test samples"), t.err());
        // the scaler is fitted on the rows trained on: their range, not that of every row
        assertEquals(min0, data.get("scaler").get("min").get(0).asDouble(), 0);
        assertEquals(max0, data.get("scaler").get("max").get(0).asDouble(), 0);
        assertTrue(allMax0 > max0, "the rare rows reach further");

        // the same classes by number, through --exclude-labels: the same rows, the same weights
        Path excl = tmp.resolve("exclude");
        JsonNode ex = json(ok(concat(new String[] {"train", csv.toString(), "--exclude-labels", "1", "--out", excl.toString()}, common)));
        assertEquals(List.of("rare, odd"), texts(ex.get("exclude_labels")), "stored by name");
        assertArrayEquals(Files.readAllBytes(model.resolve("model.safetensors")), Files.readAllBytes(excl.resolve("model.safetensors")));

        // detect needs no options: the normal classes are the trained ones, the others are the anomalies
        Path d = tmp.resolve("detect");
        JsonNode det = json(ok("detect", model.toString(), "--out", d.toString(), "--backend", "cpu", "--json"));
        assertEquals(List.of("usual", "normal"), texts(det.get("normal_labels")));
        assertEquals(rareInTest, det.get("anomalies").asInt());
        assertTrue(det.get("roc_auc").asDouble() > 0.8, "the rare class lies apart: " + det);
        JsonNode detEx = json(ok("detect", excl.toString(), "--out", tmp.resolve("detect-ex").toString(), "--backend", "cpu", "--json"));
        assertEquals(det.get("roc_auc"), detEx.get("roc_auc"), "--exclude-labels 1 names the same normal classes");
        List<String> scores = Files.readAllLines(d.resolve("scores.csv"));
        assertEquals("index,id,label,anomaly,error,flag", scores.get(0));
        Set<String> cells = new HashSet<>();
        for (String l : scores.subList(1, scores.size())) {
            int end = l.length();
            for (int k = 0; k < 3; k++) end = l.lastIndexOf(',', end - 1);   // the comma before 'anomaly'
            String label = l.substring(l.indexOf(',', l.indexOf(',') + 1) + 1, end);   // after index and id (the line)
            cells.add(label);
            assertEquals(label.equals("\"rare, odd\"") ? "1" : "0", l.substring(end + 1, l.indexOf(',', end + 1)), l);
        }
        assertEquals(Set.of("usual", "normal", "\"rare, odd\""), cells, "names, quoted where they hold a comma");
        // --normal-labels by name in detect
        JsonNode one = json(ok("detect", model.toString(), "--normal-labels", "usual", "--out", tmp.resolve("d1").toString(),
                "--backend", "cpu", "--json"));
        assertEquals(List.of("usual"), texts(one.get("normal_labels")));

        // probe, cluster, encode, index + search: class names
        JsonNode probe = json(ok("probe", model.toString(), "--epochs", "5", "--json"));
        Set<String> probed = new HashSet<>();
        probe.get("per_class").forEach(e -> probed.add(e.get("label").asText()));
        assertEquals(Set.of(LabelledData.TABLE_CLASSES), probed);
        CliRun probeText = ok("probe", model.toString(), "--epochs", "5", "--no-raw");
        assertTrue(probeText.out().contains("per class (codes): usual "), probeText.out());
        JsonNode cl = json(ok("cluster", model.toString(), "--k", "3", "--json"));
        assertEquals(3, cl.get("clusters").size());
        for (JsonNode c : cl.get("clusters")) assertTrue(Set.of(LabelledData.TABLE_CLASSES).contains(c.get("majority").asText()), c.toString());
        Path codes = tmp.resolve("codes.csv");
        ok("encode", model.toString(), "--out", codes.toString());
        List<String> lines = Files.readAllLines(codes);
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("^0,\\d+,(\"[^\"]*\"|[^,]*),").matcher(lines.get(1));
        assertTrue(row.find() && !row.group(1).matches("-?\\d+"), "index, id (the line), then the class name: " + lines.get(1));
        Path index = tmp.resolve("index.safetensors");
        ok("index", model.toString(), "--split", "train", "--out", index.toString());
        JsonNode hits = json(ok("search", index.toString(), "--query", "0", "--k", "5", "--json"));
        assertTrue(Set.of(LabelledData.TABLE_CLASSES).contains(hits.get("query_label").asText()), hits.toString());
        for (JsonNode h : hits.get("neighbours")) assertTrue(h.get("label").isTextual(), h.toString());

        // from shards: the same rows, the scaler fitted on them in a pass over the shards, the same run
        Path shards = tmp.resolve("shards");
        ok("shard", csv.toString(), "--csv-label", "kind", "--out", shards.toString());
        Path fromShards = tmp.resolve("from-shards");
        JsonNode rs = json(ok(concat(new String[] {"train", shards.toString(), "--normal-labels", "normal,usual", "--out", fromShards.toString()},
                java.util.Arrays.copyOfRange(common, 2, common.length))));
        ShardCliTest.sameRun(res, rs, model, fromShards);
        assertEquals(data.get("scaler"), JSON.readTree(fromShards.resolve("config.json").toFile()).get("data").get("scaler"));
        JsonNode detS = json(ok("detect", fromShards.toString(), "--out", tmp.resolve("detect-shards").toString(), "--backend", "cpu", "--json"));
        assertEquals(det.get("roc_auc"), detS.get("roc_auc"));
        assertEquals(det.get("normal_labels"), detS.get("normal_labels"));
    }

    @Test
    void anImageFolderTrainsOnOneClassInMemoryStreamedAndFromShards(@TempDir Path tmp) throws Exception {
        Path images = LabelledData.shapes(tmp.resolve("shapes"), 60, 16, 6);
        String[] common = {"--model", "256-32-8", "--epochs", "15", "--batch", "8", "--lr", "0.003", "--backend", "cpu", "--json"};
        Path mem = tmp.resolve("mem"), streamed = tmp.resolve("streamed"), fromShards = tmp.resolve("from-shards");
        JsonNode a = json(ok(concat(new String[] {"train", images.toString(), "--normal-labels", "circle", "--out", mem.toString()}, common)));
        JsonNode b = json(ok(concat(new String[] {"train", images.toString(), "--stream", "--normal-labels", "circle",
                "--out", streamed.toString()}, common)));
        Path shards = tmp.resolve("shards");
        ok("shard", images.toString(), "--dtype", "f32", "--out", shards.toString());   // f32: the reader's floats exactly
        // by number: circle is class 0 (the sub-folders are sorted)
        JsonNode c = json(ok(concat(new String[] {"train", shards.toString(), "--normal-labels", "0", "--out", fromShards.toString()}, common)));
        ShardCliTest.sameRun(a, b, mem, streamed);
        ShardCliTest.sameRun(a, c, mem, fromShards);
        for (Path p : List.of(mem, streamed, fromShards)) {
            JsonNode data = JSON.readTree(p.resolve("config.json").toFile()).get("data");
            assertEquals(List.of(LabelledData.SHAPES), texts(data.get("classes")), p.toString());
            assertEquals(List.of("circle"), texts(data.get("normal_labels")), p.toString());
        }
        // 180 images, 144 of them for training: only their circles are trained on
        int circles = JSON.readTree(mem.resolve("config.json").toFile()).get("data").get("train_samples").asInt();
        assertTrue(circles > 30 && circles < 70, "about a third of 144: " + circles);
        List<JsonNode> reports = new ArrayList<>();
        for (Path p : List.of(mem, streamed, fromShards)) {
            JsonNode r = json(ok("detect", p.toString(), "--out", tmp.resolve("detect-" + p.getFileName()).toString(), "--backend", "cpu", "--json"));
            assertEquals(List.of("circle"), texts(r.get("normal_labels")));
            assertEquals(36, r.get("samples").asInt(), "the test split keeps every class");
            reports.add(r);
        }
        assertTrue(reports.get(0).get("roc_auc").asDouble() > 0.8, "squares and crosses reconstruct worse: " + reports.get(0));
        assertEquals(reports.get(0).get("roc_auc"), reports.get(1).get("roc_auc"));
        assertEquals(reports.get(0).get("roc_auc"), reports.get(2).get("roc_auc"));
    }

    @Test
    void badLabelChoicesAreRefusedWithOneLine(@TempDir Path tmp) throws Exception {
        Path csv = LabelledData.table(tmp.resolve("table.csv"), 200, 7);
        String out = tmp.resolve("m").toString();
        CliRun a = new CliRun("train", csv.toString(), "--csv-label", "kind", "--model", "12-4", "--normal-labels", "nosuch",
                "--batch", "16", "--backend", "cpu", "--out", out);
        assertEquals(1, a.rc());
        assertTrue(a.err().startsWith("error: --normal-labels 'nosuch' is not a class of this data; the classes are 'usual', 'rare, odd', "
                + "'normal'"), a.err());
        CliRun b = new CliRun("train", csv.toString(), "--csv-label", "kind", "--model", "12-4", "--normal-labels", "normal",
                "--exclude-labels", "usual", "--batch", "16", "--backend", "cpu", "--out", out);
        assertEquals(1, b.rc());
        assertTrue(b.err().contains("give one of them"), b.err());
        CliRun c = new CliRun("train", csv.toString(), "--csv-skip", "kind", "--model", "12-4", "--normal-labels", "0",
                "--batch", "16", "--backend", "cpu", "--out", out);
        assertEquals(1, c.rc());
        assertTrue(c.err().contains("has no labels") && c.err().contains("--csv-label"), c.err());
        CliRun d = new CliRun("train", csv.toString(), "--csv-label", "kind", "--model", "12-4", "--exclude-labels", "0,1,2",
                "--batch", "16", "--backend", "cpu", "--out", out);
        assertEquals(1, d.rc());
        assertTrue(d.err().contains("leaves no sample"), d.err());
        for (CliRun r : List.of(a, b, c, d)) {
            assertEquals(1, r.err().lines().count(), r.err());
            assertFalse(r.err().contains("\tat "));
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
