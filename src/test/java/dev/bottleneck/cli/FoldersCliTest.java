package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bottleneck.testing.CliRun;
import dev.bottleneck.testing.ImageFolders;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user's own folders end to end: colour images with transparency (conv presets at their size, the background saved
 * and reused), the README's colour spec, folders of text documents (train, detect, index/search, encode) and
 * compare-pca on images, with the one-line errors for what does not fit.
 */
class FoldersCliTest {
    static CliRun run(String... args) {
        return new CliRun(args);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir static Path tmp;
    static Path images, docs, rare;

    /** Colour pictures with an alpha channel: an opaque square (red or green class) on a transparent field hiding blue. */
    static Path colourFolder(Path dir, int n, int w, int h) throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        return ImageFolders.write(dir, List.of("green", "red"), n / 2, (cls, i) -> {
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
            int x0 = r.nextInt(w / 2), y0 = r.nextInt(h / 2), s = Math.max(2, Math.min(w, h) / 3);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    boolean in = x >= x0 && x < x0 + s && y >= y0 && y < y0 + s;
                    img.setRGB(x, y, in ? (cls.equals("red") ? 0xFFE02020 : 0xFF20C020) : 0x000000FF);
                }
            }
            return img;
        });
    }

    /** Documents of topics, {@code perTopic[t]} documents for topic t; topic words among stop words, mixed case. */
    static Path corpus(Path dir, int[] perTopic) throws Exception {
        String[][] topics = {
            "Match goal team striker keeper league season coach referee stadium fans penalty".split(" "),
            "Parliament minister election vote budget party policy senate law campaign debate reform".split(" "),
            "Recipe oven flour butter sugar bake garlic onion simmer sauce pepper dough".split(" ")};
        String[] common = "the and of to in is was for on with that it as at by this from be are".split(" ");
        String[] names = {"a_sport", "b_politics", "c_cooking"};
        SplittableRandom r = new SplittableRandom(1);
        for (int t = 0; t < perTopic.length; t++) {
            for (int i = 0; i < perTopic[t]; i++) {
                StringBuilder sb = new StringBuilder();
                int words = 20 + r.nextInt(40);
                for (int k = 0; k < words; k++) {
                    sb.append(r.nextDouble() < 0.6 ? topics[t][r.nextInt(topics[t].length)] : common[r.nextInt(common.length)]);
                    sb.append(k % 9 == 8 ? ".\n" : " ");
                }
                Path f = dir.resolve(names[t] + "/" + String.format("%03d", i) + (i % 3 == 0 ? "" : ".txt"));
                Files.createDirectories(f.getParent());
                Files.writeString(f, sb.toString());
            }
        }
        return dir;
    }

    @BeforeAll
    static void data() throws Exception {
        images = colourFolder(tmp.resolve("images"), 40, 12, 10);
        docs = corpus(tmp.resolve("docs"), new int[] {30, 30, 30});
        rare = corpus(tmp.resolve("rare"), new int[] {100, 8, 8});
    }

    private static void assertOneLineError(CliRun r, String... contains) {
        assertNotEquals(0, r.rc(), r.out());
        List<String> lines = r.err().lines().filter(s -> s.startsWith("error:")).toList();
        assertEquals(1, lines.size(), r.err());
        for (String c : contains) assertTrue(lines.get(0).contains(c), "'" + c + "' not in: " + lines.get(0));
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void colourImagesWithTransparencyTrainW3AtTheirOwnSize() throws Exception {
        Path out = tmp.resolve("w3");
        CliRun t = run("train", images.toString(), "--model", "w3", "--epochs", "2", "--batch", "8", "--out", out.toString(), "--backend", "cpu",
                "--json");
        assertEquals(0, t.rc(), t.err());
        JsonNode cfg = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals("[3,10,12]", cfg.at("/model/input").toString(), "the preset fits the 3x10x12 images");
        assertEquals("[255,255,255]", cfg.at("/data/background").toString(), "the default background is saved");
        assertTrue(Files.size(out.resolve("reconstruction.png")) > 0);
        // later commands read the folder the same way (background from config.json)
        CliRun e = run("eval", out.toString(), "--json", "--backend", "cpu");
        assertEquals(0, e.rc(), e.err());
        assertEquals(t.json().get("test_loss").asDouble(), e.json().get("test_loss").asDouble(), 1e-6);

        // black background and an alpha channel, streamed: saved too, and eval agrees
        Path out4 = tmp.resolve("w3-rgba");
        CliRun t4 = run("train", images.toString(), "--model", "keras-conv", "--image-size", "12x12", "--channels", "4", "--background", "black",
                "--stream", "--epochs", "1", "--batch", "8", "--out", out4.toString(), "--backend", "cpu", "--json");
        assertEquals(0, t4.rc(), t4.err());
        JsonNode c4 = JSON.readTree(out4.resolve("config.json").toFile());
        assertEquals("[4,12,12]", c4.at("/data/sample_shape").toString());
        assertEquals("[0,0,0]", c4.at("/data/background").toString());
        assertEquals("images", c4.at("/data/stream").asText());
        CliRun e4 = run("eval", out4.toString(), "--json", "--backend", "cpu");
        assertEquals(0, e4.rc(), e4.err());
        assertEquals(t4.json().get("test_loss").asDouble(), e4.json().get("test_loss").asDouble(), 1e-6);

        // detect and score read the folder with the saved background too: the same score for the same image
        CliRun d4 = run("detect", out4.toString(), "--out", tmp.resolve("rgba-detect").toString(), "--backend", "cpu");
        assertEquals(0, d4.rc(), d4.err());
        Path s4 = tmp.resolve("rgba-scores.csv");
        CliRun sc4 = run("score", out4.toString(), images.toString(), "--out", s4.toString(), "--backend", "cpu");
        assertEquals(0, sc4.rc(), sc4.err());
        Map<String, Double> scored = column(s4, "score"), detected = column(tmp.resolve("rgba-detect/scores.csv"), "error");
        assertEquals(40, scored.size());
        for (Map.Entry<String, Double> kv : detected.entrySet()) assertEquals(kv.getValue(), scored.get(kv.getKey()), 1e-6, kv.getKey());

        assertOneLineError(run("train", images.toString(), "--background", "purple", "--backend", "cpu"), "--background 'purple'");
        assertOneLineError(run("train", images.toString(), "--channels", "2", "--backend", "cpu"), "--channels must be 1");
    }

    @Test
    void modelsThatDoNotFitTheImagesSaySoWithoutSuggestingADenseModel() throws Exception {
        CliRun k = run("train", images.toString(), "--model", "keras-conv", "--image-size", "30x30", "--backend", "cpu");
        assertOneLineError(k, "multiples of 4", "--image-size 32x32", "w3");
        Path spec = Files.writeString(tmp.resolve("gray.yaml"), """
                input: [1, 28, 28]
                encoder:
                  - {type: conv2d, filters: 4, kernel: 3, stride: 2, padding: 1, activation: relu}
                decoder:
                  - {type: conv_transpose2d, filters: 1, kernel: 3, stride: 2, padding: 1, output_padding: 1, activation: sigmoid}
                loss: bce
                """);
        CliRun s = run("train", images.toString(), "--model", spec.toString(), "--backend", "cpu");
        assertOneLineError(s, "takes images of [1, 28, 28]", "[3, 10, 12]", "set the spec's input to [3, 10, 12]", "summary");
        for (CliRun r : new CliRun[] {k, s}) {
            assertFalse(r.err().matches("(?s).*\\b[0-9]+-[0-9]+(-[0-9]+)*\\b.*"), "no dense spec suggested: " + r.err());
        }
        // summary checks a spec on the images' size
        CliRun sum = run("summary", "keras-conv", "--input", "3x12x12");
        assertEquals(0, sum.rc(), sum.err());
        assertTrue(sum.out().contains("[3, 12, 12]"), sum.out());
        // a dense request on images may be told the dense size, and of the conv presets
        assertOneLineError(run("train", images.toString(), "--model", "w1", "--backend", "cpu"), "360", "w3");
    }

    /** The README's colour spec (the yaml block that starts with '# colour-conv.yaml') trains on 64x64 RGB images. */
    @Test
    void readmeColourSpecTrains() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int at = readme.indexOf("```yaml\n# colour-conv.yaml");
        assertTrue(at >= 0, "the README has the colour example spec");
        String yaml = readme.substring(readme.indexOf('\n', at) + 1, readme.indexOf("```", at + 7));
        Path spec = Files.writeString(tmp.resolve("colour-conv.yaml"), yaml);
        Path photos = colourFolder(tmp.resolve("photos"), 20, 64, 64);
        Path out = tmp.resolve("colour");
        CliRun t = run("train", photos.toString(), "--model", spec.toString(), "--epochs", "1", "--batch", "4", "--out", out.toString(),
                "--backend", "cpu", "--json");
        assertEquals(0, t.rc(), t.err());
        assertEquals("[3,64,64]", JSON.readTree(out.resolve("config.json").toFile()).at("/model/input").toString());
        assertTrue(Double.isFinite(t.json().get("test_loss").asDouble()));
    }

    @Test
    void textDocumentsTrainAndServeRetrievalAndDetection() throws Exception {
        // retrieval on three balanced topics: neighbours in code space share the topic
        Path out = tmp.resolve("docs-run");
        CliRun t = run("train", docs.toString(), "--model", "36-16-4", "--epochs", "40", "--batch", "8", "--lr", "3e-3", "--out", out.toString(),
                "--backend", "cpu", "--json");
        assertEquals(0, t.rc(), t.err());
        JsonNode cfg = JSON.readTree(out.resolve("config.json").toFile());
        JsonNode vocab = cfg.at("/data/text/vocabulary");
        assertEquals(36, vocab.size(), "the 36 topic words; stop words are left out: " + vocab);
        for (JsonNode w : vocab) assertEquals(w.asText().toLowerCase(), w.asText());
        assertEquals("tfidf", cfg.at("/data/text/weight").asText());
        assertEquals("[\"a_sport\",\"b_politics\",\"c_cooking\"]", cfg.at("/data/classes").toString());
        assertEquals("none", cfg.at("/data/scaler/kind").asText(), "TF-IDF vectors are not rescaled");
        Path index = tmp.resolve("docs.safetensors");
        CliRun ix = run("index", out.toString(), "--split", "train", "--out", index.toString(), "--backend", "cpu");
        assertEquals(0, ix.rc(), ix.err());
        CliRun se = run("search", index.toString(), "--eval", "18", "--k", "5", "--json", "--backend", "cpu");
        assertEquals(0, se.rc(), se.err());
        double p = se.json().get("precision_at_k_codes").asDouble();
        assertTrue(p > 0.8, "precision@5 by topic from the codes " + p + " (chance 1/3)");
        Path codes = tmp.resolve("codes.csv");
        CliRun en = run("encode", out.toString(), "--out", codes.toString(), "--backend", "cpu");
        assertEquals(0, en.rc(), en.err());
        assertEquals(1 + 18, Files.readAllLines(codes).size(), "a header and the 18 test documents");

        // anomaly detection: a rare topic among many documents of another stands out
        Path rareRun = tmp.resolve("rare-run");
        CliRun tr = run("train", rare.toString(), "--model", "36-16-4", "--epochs", "30", "--batch", "16", "--out", rareRun.toString(),
                "--backend", "cpu");
        assertEquals(0, tr.rc(), tr.err());
        CliRun d = run("detect", rareRun.toString(), "--normal-labels", "0", "--out", tmp.resolve("rare-detect").toString(), "--json",
                "--backend", "cpu");
        assertEquals(0, d.rc(), d.err());
        double auc = d.json().get("roc_auc").asDouble();
        assertTrue(auc > 0.9, "ROC-AUC of the rare topics " + auc);

        // the saved vocabulary vectorises another folder: detect on new documents with the model's features
        Path fresh = corpus(tmp.resolve("fresh"), new int[] {10, 0, 10});
        CliRun df = run("detect", rareRun.toString(), "--data", fresh.toString(), "--normal-labels", "0", "--out",
                tmp.resolve("fresh-detect").toString(), "--json", "--backend", "cpu");
        assertEquals(0, df.rc(), df.err());
        assertEquals(4, df.json().get("samples").asInt(), "the 20% test hold-out of 20 new documents");

        // score: every document of a folder, known by its path, with the score detect gives the same document
        Path scores = tmp.resolve("doc-scores.csv");
        CliRun sc = run("score", rareRun.toString(), rare.toString(), "--out", scores.toString(), "--backend", "cpu");
        assertEquals(0, sc.rc(), sc.err());
        Map<String, Double> scored = column(scores, "score"), detected = column(tmp.resolve("rare-detect/scores.csv"), "error");
        assertEquals(116, scored.size(), "every document");
        assertTrue(scored.containsKey("b_politics/001.txt") && scored.containsKey("a_sport/000"), scored.keySet().toString());
        assertEquals(detected.size(), 23);
        for (Map.Entry<String, Double> e : detected.entrySet()) {
            assertEquals(e.getValue(), scored.get(e.getKey()), 1e-6, "score and detect agree on " + e.getKey());
        }
    }

    /** id -> value of one column of a scores file. */
    static Map<String, Double> column(Path csv, String name) throws Exception {
        List<String> lines = Files.readAllLines(csv);
        List<String> head = List.of(lines.get(0).split(","));
        int id = head.indexOf("id"), v = head.indexOf(name);
        assertTrue(id >= 0 && v >= 0, "columns id and " + name + " in " + head);
        Map<String, Double> m = new java.util.LinkedHashMap<>();
        for (String l : lines.subList(1, lines.size())) {
            String[] f = l.split(",");
            m.put(f[id], Double.parseDouble(f[v]));
        }
        return m;
    }

    @Test
    void textInputsThatCannotWorkSayWhatToDo() throws Exception {
        assertOneLineError(run("train", docs.toString(), "--stream", "--backend", "cpu"), "--stream", "text documents");
        assertOneLineError(run("shard", docs.toString(), "--out", tmp.resolve("doc-shards").toString()), "text documents", "train on the folder");
        Path story = Files.writeString(tmp.resolve("story.txt"), "It was a dark and stormy night;\nthe rain fell in torrents.\n");
        assertOneLineError(run("train", story.toString(), "--backend", "cpu"), "reads as a text document, not a table");
        Path nothing = Files.createDirectories(tmp.resolve("nothing"));
        Files.write(nothing.resolve("data.bin"), new byte[] {0, 1, 2});
        assertOneLineError(run("train", nothing.toString(), "--backend", "cpu"), "holds no data this tool reads", "text documents");
        CliRun w = run("train", docs.toString(), "--text-vocab", "20", "--backend", "cpu");
        assertOneLineError(w, "the data has 20");
        assertOneLineError(run("train", docs.toString(), "--text-weight", "bm25", "--backend", "cpu"), "tfidf, count or binary");
        assertOneLineError(run("train", docs.toString(), "--stop-words", tmp.resolve("missing.txt").toString(), "--backend", "cpu"),
                "--stop-words");
        // bag of words with counts is min-max scaled by default
        Path bow = tmp.resolve("bow");
        CliRun b = run("train", docs.toString(), "--text-weight", "count", "--model", "36-8", "--epochs", "1", "--batch", "8", "--out", bow.toString(),
                "--backend", "cpu");
        assertEquals(0, b.rc(), b.err());
        assertEquals("minmax", JSON.readTree(bow.resolve("config.json").toFile()).at("/data/scaler/kind").asText());
    }

    @Test
    void comparePcaOnAColourFolderWritesAPicture() throws Exception {
        // 28x28x3 = 2,352 features: more than the exact method takes, so the randomized one runs
        Path png = tmp.resolve("pca.png");
        CliRun r = run("compare-pca", images.toString(), "--image-size", "28x28", "--channels", "3", "--k", "2,4", "--epochs", "2", "--batch", "8",
                "--picture", png.toString(), "--picture-count", "6", "--json", "--backend", "cpu");
        assertEquals(0, r.rc(), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("pca").asText().startsWith("randomized"), j.toString());
        List<String> rows = new ArrayList<>();
        j.get("picture_rows").forEach(n -> rows.add(n.asText()));
        assertEquals(List.of("originals", "PCA k=2", "linear AE k=2", "PCA k=4", "linear AE k=4"), rows);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(6 * 56 + 5 * 2, img.getWidth(), "6 images of 28 pixels drawn twice as large, 2-pixel gaps");
        assertEquals(5 * 56 + 4 * 2, img.getHeight());
        assertTrue(j.at("/rows/1/pca_test_mse").asDouble() <= j.at("/rows/0/pca_test_mse").asDouble());
        // each PCA reconstruction (row 3) is closer to its own original (row 0) than the next original is
        double own = 0, other = 0;
        for (int c = 0; c < 6; c++) {
            for (int y = 0; y < 56; y++) {
                for (int x = 0; x < 56; x++) {
                    int o = img.getRGB(c * 58 + x, y), rec = img.getRGB(c * 58 + x, 3 * 58 + y), next = img.getRGB(((c + 1) % 6) * 58 + x, y);
                    for (int sh = 0; sh <= 16; sh += 8) {
                        own += Math.abs(((o >> sh) & 0xff) - ((rec >> sh) & 0xff));
                        other += Math.abs(((o >> sh) & 0xff) - ((next >> sh) & 0xff));
                    }
                }
            }
        }
        assertTrue(own < other, "PCA k=4 against its original " + own + ", another original " + other);
        assertOneLineError(run("compare-pca", docs.toString(), "--k", "2", "--epochs", "0", "--picture", tmp.resolve("x.png").toString(),
                "--backend", "cpu"), "--picture draws images");
        CliRun text = run("compare-pca", docs.toString(), "--k", "2,8", "--epochs", "0", "--json", "--backend", "cpu");
        assertEquals(0, text.rc(), text.err());
        assertEquals("exact", text.json().get("pca").asText());
    }
}
