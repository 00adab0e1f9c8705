package dev.bottleneck.data;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Loads the real data sets from the cache that scripts/fetch-data.sh fills; skipped (with the reason) when absent. */
class RealMnistTest {
    private static void checkReal(String name) {
        DataSources.Environment env = DataSources.Environment.system();
        List<Path> roots = DataSources.searchRoots(name, null, env);
        Path dir = DataSources.findIdxFolder(roots);
        assumeTrue(dir != null, name + " is not installed (searched " + roots + "); run scripts/fetch-data.sh to run this test");

        long t0 = System.nanoTime();
        TrainTest tt = DataSources.resolve(name, null, null, 1, env);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%s: loaded %d + %d images from %s in %.2f s%n", name, tt.train().n(), tt.test().n(), dir, seconds);

        for (Dataset d : new Dataset[] {tt.train(), tt.test()}) {
            assertArrayEquals(new int[] {1, 28, 28}, d.sampleShape());
            assertEquals(784, d.features());
            assertTrue(d.hasLabels());
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            double sum = 0;
            for (float v : d.x()) {
                if (v < min) min = v;
                if (v > max) max = v;
                sum += v;
            }
            assertEquals(0f, min);
            assertEquals(1f, max);
            double mean = sum / d.x().length;
            assertTrue(mean > 0.05 && mean < 0.5, "mean pixel " + mean);
            int[] hist = new int[10];
            for (int l : d.labels()) {
                assertTrue(l >= 0 && l < 10, "label " + l);
                hist[l]++;
            }
            for (int c = 0; c < 10; c++) {
                // each class holds roughly a tenth (MNIST 9–11.3%, Fashion-MNIST exactly 10%)
                assertTrue(hist[c] > d.n() * 0.08 && hist[c] < d.n() * 0.13, name + " class " + c + ": " + hist[c] + " of " + d.n());
            }
        }
        assertEquals(60000, tt.train().n());
        assertEquals(10000, tt.test().n());
    }

    @Test
    void mnist() {
        checkReal("mnist");
    }

    @Test
    void fashionMnist() {
        checkReal("fashion-mnist");
    }
}
