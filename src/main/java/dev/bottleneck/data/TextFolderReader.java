package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads a folder of text documents, one document per file, into vectors ({@link TextVectorizer}). Its layout is
 * that of an image folder: with sub-folders, each sub-folder is a class (labels in sorted order) and files directly
 * in the folder are not used; otherwise every document is read without labels. Text files are those ending in
 * {@code .txt}, {@code .text}, {@code .md} or {@code .rst}, and files without an extension (as in the 20 Newsgroups
 * corpus); hidden files and IDX-like names are skipped. Files are decoded as UTF-8, bytes that are not UTF-8 (Latin-1
 * text) become U+FFFD, which separates tokens.
 *
 * <p>The data set's test split is the seeded 20% hold-out image folders and tables get; the vocabulary and document
 * frequencies are fitted on the training documents only.
 */
public final class TextFolderReader {
    private TextFolderReader() {}

    private static final List<String> EXTENSIONS = List.of(".txt", ".text", ".md", ".rst");

    /** The largest document read (a larger file is more likely not a document; it is refused with its name). */
    public static final long MAX_DOCUMENT_BYTES = 16L << 20;

    /** The default vocabulary size of {@code --text-vocab}. */
    public static final int DEFAULT_VOCAB = 2000;

    /**
     * @param vocab     vocabulary size to fit (the terms in the most training documents)
     * @param weight    how counts become values
     * @param stopWords {@code english}, {@code none}, or a file of stop words (one a line)
     * @param fitted    a vectorizer saved with a model, used as it is instead of fitting one (null: fit)
     */
    public record Options(int vocab, TextVectorizer.Weight weight, String stopWords, TextVectorizer fitted) {
        public Options {
            if (vocab < 1) throw new BottleneckException("--text-vocab must be at least 1, got " + vocab);
            if (weight == null) weight = TextVectorizer.Weight.TFIDF;
            if (stopWords == null) stopWords = "english";
        }

        public static Options defaults() { return new Options(DEFAULT_VOCAB, TextVectorizer.Weight.TFIDF, "english", null); }

        /** The saved vectorizer of a model. */
        public static Options fitted(TextVectorizer v) { return new Options(Math.max(1, v.features()), v.weight(), "english", v); }
    }

    /** The documents read and vectorised, with the vectorizer (fitted on train) and the class names. */
    public record Result(TrainTest data, TextVectorizer vectorizer, List<String> classes) { }

    public static boolean isTextFile(Path p) {
        String n = p.getFileName().toString();
        if (n.startsWith(".")) return false;
        String low = n.toLowerCase(Locale.ROOT);
        for (String e : EXTENSIONS) if (low.endsWith(e)) return true;
        // no extension: documents such as 20 Newsgroups' numbered files, but not IDX files (train-images-idx3-ubyte)
        return low.indexOf('.') < 0 && !low.contains("ubyte") && !low.contains("idx");
    }

    /** True when {@code dir} holds text files directly or in class sub-folders (checked after images and IDX files). */
    public static boolean looksLikeTextFolder(Path dir) {
        if (!Files.isDirectory(dir)) return false;
        try (Stream<Path> s = Files.walk(dir, 2, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            return s.anyMatch(p -> !p.equals(dir) && Files.isRegularFile(p) && isTextFile(p));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Lists the documents as {@link ImageFolderReader#list} lists images: sorted class sub-folders, sorted files. */
    public static ClassFolderListing list(Path dir) {
        if (!Files.isDirectory(dir)) throw new BottleneckException("text folder " + dir + " does not exist");
        return ClassFolderListing.list(dir, TextFolderReader::isTextFile, dir + " holds no text documents (.txt, .text, .md, .rst or"
                + " files without an extension), neither directly nor in class sub-folders");
    }

    /** One document's text (UTF-8; malformed bytes replaced), refused when larger than {@link #MAX_DOCUMENT_BYTES}. */
    public static String readDocument(Path f) {
        try {
            long size = Files.size(f);
            if (size > MAX_DOCUMENT_BYTES) {
                throw new BottleneckException(f + ": " + Limits.bytes(size) + " is more than a text document of at most "
                        + Limits.bytes(MAX_DOCUMENT_BYTES) + "; remove the file from the folder or split it into documents");
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(f)) {
                bytes = in.readNBytes((int) MAX_DOCUMENT_BYTES + 1);
            }
            if (bytes.length > MAX_DOCUMENT_BYTES) {
                throw new BottleneckException(f + ": more than " + Limits.bytes(MAX_DOCUMENT_BYTES) + " of text; remove or split the file");
            }
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (IOException e) {
            throw new BottleneckException("cannot read " + f + ": " + e.getMessage());
        }
    }

    /** The stop words of {@code --stop-words}: the built-in English list, none, or a file with one word a line. */
    public static Set<String> stopWords(String which) {
        String w = which == null ? "english" : which.trim();
        if (w.equalsIgnoreCase("none")) return Set.of();
        List<String> lines;
        if (w.equalsIgnoreCase("english")) {
            try (InputStream in = TextFolderReader.class.getResourceAsStream("stopwords-en.txt")) {
                if (in == null) throw new IllegalStateException("stopwords-en.txt is missing from the jar");
                lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the built-in stop words", e);
            }
        } else {
            Path p = Path.of(w);
            if (!Files.isRegularFile(p)) {
                throw new BottleneckException("--stop-words '" + which + "': expected english, none, or a file with one word a line");
            }
            lines = readDocument(p).lines().toList();
        }
        Set<String> out = new HashSet<>();
        for (String l : lines) {
            String t = l.strip();
            if (!t.isEmpty() && !t.startsWith("#")) out.add(t.toLowerCase(Locale.ROOT));
        }
        return out;
    }

    /** Reads, splits (seeded 20% test hold-out), fits the vocabulary on the training documents and vectorises both splits. */
    public static Result read(Path dir, Options opt, long seed) {
        Options o = opt == null ? Options.defaults() : opt;
        ClassFolderListing l = list(dir);
        int n = l.files().size();
        Set<String> stop = o.fitted() != null ? Set.of() : stopWords(o.stopWords());
        List<Map<String, Integer>> counts = new ArrayList<>(n);
        for (Path f : l.files()) counts.add(TextVectorizer.counts(TextVectorizer.tokens(readDocument(f), stop)));
        Dataset.IndexSplit sp = Dataset.splitIndices(n, DataSources.CSV_HOLDOUT, seed);
        if (sp.train().length == 0 || sp.validation().length == 0) {
            throw new BottleneckException(dir + " (a folder of " + n + " documents): too few documents to hold out a test set of 20%"
                    + " (it would get " + sp.validation().length + " and training " + sp.train().length + "); use more documents");
        }
        TextVectorizer v = o.fitted();
        if (v == null) {
            List<Map<String, Integer>> train = new ArrayList<>(sp.train().length);
            for (int r : sp.train()) train.add(counts.get(r));
            v = TextVectorizer.fit(train, o.vocab(), o.weight(), o.stopWords());
        }
        String name = dir.getFileName() == null ? "documents" : dir.getFileName().toString();
        Limits.checkHeap((long) n * v.features() * 4, dir + ": " + n + " documents of " + v.features() + " terms");
        String[] ids = ids(dir, l);
        Dataset tr = vectors(v, counts, l.labels(), ids, sp.train(), name + "-train");
        Dataset te = vectors(v, counts, l.labels(), ids, sp.validation(), name + "-test");
        return new Result(new TrainTest(tr, te), v, l.classes());
    }

    /** Every document of a folder (no split), in listing order, as vectors of a saved vectorizer, and the class names. */
    public record Documents(Dataset data, List<String> classes) { }

    /** The documents of {@code dir} turned into {@code v}'s features, each known by its path in the folder (for scoring). */
    public static Documents readAll(Path dir, TextVectorizer v) {
        ClassFolderListing l = list(dir);
        int n = l.files().size();
        List<Map<String, Integer>> counts = new ArrayList<>(n);
        for (Path f : l.files()) counts.add(TextVectorizer.counts(TextVectorizer.tokens(readDocument(f), Set.of())));
        Limits.checkHeap((long) n * v.features() * 4, dir + ": " + n + " documents of " + v.features() + " terms");
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        String name = dir.getFileName() == null ? "documents" : dir.getFileName().toString();
        return new Documents(vectors(v, counts, l.labels(), ids(dir, l), all, name), l.classes());
    }

    /** Each document's identity: its path relative to the folder, as for images. */
    private static String[] ids(Path dir, ClassFolderListing l) {
        String[] ids = new String[l.files().size()];
        for (int i = 0; i < ids.length; i++) ids[i] = ImageFolderReader.relativeId(dir, l.files().get(i));
        return ids;
    }

    private static Dataset vectors(TextVectorizer v, List<Map<String, Integer>> counts, int[] labels, String[] ids, int[] rows, String name) {
        int d = v.features();
        if ((long) rows.length * d > Limits.MAX_ARRAY) {
            throw new BottleneckException(name + ": " + rows.length + " documents of " + d + " terms are more values than one Java array"
                    + " can hold; use a smaller --text-vocab");
        }
        float[] x = new float[rows.length * d];
        int[] lab = labels == null ? null : new int[rows.length];
        String[] id = new String[rows.length];
        for (int i = 0; i < rows.length; i++) {
            v.transform(counts.get(rows[i]), x, i * d);
            if (lab != null) lab[i] = labels[rows[i]];
            id[i] = ids[rows[i]];
        }
        return new Dataset(x, rows.length, new int[] {d}, lab, name, id);
    }

    /** config.json's {@code data.text} section for a fitted vectorizer (the class names go to {@code data.classes}). */
    public static Map<String, Object> describe(Result r) {
        return r.vectorizer().toMap();
    }

    /**
     * Whether a single {@code .txt} file reads as prose rather than a table: its first non-blank lines do not split
     * into the same number (two or more) of fields by one delimiter, and are not single numbers.
     */
    public static boolean looksLikeProse(Path file) {
        List<String> lines = new ArrayList<>();
        try (Stream<String> s = Files.lines(file, StandardCharsets.UTF_8)) {
            s.filter(x -> !x.isBlank()).limit(20).forEach(lines::add);
        } catch (IOException | java.io.UncheckedIOException e) {
            return true; // not UTF-8 text a table reader can read either; the caller says what to do
        }
        if (lines.isEmpty()) return false;
        for (char delim : new char[] {',', ';', '\t'}) {
            int fields = fields(lines.get(0), delim);
            if (fields < 2) continue;
            boolean same = true;
            for (String l : lines) same &= fields(l, delim) == fields;
            if (same) return false;
        }
        for (String l : lines) {
            try {
                Double.parseDouble(l.trim());
            } catch (NumberFormatException e) {
                return true;
            }
        }
        return false;
    }

    private static int fields(String line, char delim) {
        int n = 1;
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') quoted = !quoted;
            else if (c == delim && !quoted) n++;
        }
        return n;
    }
}
