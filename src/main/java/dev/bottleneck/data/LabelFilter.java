package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.MapValues;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntUnaryOperator;

/**
 * Which labelled samples a model trains on ({@code train --normal-labels} or {@code --exclude-labels}): the one-class
 * protocol trains and validates on normal samples only, while the test split keeps every class. Labels are given
 * by class name or number ({@link ClassNames#resolve}) and saved in config.json's data section by name where the
 * classes have names, so a data set whose classes are numbered in another order still picks the same classes.
 *
 * @param exclude true for {@code --exclude-labels} (every class but these), false for {@code --normal-labels}
 * @param labels  the class names or numbers as given (at least one)
 */
public record LabelFilter(boolean exclude, List<String> labels) {
    public static final String NORMAL_KEY = "normal_labels", EXCLUDE_KEY = "exclude_labels";

    public LabelFilter {
        labels = List.copyOf(labels);
        if (labels.isEmpty()) throw new BottleneckException(option(exclude) + " needs at least one label");
    }

    /** The filter of the two options (null when neither is given); both at once are refused. */
    public static LabelFilter of(List<String> normal, List<String> exclude) {
        boolean n = normal != null && !normal.isEmpty(), e = exclude != null && !exclude.isEmpty();
        if (n && e) {
            throw new BottleneckException("--normal-labels and --exclude-labels both choose the training classes; give one of them");
        }
        return n ? new LabelFilter(false, normal) : e ? new LabelFilter(true, exclude) : null;
    }

    /** The filter saved in a config.json data section, or null. */
    public static LabelFilter fromConfig(Map<String, Object> data) {
        if (data == null) return null;
        for (String key : List.of(NORMAL_KEY, EXCLUDE_KEY)) {
            if (data.get(key) == null) continue;
            List<String> l = new ArrayList<>();
            for (Object o : MapValues.list(data.get(key), "config.json 'data." + key + "'")) {
                if (!(o instanceof String) && !(o instanceof Number)) {
                    throw new BottleneckException("config.json 'data." + key + "' must list class names or numbers, got " + MapValues.describe(o));
                }
                l.add(o instanceof Number num ? Long.toString(num.longValue()) : (String) o);
            }
            return new LabelFilter(key.equals(EXCLUDE_KEY), l);
        }
        return null;
    }

    public String option() {
        return option(exclude);
    }

    private static String option(boolean exclude) {
        return exclude ? "--exclude-labels" : "--normal-labels";
    }

    /** The labels the option names. */
    public Set<Integer> named(ClassNames classes) {
        return classes.resolve(labels, option());
    }

    /** The normal labels among {@code present}: the named ones, or for --exclude-labels every other one. */
    public Set<Integer> normal(ClassNames classes, Set<Integer> present) {
        Set<Integer> named = named(classes);
        Set<Integer> out = new TreeSet<>();
        for (int l : present) if (named.contains(l) != exclude) out.add(l);
        return out;
    }

    /**
     * The rows {@code 0..n-1} to keep, in order. Refused with one line when the data has no labels, when a named label
     * does not occur, or when nothing is left.
     *
     * @param labelOf the label of a row, or null when the data has none
     * @param what    the data, for messages
     */
    public int[] keptRows(int n, IntUnaryOperator labelOf, ClassNames classes, String what) {
        if (labelOf == null) {
            throw new BottleneckException(option() + ": " + what + " has no labels; give a label column (--csv-label COLUMN) or "
                    + "class sub-folders, or drop " + option());
        }
        Set<Integer> named = named(classes);
        Set<Integer> present = new TreeSet<>();
        int[] keep = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            int l = labelOf.applyAsInt(i);
            present.add(l);
            if (named.contains(l) != exclude) keep[k++] = i;
        }
        for (int l : named) {
            if (!present.contains(l)) {
                throw new BottleneckException(option() + " '" + classes.name(l) + "': no sample of " + what + " has that label (its labels: "
                        + String.join(", ", names(classes, present)) + ")");
            }
        }
        if (k == 0) {
            throw new BottleneckException(option() + " " + String.join(",", labels) + " leaves no sample of " + what + " to train on (its labels: "
                    + String.join(", ", names(classes, present)) + ")");
        }
        return java.util.Arrays.copyOf(keep, k);
    }

    private static List<String> names(ClassNames classes, Set<Integer> labels) {
        List<String> out = new ArrayList<>();
        for (int l : labels) out.add(classes.name(l));
        return out;
    }

    /** The classes the option names, by name (or number), for messages: {@code normal, usual}. */
    public String text(ClassNames classes) {
        return String.join(", ", names(classes, new LinkedHashSet<>(named(classes))));
    }

    /** The config.json entry: the classes by name where they have names, else by number. */
    public Map<String, Object> describe(ClassNames classes) {
        Set<Integer> named = new LinkedHashSet<>(named(classes));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(exclude ? EXCLUDE_KEY : NORMAL_KEY, classes.values(named));
        return m;
    }
}
