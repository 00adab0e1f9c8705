package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.io.MapValues;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns documents into fixed-length vectors over a vocabulary fitted on the training documents: bag of words
 * ({@link Weight#COUNT} term counts, or {@link Weight#BINARY} presence) or TF-IDF ({@link Weight#TFIDF}: count ×
 * smoothed inverse document frequency {@code ln((1 + n) / (1 + df)) + 1}, each vector scaled to unit length).
 *
 * <p>Tokens ({@link #tokens}) are the maximal runs of letters and digits of the lower-cased text that are at least
 * two characters long. The vocabulary is the {@code size} terms found in the most training documents (ties: more
 * occurrences, then alphabetical), stop words excluded, listed in alphabetical order; feature {@code j} is the j-th
 * term. A fitted vectorizer is saved in config.json ({@link #toMap}) so later commands turn new documents into the
 * same features without refitting.
 */
public final class TextVectorizer {
    /** How a term's count in a document becomes its value. */
    public enum Weight {
        TFIDF("tfidf"), COUNT("count"), BINARY("binary");

        public final String key;

        Weight(String key) { this.key = key; }

        public static Weight parse(String s) {
            String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT).replace("-", "");
            for (Weight w : values()) if (w.key.equals(t)) return w;
            throw new BottleneckException("--text-weight '" + s + "': expected tfidf, count or binary");
        }
    }

    /** Shortest token kept. */
    public static final int MIN_TOKEN = 2;

    private final String[] terms;
    private final Map<String, Integer> index;
    private final double[] idf; // null unless TFIDF
    private final Weight weight;
    private final String stopWords;

    private TextVectorizer(String[] terms, double[] idf, Weight weight, String stopWords) {
        this.terms = terms;
        this.idf = idf;
        this.weight = weight;
        this.stopWords = stopWords;
        this.index = new HashMap<>(terms.length * 2);
        for (int j = 0; j < terms.length; j++) index.put(terms[j], j);
    }

    public int features() { return terms.length; }

    public Weight weight() { return weight; }

    /** The vocabulary, in feature order (a copy). */
    public List<String> terms() { return List.of(terms); }

    /** The lower-cased tokens of {@code text} in order, without those in {@code stop}. */
    public static List<String> tokens(String text, Set<String> stop) {
        List<String> out = new ArrayList<>();
        int n = text.length(), i = 0;
        while (i < n) {
            int cp = text.codePointAt(i);
            if (!Character.isLetterOrDigit(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            int start = i, count = 0;
            while (i < n && Character.isLetterOrDigit(cp = text.codePointAt(i))) {
                i += Character.charCount(cp);
                count++;
            }
            if (count < MIN_TOKEN) continue;
            String t = text.substring(start, i).toLowerCase(Locale.ROOT);
            if (!stop.contains(t)) out.add(t);
        }
        return out;
    }

    /** Term counts of one document's tokens. */
    public static Map<String, Integer> counts(List<String> tokens) {
        Map<String, Integer> c = new HashMap<>();
        for (String t : tokens) c.merge(t, 1, Integer::sum);
        return c;
    }

    /**
     * Fits the vocabulary (and the document frequencies for TF-IDF) on the term counts of the training documents.
     *
     * @param stopWords the stop-word list's name, recorded in config.json
     */
    public static TextVectorizer fit(List<Map<String, Integer>> docs, int size, Weight weight, String stopWords) {
        if (size < 1) throw new BottleneckException("--text-vocab must be at least 1, got " + size);
        Limits.SAMPLE_VALUES.check(size, "--text-vocab " + size + ": one document vector");
        Map<String, long[]> stats = new HashMap<>(); // term -> {documents, occurrences}
        for (Map<String, Integer> d : docs) {
            for (Map.Entry<String, Integer> e : d.entrySet()) {
                long[] s = stats.computeIfAbsent(e.getKey(), k -> new long[2]);
                s[0]++;
                s[1] += e.getValue();
            }
        }
        if (stats.isEmpty()) {
            throw new BottleneckException("the " + docs.size() + " training documents hold no words (runs of " + MIN_TOKEN
                    + " or more letters or digits, stop words removed); check that the files are text");
        }
        List<Map.Entry<String, long[]>> ranked = new ArrayList<>(stats.entrySet());
        ranked.sort((a, b) -> {
            int c = Long.compare(b.getValue()[0], a.getValue()[0]);
            if (c == 0) c = Long.compare(b.getValue()[1], a.getValue()[1]);
            return c != 0 ? c : a.getKey().compareTo(b.getKey());
        });
        String[] terms = new String[Math.min(size, ranked.size())];
        for (int j = 0; j < terms.length; j++) terms[j] = ranked.get(j).getKey();
        Arrays.sort(terms);
        double[] idf = null;
        if (weight == Weight.TFIDF) {
            idf = new double[terms.length];
            int n = docs.size();
            for (int j = 0; j < terms.length; j++) idf[j] = Math.log((1.0 + n) / (1.0 + stats.get(terms[j])[0])) + 1.0;
        }
        return new TextVectorizer(terms, idf, weight, stopWords);
    }

    /** One document's vector, written to {@code dst[off ...]} (its {@link #features} values, zero where absent). */
    public void transform(Map<String, Integer> counts, float[] dst, int off) {
        Arrays.fill(dst, off, off + terms.length, 0f);
        double norm = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            Integer j = index.get(e.getKey());
            if (j == null) continue;
            double v = switch (weight) {
                case COUNT -> e.getValue();
                case BINARY -> 1.0;
                case TFIDF -> e.getValue() * idf[j];
            };
            dst[off + j] = (float) v;
            norm += v * v;
        }
        if (weight == Weight.TFIDF && norm > 0) {
            double inv = 1.0 / Math.sqrt(norm);
            for (Map.Entry<String, Integer> e : counts.entrySet()) {
                Integer j = index.get(e.getKey());
                if (j != null) dst[off + j] = (float) (e.getValue() * idf[j] * inv);
            }
        }
    }

    /** What config.json stores as {@code data.text}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("weight", weight.key);
        m.put("lowercase", true);
        m.put("min_token", MIN_TOKEN);
        m.put("stop_words", stopWords);
        m.put("vocabulary", List.of(terms));
        if (idf != null) m.put("idf", Arrays.stream(idf).boxed().toList());
        return m;
    }

    /** Reads {@link #toMap}'s form back; every value is checked. */
    public static TextVectorizer fromMap(Map<String, Object> m, String where) {
        Weight w = Weight.parse(MapValues.text(m.get("weight"), where + " 'weight'"));
        List<?> vocab = MapValues.list(m.get("vocabulary"), where + " 'vocabulary'");
        if (vocab.isEmpty()) throw new BottleneckException(where + " 'vocabulary' is empty; retrain the model");
        Limits.SAMPLE_VALUES.check(vocab.size(), where + " 'vocabulary'");
        String[] terms = new String[vocab.size()];
        for (int j = 0; j < terms.length; j++) terms[j] = MapValues.text(vocab.get(j), where + " 'vocabulary' entry " + j);
        if (new java.util.HashSet<>(List.of(terms)).size() != terms.length) {
            throw new BottleneckException(where + " 'vocabulary' lists a term twice; retrain the model");
        }
        double[] idf = null;
        if (w == Weight.TFIDF) {
            List<?> l = MapValues.list(m.get("idf"), where + " 'idf'");
            if (l.size() != terms.length) {
                throw new BottleneckException(where + " 'idf' has " + l.size() + " values for " + terms.length + " terms; retrain the model");
            }
            idf = new double[terms.length];
            for (int j = 0; j < idf.length; j++) idf[j] = MapValues.number(l.get(j), where + " 'idf' entry " + j, 0, Double.MAX_VALUE);
        }
        String stop = m.get("stop_words") == null ? "english" : MapValues.text(m.get("stop_words"), where + " 'stop_words'");
        return new TextVectorizer(terms, idf, w, stop);
    }
}
