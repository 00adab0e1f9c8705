package dev.bottleneck.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class DatasetTest {
    private static Dataset seq(int n, int d) {
        float[] x = new float[n * d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i;
            for (int j = 0; j < d; j++) x[i * d + j] = i * 100 + j;
        }
        return new Dataset(x, n, new int[] {d}, y, "seq");
    }

    @Test
    void basics() {
        Dataset d = new Dataset(new float[12], 2, new int[] {1, 2, 3}, null, "img");
        assertEquals(6, d.features());
        assertFalse(d.hasLabels());
        assertThrows(IllegalArgumentException.class, () -> new Dataset(new float[11], 2, new int[] {6}, null, "bad"));
        assertThrows(IllegalArgumentException.class, () -> new Dataset(new float[12], 2, new int[] {6}, new int[3], "bad"));
        Dataset s = seq(4, 3);
        assertArrayEquals(new float[] {200, 201, 202}, s.row(2));
        s.row(2)[0] = -1;
        assertEquals(200, s.x()[6]); // row() is a copy
        Dataset sub = s.subset(new int[] {3, 1}, "sub");
        assertArrayEquals(new float[] {300, 301, 302, 100, 101, 102}, sub.x());
        assertArrayEquals(new int[] {3, 1}, sub.labels());
        assertEquals("sub", sub.name());
        assertThrows(IndexOutOfBoundsException.class, () -> s.row(4));
    }

    @Test
    void permutationIsDeterministicAndComplete() {
        int[] a = Dataset.permutation(1000, 42);
        assertArrayEquals(a, Dataset.permutation(1000, 42));
        assertFalse(Arrays.equals(a, Dataset.permutation(1000, 43)));
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 1000; i++) assertEquals(i, sorted[i]);
        assertEquals(0, Dataset.permutation(0, 1).length);
        assertArrayEquals(new int[] {0}, Dataset.permutation(1, 1));
    }

    @Test
    void epochPermutationDependsOnSeedAndEpochOnly() {
        int[] e0 = Dataset.epochPermutation(500, 7, 0);
        int[] e1 = Dataset.epochPermutation(500, 7, 1);
        assertArrayEquals(e0, Dataset.epochPermutation(500, 7, 0));
        assertArrayEquals(e1, Dataset.epochPermutation(500, 7, 1));
        assertFalse(Arrays.equals(e0, e1));
        assertFalse(Arrays.equals(e0, Dataset.epochPermutation(500, 8, 0)));
        // seed/epoch pairs that a plain XOR would confuse stay distinct
        assertFalse(Arrays.equals(Dataset.epochPermutation(500, 1, 0), Dataset.epochPermutation(500, 0, 1)));
        Set<Long> seeds = new HashSet<>();
        for (int e = 0; e < 100; e++) seeds.add(Dataset.epochSeed(7, e));
        assertEquals(100, seeds.size());
    }

    @Test
    void splitSizesDisjointnessAndDeterminism() {
        Dataset d = seq(101, 2);
        Dataset.Split s = d.split(0.2, 5);
        assertEquals(20, s.validation().n()); // round(20.2)
        assertEquals(81, s.train().n());
        Set<Integer> seen = new HashSet<>();
        for (int l : s.train().labels()) assertTrue(seen.add(l));
        for (int l : s.validation().labels()) assertTrue(seen.add(l));
        assertEquals(101, seen.size());
        // rows travel with their labels
        for (int i = 0; i < s.validation().n(); i++) {
            assertEquals(s.validation().labels()[i] * 100f, s.validation().x()[i * 2]);
        }
        Dataset.Split again = d.split(0.2, 5);
        assertArrayEquals(s.train().x(), again.train().x());
        assertArrayEquals(s.validation().labels(), again.validation().labels());
        assertFalse(Arrays.equals(s.validation().labels(), d.split(0.2, 6).validation().labels()));
        assertEquals(0, d.split(0.0, 1).validation().n());
        assertEquals(101, d.split(1.0, 1).validation().n());
        assertThrows(dev.bottleneck.BottleneckException.class, () -> d.split(1.5, 1));
    }
}
