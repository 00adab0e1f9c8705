package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.MapValues;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The names of a data set's classes: label {@code i} is class {@code names().get(i)}. They come from a CSV label column
 * of text (in order of first appearance), from the class sub-folders of an image folder (sorted), or from a shard
 * manifest's {@code classes}; numeric labels (IDX files, a CSV column of whole numbers) have none, and are shown as
 * the numbers they are.
 */
public final class ClassNames {
    /** Labels without names. */
    public static final ClassNames NUMERIC = new ClassNames(null);

    private final List<String> names;

    private ClassNames(List<String> names) {
        this.names = names == null ? null : List.copyOf(names);
    }

    /** Names for labels 0, 1, ...; null or empty gives {@link #NUMERIC}. */
    public static ClassNames of(List<String> names) {
        return names == null || names.isEmpty() ? NUMERIC : new ClassNames(names);
    }

    /** The names saved in a config.json data section ({@code classes}), or {@link #NUMERIC}. */
    public static ClassNames fromConfig(Map<String, Object> data) {
        Object c = data == null ? null : data.get("classes");
        if (c == null) return NUMERIC;
        List<String> names = new ArrayList<>();
        for (Object o : MapValues.list(c, "config.json 'data.classes'")) names.add(MapValues.text(o, "config.json 'data.classes' entry"));
        return of(names);
    }

    public boolean named() {
        return names != null;
    }

    /** The names, or null for numeric labels. */
    public List<String> names() {
        return names;
    }

    /** The name of {@code label}, or the number itself for numeric labels (and for a label without a name). */
    public String name(int label) {
        return names != null && label >= 0 && label < names.size() ? names.get(label) : Integer.toString(label);
    }

    /** The label as a JSON value: its name, or the number for numeric labels. */
    public Object value(int label) {
        return names != null && label >= 0 && label < names.size() ? names.get(label) : (Object) label;
    }

    /** The label as a CSV cell: its name (quoted where it holds a comma, a quote or a line break), or the number. */
    public String csvCell(int label) {
        String s = name(label);
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** Each label's name (or number) in order, for messages and JSON. */
    public List<Object> values(Collection<Integer> labels) {
        List<Object> out = new ArrayList<>(labels.size());
        for (int l : labels) out.add(value(l));
        return out;
    }

    /**
     * The label a command-line token names: a class name (exactly, else ignoring case), else a whole number. A number
     * that is no class name is taken as the label itself, so numbers keep working where the classes have names.
     *
     * @param option the option, for the message ({@code --normal-labels})
     */
    public int resolve(String token, String option) {
        String t = token.trim();
        if (names != null) {
            int k = names.indexOf(t);
            if (k < 0) {
                for (int i = 0; i < names.size() && k < 0; i++) if (names.get(i).equalsIgnoreCase(t)) k = i;
            }
            if (k >= 0) return k;
        }
        if (t.matches("[+-]?\\d{1,9}")) {
            int v = Integer.parseInt(t);
            if (names == null || (v >= 0 && v < names.size())) return v;
        }
        if (names == null) {
            throw new BottleneckException(option + " '" + t + "': the labels of this data are numbers, not names; give label numbers"
                    + " such as 0 or 0,1");
        }
        throw new BottleneckException(option + " '" + t + "' is not a class of this data; the classes are " + quoted(names)
                + " (or their numbers 0.." + (names.size() - 1) + ")");
    }

    /** {@link #resolve} for every token, in order, without repeats. */
    public Set<Integer> resolve(Collection<String> tokens, String option) {
        Set<Integer> out = new LinkedHashSet<>();
        for (String t : tokens) {
            if (t == null || t.isBlank()) throw new BottleneckException(option + ": an empty label; give names or numbers separated by commas");
            out.add(resolve(t, option));
        }
        return out;
    }

    private static String quoted(List<String> names) {
        StringBuilder sb = new StringBuilder();
        int shown = Math.min(names.size(), 30);
        for (int i = 0; i < shown; i++) sb.append(i == 0 ? "" : ", ").append('\'').append(names.get(i)).append('\'');
        if (names.size() > shown) sb.append(", ... (").append(names.size()).append(" in all)");
        return sb.toString();
    }

    @Override
    public String toString() {
        return names == null ? "numeric labels" : "classes " + names;
    }
}
