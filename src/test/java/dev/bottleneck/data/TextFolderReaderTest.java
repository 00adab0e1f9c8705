package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Folders of text documents: tokens, stop words, the vocabulary fitted on training documents, TF-IDF, the saved form. */
class TextFolderReaderTest {
    static void doc(Path f, String text) throws Exception {
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
    }

    /** 30 documents in two classes (sport, cooking), each a handful of topic words among stop words. */
    static Path corpus(Path dir) throws Exception {
        String[] sport = {"Match", "goal", "TEAM", "striker", "league"};
        String[] cooking = {"recipe", "oven", "flour", "butter", "sauce"};
        for (int i = 0; i < 15; i++) {
            doc(dir.resolve("sport/" + i + ".txt"), "The " + sport[i % 5] + " and the " + sport[(i + 1) % 5] + " of " + sport[(i + 2) % 5] + ", it was.");
            doc(dir.resolve("cooking/" + i), "A " + cooking[i % 5] + " with " + cooking[(i + 3) % 5] + "; " + cooking[i % 5] + " again!");
        }
        return dir;
    }

    @Test
    void tokensAreLowerCasedRunsOfTwoOrMoreLettersOrDigits() {
        Set<String> stop = TextFolderReader.stopWords("english");
        assertTrue(stop.contains("the") && stop.contains("and") && stop.contains("don"), "built-in list");
        assertEquals(List.of("quick", "brown", "fox", "jumps", "2024", "café", "naïve", "x2"),
                TextVectorizer.tokens("The QUICK brown-fox jumps, in 2024! A café; naïve x2 don't", stop));
        assertEquals(List.of("the", "quick"), TextVectorizer.tokens("The quick", TextFolderReader.stopWords("none")));
    }

    @Test
    void vocabularyComesFromTrainingDocumentsWithoutStopWords(@TempDir Path tmp) throws Exception {
        Path dir = corpus(tmp.resolve("docs"));
        // a word only in one test document must not enter the vocabulary
        TextFolderReader.Result r = TextFolderReader.read(dir, new TextFolderReader.Options(100, TextVectorizer.Weight.TFIDF, "english", null), 5);
        assertEquals(List.of("cooking", "sport"), r.classes());
        assertEquals(24, r.data().train().n());
        assertEquals(6, r.data().test().n());
        List<String> terms = r.vectorizer().terms();
        assertEquals(terms.stream().sorted().toList(), terms, "alphabetical feature order");
        assertEquals(10, terms.size(), "the ten topic words: " + terms);
        for (String t : terms) {
            assertEquals(t.toLowerCase(), t);
            assertFalse(TextFolderReader.stopWords("english").contains(t), t);
        }
        assertTrue(terms.contains("team") && terms.contains("sauce"), terms.toString());
        assertArrayEquals(new int[] {10}, r.data().train().sampleShape());
        // TF-IDF rows have unit length
        Dataset tr = r.data().train();
        for (int i = 0; i < tr.n(); i++) {
            double ss = 0;
            for (int j = 0; j < 10; j++) ss += tr.x()[i * 10 + j] * tr.x()[i * 10 + j];
            assertEquals(1.0, ss, 1e-5, "row " + i);
        }
        // labels follow the class folders
        assertTrue(tr.hasLabels());
        Set<Integer> seen = new HashSet<>();
        for (int l : tr.labels()) seen.add(l);
        assertEquals(Set.of(0, 1), seen);
        // the same seed gives the same split and vectors
        TextFolderReader.Result again = TextFolderReader.read(dir, new TextFolderReader.Options(100, TextVectorizer.Weight.TFIDF, "english", null), 5);
        assertArrayEquals(tr.x(), again.data().train().x());
    }

    @Test
    void tfidfCountAndBinaryWeights() {
        List<Map<String, Integer>> docs = List.of(Map.of("apple", 2, "pear", 1), Map.of("apple", 1), Map.of("plum", 3, "apple", 1));
        TextVectorizer tf = TextVectorizer.fit(docs, 10, TextVectorizer.Weight.TFIDF, "english");
        assertEquals(List.of("apple", "pear", "plum"), tf.terms());
        float[] v = new float[3];
        tf.transform(Map.of("apple", 2, "pear", 1, "unknown", 5), v, 0);
        // idf = ln((1 + 3) / (1 + df)) + 1: apple (df 3) 1, pear (df 1) ln 2 + 1
        double a = 2 * 1.0, p = Math.log(2) + 1, n = Math.hypot(a, p);
        assertEquals(a / n, v[0], 1e-6);
        assertEquals(p / n, v[1], 1e-6);
        assertEquals(0f, v[2]);
        TextVectorizer counts = TextVectorizer.fit(docs, 10, TextVectorizer.Weight.COUNT, "english");
        counts.transform(Map.of("apple", 2, "plum", 3), v, 0);
        assertArrayEquals(new float[] {2, 0, 3}, v);
        TextVectorizer bin = TextVectorizer.fit(docs, 10, TextVectorizer.Weight.BINARY, "english");
        bin.transform(Map.of("apple", 2, "plum", 3), v, 0);
        assertArrayEquals(new float[] {1, 0, 1}, v);
        // a smaller vocabulary keeps the terms in the most documents (ties: more occurrences, then alphabetical)
        assertEquals(List.of("apple", "plum"), TextVectorizer.fit(docs, 2, TextVectorizer.Weight.COUNT, "none").terms());
        // the saved form reads back to the same vectors
        TextVectorizer back = TextVectorizer.fromMap(tf.toMap(), "test");
        float[] w = new float[3];
        back.transform(Map.of("apple", 2, "pear", 1), w, 0);
        tf.transform(Map.of("apple", 2, "pear", 1), v, 0);
        assertArrayEquals(v, w);
    }

    @Test
    void savedVocabularyVectorisesNewDocumentsTheSameWay(@TempDir Path tmp) throws Exception {
        Path dir = corpus(tmp.resolve("docs"));
        TextFolderReader.Result r = TextFolderReader.read(dir, null, 5);
        Map<String, Object> saved = TextFolderReader.describe(r);
        assertEquals(List.of("cooking", "sport"), saved.get("classes"));
        TextVectorizer v = TextVectorizer.fromMap(saved, "config.json 'data.text'");
        TrainTest tt = DataSources.resolve(dir.toString(), null, null, null, TextFolderReader.Options.fitted(v), 5, DataSources.Environment.system());
        assertArrayEquals(r.data().test().x(), tt.test().x());
        // other documents: words outside the vocabulary are left out
        Path other = tmp.resolve("new");
        doc(other.resolve("a.txt"), "goal goal zebra");
        doc(other.resolve("b.txt"), "sauce");
        doc(other.resolve("c.txt"), "nothing known");
        doc(other.resolve("d.txt"), "team");
        doc(other.resolve("e.txt"), "oven");
        TrainTest nt = DataSources.resolve(other.toString(), null, null, null, TextFolderReader.Options.fitted(v), 5, DataSources.Environment.system());
        assertEquals(v.features(), nt.train().features());
        assertFalse(((Map<?, ?>) nt.reading().get("text")).containsKey("classes"));
    }

    @Test
    void foldersAndFilesThatAreNotDocumentsOrTables(@TempDir Path tmp) throws Exception {
        Path dir = corpus(tmp.resolve("docs"));
        assertTrue(DataSources.isTextFolder(dir));
        assertFalse(TextFolderReader.isTextFile(tmp.resolve("train-images-idx3-ubyte")), "IDX names are not documents");
        assertFalse(TextFolderReader.isTextFile(tmp.resolve(".hidden")));
        // a prose .txt file is not read as a CSV table
        Path prose = Files.writeString(tmp.resolve("story.txt"), "Once upon a time, there was a table\nthat was not a table at all.\n");
        BottleneckException e = assertThrows(BottleneckException.class,
                () -> DataSources.resolve(prose.toString(), null, null, 1, DataSources.Environment.system()));
        assertTrue(e.getMessage().contains("reads as a text document, not a table") && e.getMessage().contains("folder"), e.getMessage());
        // a .txt table still is one
        StringBuilder sb = new StringBuilder("a\tb\n");
        for (int i = 0; i < 10; i++) sb.append(i).append('\t').append(2 * i).append('\n');
        Path table = Files.writeString(tmp.resolve("table.txt"), sb.toString());
        assertEquals(2, DataSources.resolve(table.toString(), null, null, 1, DataSources.Environment.system()).train().features());
        Path numbers = Files.writeString(tmp.resolve("numbers.txt"), "1\n2\n3\n4\n5\n6\n");
        assertFalse(TextFolderReader.looksLikeProse(numbers));
        // a folder of neither images, documents nor IDX files says what it expected; a partial IDX folder names the IDX files
        Path odd = Files.createDirectories(tmp.resolve("odd"));
        Files.write(odd.resolve("x.bin"), new byte[] {1, 2, 3});
        e = assertThrows(BottleneckException.class, () -> DataSources.resolve(odd.toString(), null, null, 1, DataSources.Environment.system()));
        assertTrue(e.getMessage().contains("text documents") && e.getMessage().contains("images"), e.getMessage());
        Path idx = Files.createDirectories(tmp.resolve("idx"));
        Files.write(idx.resolve("train-images-idx3-ubyte"), new byte[16]);
        Files.writeString(idx.resolve("README"), "notes");
        e = assertThrows(BottleneckException.class, () -> DataSources.resolve(idx.toString(), null, null, 1, DataSources.Environment.system()));
        assertTrue(e.getMessage().contains("missing train-labels-idx1-ubyte"), e.getMessage());
        // documents without words, too few documents, an over-long document
        Path empty = tmp.resolve("empty");
        for (int i = 0; i < 5; i++) doc(empty.resolve(i + ".txt"), "the and of, a.");
        e = assertThrows(BottleneckException.class, () -> TextFolderReader.read(empty, null, 1));
        assertTrue(e.getMessage().contains("hold no words"), e.getMessage());
        Path one = tmp.resolve("one");
        doc(one.resolve("a.txt"), "lonely document");
        e = assertThrows(BottleneckException.class, () -> TextFolderReader.read(one, null, 1));
        assertTrue(e.getMessage().contains("too few documents"), e.getMessage());
        // Latin-1 bytes do not stop the reader
        Path latin = tmp.resolve("latin");
        for (int i = 0; i < 5; i++) {
            Files.createDirectories(latin);
            Files.write(latin.resolve(i + ".txt"), ("caf\u00e9 cr\u00e8me " + i + "x").getBytes(StandardCharsets.ISO_8859_1));
        }
        assertTrue(TextFolderReader.read(latin, null, 1).vectorizer().terms().contains("caf"));
        e = assertThrows(BottleneckException.class, () -> TextVectorizer.Weight.parse("bm25"));
        assertTrue(e.getMessage().contains("tfidf, count or binary"), e.getMessage());
    }
}
