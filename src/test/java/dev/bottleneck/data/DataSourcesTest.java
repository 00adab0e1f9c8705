package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class DataSourcesTest {
    @TempDir Path tmp;

    /** An environment confined to the temp folder. */
    private DataSources.Environment env(Map<String, String> vars) {
        return new DataSources.Environment(vars, tmp.resolve("home"), tmp.resolve("system/fashion-mnist"));
    }

    @Test
    void cacheDirFromEnvOrHome() {
        assertEquals(tmp.resolve("home/.cache/bottleneck/data"), env(Map.of()).cacheDir());
        assertEquals(tmp.resolve("d"), env(Map.of("BOTTLENECK_DATA", tmp.resolve("d").toString())).cacheDir());
        assertNotNull(DataSources.cacheDir());
    }

    @Test
    void mnistFromHomeCache() throws Exception {
        IdxFiles.writeFolder(tmp.resolve("home/.cache/bottleneck/data/mnist"), 7, 3, 4, 4, false);
        TrainTest tt = DataSources.resolve("mnist", null, null, 1, env(Map.of()));
        assertEquals(7, tt.train().n());
        assertEquals(3, tt.test().n());
        assertArrayEquals(new int[] {1, 4, 4}, tt.train().sampleShape());
        assertEquals("mnist-train", tt.train().name());
        assertEquals("mnist-test", tt.test().name());
    }

    @Test
    void dataDirWinsAndItsSubfoldersAreSearched() throws Exception {
        IdxFiles.writeFolder(tmp.resolve("home/.cache/bottleneck/data/mnist"), 7, 3, 4, 4, false);
        Path given = tmp.resolve("given");
        IdxFiles.writeFolder(given.resolve("package/data"), 5, 2, 2, 2, false); // as `npm pack` + `tar xzf` leave it
        TrainTest tt = DataSources.resolve("mnist", given, null, 1, env(Map.of()));
        assertEquals(5, tt.train().n());
        IdxFiles.writeFolder(given.resolve("mnist"), 6, 2, 2, 2, true);
        assertEquals(6, DataSources.resolve("MNIST", given, null, 1, env(Map.of())).train().n());
    }

    @Test
    void fashionFromEnvThenSystemFolder() throws Exception {
        IdxFiles.writeFolder(tmp.resolve("system/fashion-mnist"), 4, 2, 3, 3, true);
        assertEquals(4, DataSources.resolve("fashion-mnist", null, null, 1, env(Map.of())).train().n());
        Path custom = tmp.resolve("custom");
        IdxFiles.writeFolder(custom.resolve("fashion-mnist"), 9, 2, 3, 3, true);
        TrainTest tt = DataSources.resolve("fashion_mnist", null, null, 1, env(Map.of("BOTTLENECK_DATA", custom.toString())));
        assertEquals(9, tt.train().n());
        assertEquals("fashion-mnist-train", tt.train().name());
    }

    @Test
    void notFoundListsEveryFolderSearched() throws Exception {
        Path given = tmp.resolve("given");
        Files.createDirectories(given);
        IdxFiles.write(given.resolve("train-images-idx3-ubyte"), IdxFiles.images(2, 2, 2), false);
        DataSources.Environment e = env(Map.of("BOTTLENECK_DATA", tmp.resolve("bd").toString()));
        BottleneckException ex = assertThrows(BottleneckException.class, () -> DataSources.resolve("mnist", given, null, 1, e));
        String m = ex.getMessage();
        List<Path> roots = DataSources.searchRoots("mnist", given, e);
        assertEquals(5, roots.size());
        for (Path r : roots) assertTrue(m.contains(r.toString()), r + " missing from: " + m);
        assertTrue(m.contains("run scripts/fetch-data.sh, or pass --data DIR"), m);
        assertTrue(m.contains("missing train-labels-idx1-ubyte"), m);
        assertTrue(m.contains("no such folder"), m);

        BottleneckException fx = assertThrows(BottleneckException.class, () -> DataSources.resolve("fashion-mnist", null, null, 1, e));
        assertTrue(fx.getMessage().contains(tmp.resolve("system/fashion-mnist").toString()), fx.getMessage());
    }

    @Test
    void unknownSpec() {
        BottleneckException ex = assertThrows(BottleneckException.class,
                () -> DataSources.resolve("cifar", null, null, 1, env(Map.of())));
        assertTrue(ex.getMessage().contains("'cifar'") && ex.getMessage().contains("mnist, fashion-mnist"), ex.getMessage());
    }

    @Test
    void idxImagesFileWithT10kBeside() throws Exception {
        Path d = tmp.resolve("idx");
        IdxFiles.writeFolder(d, 8, 3, 2, 2, true);
        TrainTest tt = DataSources.resolve(d.resolve("train-images-idx3-ubyte.gz").toString(), null, null, 1, env(Map.of()));
        assertEquals(8, tt.train().n());
        assertEquals(3, tt.test().n());
        assertTrue(tt.train().hasLabels() && tt.test().hasLabels());
    }

    @Test
    void idxImagesFileAloneIsSplitOneSeventh() throws Exception {
        Path d = tmp.resolve("idx");
        IdxFiles.write(d.resolve("digits-images-idx3-ubyte"), IdxFiles.images(70, 2, 2), false);
        IdxFiles.write(d.resolve("digits-labels-idx1-ubyte"), IdxFiles.labels(70), false);
        TrainTest tt = DataSources.resolve(d.resolve("digits-images-idx3-ubyte").toString(), null, null, 3, env(Map.of()));
        assertEquals(60, tt.train().n());
        assertEquals(10, tt.test().n());
        assertTrue(tt.train().hasLabels());
        TrainTest again = DataSources.resolve(d.resolve("digits-images-idx3-ubyte").toString(), null, null, 3, env(Map.of()));
        assertArrayEquals(tt.test().labels(), again.test().labels());
    }

    @Test
    void folderSpec() throws Exception {
        Path d = tmp.resolve("mine");
        IdxFiles.writeFolder(d, 4, 2, 2, 2, false);
        assertEquals(4, DataSources.resolve(d.toString(), null, null, 1, env(Map.of())).train().n());
    }

    @Test
    void csvHoldsOutTwentyPercent() throws Exception {
        StringBuilder sb = new StringBuilder("a,b,label\n");
        for (int i = 0; i < 50; i++) sb.append(i).append(',').append(i * 2).append(',').append(i % 2).append('\n');
        Path f = Files.writeString(tmp.resolve("t.csv"), sb.toString());
        CsvReader.Options o = CsvReader.options().labelColumn("label").build();
        TrainTest tt = DataSources.resolve(f.toString(), null, o, 11, env(Map.of()));
        assertEquals(40, tt.train().n());
        assertEquals(10, tt.test().n());
        assertEquals(2, tt.train().features());
        assertEquals("t-train", tt.train().name());
        // relative to --data
        TrainTest rel = DataSources.resolve("t.csv", tmp, o, 11, env(Map.of()));
        assertArrayEquals(tt.test().x(), rel.test().x());
    }
}
