package dev.bottleneck.apps;

import java.util.HashMap;
import java.util.Map;

/** External measures of a clustering against true labels. */
public final class ClusterMetrics {
    private ClusterMetrics() {}

    /** A cluster's size and its most frequent label (the lowest of tied ones), with how many samples have it. */
    public record Majority(int cluster, int size, int label, int count) {
        public double share() { return size == 0 ? 0 : (double) count / size; }
    }

    /** Each non-empty cluster's {@link Majority}, by cluster number. */
    public static java.util.List<Majority> majorities(int[] clusters, int[] labels) {
        java.util.List<Majority> out = new java.util.ArrayList<>();
        for (var e : new java.util.TreeMap<>(contingency(clusters, labels)).entrySet()) {
            int size = 0, best = Integer.MAX_VALUE, count = -1;
            for (var c : e.getValue().entrySet()) {
                size += c.getValue();
                if (c.getValue() > count || (c.getValue() == count && c.getKey() < best)) {
                    best = c.getKey();
                    count = c.getValue();
                }
            }
            out.add(new Majority(e.getKey(), size, best, count));
        }
        return out;
    }

    /** Purity: each cluster votes for its most frequent label; the fraction of samples that agree with their cluster's vote. */
    public static double purity(int[] clusters, int[] labels) {
        Map<Integer, Map<Integer, Integer>> table = contingency(clusters, labels);
        long agree = 0;
        for (Map<Integer, Integer> row : table.values()) agree += row.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        return (double) agree / clusters.length;
    }

    /**
     * Normalised mutual information {@code I(C; L) / sqrt(H(C) H(L))} (natural logs; the geometric-mean normalisation).
     * 1 when both partitions are identical up to renaming; 1 as well when both are a single block; 0 when one of them
     * is a single block and the other is not.
     */
    public static double nmi(int[] clusters, int[] labels) {
        int n = clusters.length;
        if (labels.length != n) throw new IllegalArgumentException(n + " clusters for " + labels.length + " labels");
        Map<Integer, Map<Integer, Integer>> table = contingency(clusters, labels);
        Map<Integer, Integer> cl = count(clusters), lb = count(labels);
        double hc = entropy(cl, n), hl = entropy(lb, n);
        double mi = 0;
        for (var e : table.entrySet()) {
            int ci = cl.get(e.getKey());
            for (var f : e.getValue().entrySet()) {
                double nij = f.getValue();
                mi += nij / n * Math.log(nij * n / ((double) ci * lb.get(f.getKey())));
            }
        }
        if (hc == 0 && hl == 0) return 1.0;
        if (hc == 0 || hl == 0) return 0.0;
        return Math.max(0, mi) / Math.sqrt(hc * hl);
    }

    private static Map<Integer, Map<Integer, Integer>> contingency(int[] a, int[] b) {
        if (a.length != b.length) throw new IllegalArgumentException(a.length + " vs " + b.length);
        Map<Integer, Map<Integer, Integer>> t = new HashMap<>();
        for (int i = 0; i < a.length; i++) t.computeIfAbsent(a[i], z -> new HashMap<>()).merge(b[i], 1, Integer::sum);
        return t;
    }

    private static Map<Integer, Integer> count(int[] a) {
        Map<Integer, Integer> m = new HashMap<>();
        for (int v : a) m.merge(v, 1, Integer::sum);
        return m;
    }

    private static double entropy(Map<Integer, Integer> counts, int n) {
        double h = 0;
        for (int c : counts.values()) {
            double p = (double) c / n;
            h -= p * Math.log(p);
        }
        return h;
    }
}
