package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Explicit user–item ratings: parallel arrays of (user index, item index, rating), with the original ids of users and
 * items in order of first appearance. Read from a CSV with {@code user,item,rating} columns (more columns are ignored):
 * with a header, the columns are found by name ({@code user}, {@code userId}, {@code user_id}; {@code item},
 * {@code movieId}, {@code item_id}...; {@code rating}), quoted or not, as R's {@code write.csv} writes them; without
 * one, they are the first three columns.
 */
public final class Ratings {
    private final int[] user, item;
    private final float[] rating;
    private final List<String> userIds, itemIds;
    private final String source;

    public Ratings(int[] user, int[] item, float[] rating, List<String> userIds, List<String> itemIds, String source) {
        if (user.length != item.length || user.length != rating.length) throw new IllegalArgumentException("ratings: arrays differ in length");
        this.user = user;
        this.item = item;
        this.rating = rating;
        this.userIds = List.copyOf(userIds);
        this.itemIds = List.copyOf(itemIds);
        this.source = source;
    }

    public int size() { return rating.length; }
    public int users() { return userIds.size(); }
    public int items() { return itemIds.size(); }
    public int user(int k) { return user[k]; }
    public int item(int k) { return item[k]; }
    public float rating(int k) { return rating[k]; }
    public List<String> userIds() { return userIds; }
    public List<String> itemIds() { return itemIds; }
    public String source() { return source; }

    /** Index of a user id, or -1. */
    public int userIndex(String id) { return userIds.indexOf(id); }

    /** The ratings at positions {@code idx} (same user and item numbering). */
    public Ratings subset(int[] idx) {
        int[] u = new int[idx.length], i = new int[idx.length];
        float[] r = new float[idx.length];
        for (int k = 0; k < idx.length; k++) {
            u[k] = user[idx[k]];
            i[k] = item[idx[k]];
            r[k] = rating[idx[k]];
        }
        return new Ratings(u, i, r, userIds, itemIds, source);
    }

    /** A seeded split: a fraction {@code holdout} of the ratings (rounded, at least one) is held out. */
    public record Split(Ratings train, Ratings test, boolean[] heldOut) { }

    public Split split(double holdout, long seed) {
        if (!(holdout > 0 && holdout < 1)) throw new BottleneckException("the held-out fraction must be between 0 and 1, got " + holdout);
        int n = size();
        if (n < 2) throw new BottleneckException(source + ": at least two ratings are needed to hold some out");
        int[] perm = new int[n];
        for (int k = 0; k < n; k++) perm[k] = k;
        SplittableRandom r = new SplittableRandom(seed);
        for (int k = n - 1; k > 0; k--) {
            int j = r.nextInt(k + 1);
            int t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
        int nTest = (int) Math.max(1, Math.min(n - 1, Math.round(n * holdout)));
        int[] test = Arrays.copyOfRange(perm, 0, nTest), train = Arrays.copyOfRange(perm, nTest, n);
        Arrays.sort(test);
        Arrays.sort(train);
        boolean[] held = new boolean[n];
        for (int k : test) held[k] = true;
        return new Split(subset(train), subset(test), held);
    }

    /** Mean of all ratings. */
    public double mean() {
        double s = 0;
        for (float v : rating) s += v;
        return size() == 0 ? 0 : s / size();
    }

    // ------------------------------------------------------------------------------------------ reading

    private static final List<String> USER_NAMES = List.of("user", "userid", "user_id", "users");
    private static final List<String> ITEM_NAMES = List.of("item", "itemid", "item_id", "movie", "movieid", "movie_id", "items");
    private static final List<String> RATING_NAMES = List.of("rating", "ratings", "score", "stars");

    public static Ratings readCsv(Path file) {
        return read(file, null);
    }

    /**
     * Reads a ratings file written with a {@code split} column ({@code train} or {@code test}, as 'bottleneck autorec'
     * writes it) and returns the split it records; the user and item numbering is that of the whole file.
     */
    public static Split readSplit(Path file) {
        boolean[][] held = new boolean[1][];
        Ratings all = read(file, held);
        if (held[0] == null) throw new BottleneckException(file + ": no 'split' column (expected user,item,rating,split)");
        int nt = 0;
        for (boolean h : held[0]) if (h) nt++;
        int[] test = new int[nt], train = new int[all.size() - nt];
        int a = 0, b = 0;
        for (int k = 0; k < all.size(); k++) {
            if (held[0][k]) test[a++] = k;
            else train[b++] = k;
        }
        return new Split(all.subset(train), all.subset(test), held[0]);
    }

    private static Ratings read(Path file, boolean[][] splitOut) {
        if (!Files.isRegularFile(file)) throw new BottleneckException("ratings file " + file + " not found");
        int[] user = new int[1024], item = new int[1024];
        float[] rating = new float[1024];
        int n = 0;
        Map<String, Integer> users = new LinkedHashMap<>(), items = new LinkedHashMap<>();
        int cu = 0, ci = 1, cr = 2, cs = -1;
        boolean[] held = new boolean[1024];
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            boolean first = true;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (first && line.startsWith("\uFEFF")) line = line.substring(1);
                if (line.isBlank()) continue;
                String[] f = splitLine(line);
                if (first) {
                    first = false;
                    if (f.length < 3) throw new BottleneckException(file + ":" + lineNo + ": expected at least 3 columns (user,item,rating), got " + f.length);
                    if (!isNumber(f[f.length > 2 ? 2 : 0])) { // a header: find the columns by name
                        cu = find(f, USER_NAMES, 0);
                        ci = find(f, ITEM_NAMES, 1);
                        cr = find(f, RATING_NAMES, 2);
                        cs = splitOut == null ? -1 : find(f, List.of("split"), -1);
                        if (cu == ci || cu == cr || ci == cr) {
                            throw new BottleneckException(file + ":1: cannot tell the user, item and rating columns apart in header " + Arrays.toString(f));
                        }
                        continue;
                    }
                }
                int need = Math.max(Math.max(cu, cs), Math.max(ci, cr));
                if (f.length <= need) {
                    throw new BottleneckException(file + ":" + lineNo + ": expected at least " + (need + 1) + " columns, got " + f.length);
                }
                float r;
                try {
                    r = Float.parseFloat(f[cr]);
                } catch (NumberFormatException e) {
                    throw new BottleneckException(file + ":" + lineNo + ": rating '" + f[cr] + "' (column " + (cr + 1) + ") is not a number");
                }
                if (!Float.isFinite(r)) throw new BottleneckException(file + ":" + lineNo + ": rating '" + f[cr] + "' is not finite");
                if (f[cu].isEmpty() || f[ci].isEmpty()) throw new BottleneckException(file + ":" + lineNo + ": empty user or item id");
                if (n == rating.length) {
                    user = Arrays.copyOf(user, n * 2);
                    item = Arrays.copyOf(item, n * 2);
                    rating = Arrays.copyOf(rating, n * 2);
                    held = Arrays.copyOf(held, n * 2);
                }
                if (cs >= 0) {
                    if (!f[cs].equals("train") && !f[cs].equals("test")) {
                        throw new BottleneckException(file + ":" + lineNo + ": split '" + f[cs] + "' must be train or test");
                    }
                    held[n] = f[cs].equals("test");
                }
                user[n] = users.computeIfAbsent(f[cu], k -> users.size());
                item[n] = items.computeIfAbsent(f[ci], k -> items.size());
                rating[n] = r;
                n++;
            }
        } catch (IOException e) {
            throw new BottleneckException("cannot read ratings " + file + ": " + e.getMessage());
        }
        if (n == 0) throw new BottleneckException(file + ": no ratings (expected lines of user,item,rating)");
        if (splitOut != null && cs >= 0) splitOut[0] = Arrays.copyOf(held, n);
        return new Ratings(Arrays.copyOf(user, n), Arrays.copyOf(item, n), Arrays.copyOf(rating, n),
                new ArrayList<>(users.keySet()), new ArrayList<>(items.keySet()), file.toString());
    }

    private static int find(String[] header, List<String> names, int fallback) {
        for (int k = 0; k < header.length; k++) {
            if (names.contains(header[k].toLowerCase(Locale.ROOT).trim())) return k;
        }
        return fallback;
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Splits a CSV line on commas (or tabs / semicolons when there is no comma), removing double quotes. */
    static String[] splitLine(String line) {
        char d = line.indexOf(',') >= 0 ? ',' : line.indexOf('\t') >= 0 ? '\t' : ';';
        List<String> out = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        boolean q = false;
        for (int k = 0; k < line.length(); k++) {
            char c = line.charAt(k);
            if (c == '"') {
                if (q && k + 1 < line.length() && line.charAt(k + 1) == '"') {
                    b.append('"');
                    k++;
                } else {
                    q = !q;
                }
            } else if (c == d && !q) {
                out.add(b.toString().trim());
                b.setLength(0);
            } else {
                b.append(c);
            }
        }
        out.add(b.toString().trim());
        return out.toArray(new String[0]);
    }
}
