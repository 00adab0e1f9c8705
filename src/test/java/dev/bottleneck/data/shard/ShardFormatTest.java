package dev.bottleneck.data.shard;

import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.data.TimeSeriesReader;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.io.IdxFixtures;
import dev.bottleneck.io.Json;
import dev.bottleneck.io.Npy;
import dev.bottleneck.testing.ImageFolders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Writing shards from every input kind and reading them back: the same samples, labels and order as in memory. */
class ShardFormatTest {
    static ShardConverter.Options options(long shardBytes) {
        return new ShardConverter.Options(shardBytes, null, 42, null, null, null, null);
    }

    static float[] all(Samples s) {
        float[] x = new float[s.size() * s.features()];
        s.readRange(0, s.size(), x, 0);
        return x;
    }

    @Test
    void idxFolderKeepsBothSplitsBitForBitAsUint8AcrossShards(@TempDir Path tmp) throws Exception {
        Path idx = IdxFixtures.writeDigitsFolder(tmp.resolve("idx"), 300, 70, 12);
        Path out = tmp.resolve("shards");
        // 144-byte samples, 10 KiB shards: 71 samples per shard, so train spans 5 shards
        ShardConverter.Report r = ShardConverter.convert(idx.toString(), out, options(10 << 10), s -> { });
        ShardManifest m = r.manifest();
        assertEquals(ShardManifest.StoredType.UINT8, m.dtype());
        assertEquals(255, m.divideBy());
        assertEquals(5, m.split("train").shards().size());
        assertEquals(300, m.split("train").samples());
        TrainTest mem = DataSources.loadIdxFolder(idx, "idx");
        try (ShardSet set = ShardSet.open(out, ShardSet.Verify.ALWAYS, s -> { })) {
            for (String split : List.of("train", "test")) {
                Dataset d = split.equals("train") ? mem.train() : mem.test();
                ShardSplit s = set.split(split);
                assertEquals(d.n(), s.size());
                assertArrayEquals(d.sampleShape(), s.sampleShape());
                assertArrayEquals(d.x(), all(s), "u8 shards decode to the in-memory floats exactly (" + split + ")");
                assertArrayEquals(d.labels(), s.labels());
                // random access through the shard boundaries
                float[] row = new float[s.features()];
                for (int i : new int[] {0, 69, 70, 71, 72, 141, 142, d.n() - 1}) {
                    if (i >= d.n()) continue;
                    s.read(i, row, 0);
                    assertArrayEquals(d.row(i), row, "row " + i);
                    assertEquals(d.label(i), s.label(i));
                }
            }
            // statistics of the training split: min/max exact, mean/std as Scaler.fit computes them
            ShardManifest.Stats st = set.manifest().split("train").stats();
            Map<String, Object> mm = Scaler.fit(Scaler.Kind.MINMAX, mem.train()).toMap();
            assertEquals(mm.get("min"), list(st.min()));
            assertEquals(mm.get("max"), list(st.max()));
            Scaler std = Scaler.fit(Scaler.Kind.STANDARD, mem.train());
            double[] mean = std.offset(), sd = std.divisor();
            for (int j = 0; j < mean.length; j++) {
                assertEquals(mean[j], st.mean()[j], 1e-12, "mean " + j);
                assertEquals(sd[j] == 1.0 && st.std()[j] == 0 ? 1.0 : sd[j], st.std()[j] == 0 ? 1.0 : st.std()[j], 1e-9, "std " + j);
            }
            assertNull(set.manifest().split("test").stats(), "statistics come from the training split only");
        }
    }

    private static List<Double> list(double[] v) {
        return java.util.Arrays.stream(v).boxed().toList();
    }

    @Test
    void csvShardsHoldTheInMemoryHoldOutInItsOrderWithLabels(@TempDir Path tmp) throws Exception {
        Path csv = tmp.resolve("t.csv");
        StringBuilder sb = new StringBuilder("a,b,c,class\n");
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 57; i++) sb.append(r.nextDouble() * 10).append(',').append(r.nextInt(5)).append(',').append(-r.nextDouble())
                .append(',').append(i % 3 == 0 ? "x" : "y").append('\n');
        Files.writeString(csv, sb.toString());
        CsvReader.Options o = CsvReader.options().labelColumnSpec("class").build();
        Path out = tmp.resolve("s");
        ShardConverter.convert(csv.toString(), out, new ShardConverter.Options(256, null, 7, null, o, null, null), s -> { });
        TrainTest mem = DataSources.loadCsv(csv, o, 7);
        try (ShardSet set = ShardSet.open(out, ShardSet.Verify.FIRST_OPEN, null)) {
            assertEquals(ShardManifest.StoredType.FLOAT32, set.manifest().dtype());
            assertArrayEquals(mem.train().x(), all(set.split("train")), "train rows in the in-memory split's order");
            assertArrayEquals(mem.test().x(), all(set.split("test")));
            assertArrayEquals(mem.train().labels(), set.split("train").labels());
            assertEquals(List.of("y", "x"), set.manifest().classes().stream().sorted(java.util.Comparator.reverseOrder()).toList());
            assertTrue(set.manifest().split("train").shards().size() > 1, "256-byte shards of 12-byte rows");
        }
    }

    @Test
    void imageFoldersAsFloat32MatchTheInMemoryReaderAndAsUint8StayWithinHalfAStep(@TempDir Path tmp) throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        Path dir = ImageFolders.write(tmp.resolve("img"), List.of("cat", "dog"), 12, (cls, i) -> ImageFolders.randomRgb(9, 7, r));
        TrainTest mem = DataSources.resolve(dir.toString(), null, null, null, 42, DataSources.Environment.system());
        Path f32 = tmp.resolve("f32"), u8 = tmp.resolve("u8");
        ShardConverter.convert(dir.toString(), f32, new ShardConverter.Options(1 << 20, ShardManifest.StoredType.FLOAT32, 42, null, null,
                null, null), s -> { });
        ShardConverter.convert(dir.toString(), u8, options(1 << 20), s -> { });
        try (ShardSet a = ShardSet.open(f32, ShardSet.Verify.FIRST_OPEN, null); ShardSet b = ShardSet.open(u8, ShardSet.Verify.FIRST_OPEN, null)) {
            assertArrayEquals(new int[] {3, 7, 9}, a.manifest().sampleShape());
            assertArrayEquals(mem.train().x(), all(a.split("train")));
            assertArrayEquals(mem.test().x(), all(a.split("test")));
            assertArrayEquals(mem.train().labels(), a.split("train").labels());
            assertEquals(List.of("cat", "dog"), b.manifest().classes());
            float[] x = all(b.split("train"));
            for (int i = 0; i < x.length; i++) assertEquals(mem.train().x()[i], x[i], 1e-6, "RGB bytes are exact up to rounding");
        }
        // streamed straight from the folder: the very same floats as the in-memory reader
        ImageFolderSamples s = ImageFolderSamples.open(dir, null);
        Dataset.IndexSplit sp = Dataset.splitIndices(s.size(), DataSources.CSV_HOLDOUT, 42);
        assertArrayEquals(mem.train().x(), all(s.rows(sp.train())));
    }

    @Test
    void seriesWindowsFollowTheChronologicalSplit(@TempDir Path tmp) throws Exception {
        Path csv = tmp.resolve("s.csv");
        StringBuilder sb = new StringBuilder("t,v,w,anomaly\n");
        for (int i = 0; i < 100; i++) sb.append(i).append(',').append(Math.sin(i / 5.0)).append(',').append(i * 0.5).append(',')
                .append(i == 90 ? 1 : 0).append('\n');
        Files.writeString(csv, sb.toString());
        ShardConverter.Series ser = new ShardConverter.Series(TimeSeriesReader.Options.defaults().withTimestamp("t").withLabel("anomaly"),
                8, 4, 0.8);
        Path out = tmp.resolve("w");
        ShardConverter.convert(csv.toString(), out, new ShardConverter.Options(1 << 20, null, 1, null, null, null, ser), s -> { });
        try (ShardSet set = ShardSet.open(out, ShardSet.Verify.FIRST_OPEN, null)) {
            assertArrayEquals(new int[] {8, 2}, set.manifest().sampleShape());
            ShardSplit tr = set.split("train"), te = set.split("test");
            assertEquals(19, tr.size(), "rows 0..79: starts 0, 4, ..., 72");
            assertEquals(4, te.size(), "rows 80..99: starts 80, 84, 88, 92");
            float[] w = new float[16];
            te.read(2, w, 0);
            assertEquals(88 * 0.5, w[1], 1e-6, "the second value of the window starting at row 88");
            assertEquals(1, te.label(2), "the window 88..95 holds the anomaly at 90");
            assertEquals(0, te.label(0));
        }
    }

    @Test
    void shardsWrittenByOtherToolsAreReadFromTheManifest(@TempDir Path dir) throws Exception {
        // what numpy.save writes: a version 1.0 header, C order; float32 samples of shape (2, 3), int64 labels
        float[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        Files.write(dir.resolve("part-a.npy"), Npy.float32(a, 2, 2, 3));
        Files.write(dir.resolve("part-b.npy"), Npy.float32(new float[] {-1, -2, -3, -4, -5, -6}, 1, 2, 3));
        Files.write(dir.resolve("labels-a.npy"), Npy.int64(new long[] {3, 4}, 2));
        Files.write(dir.resolve("labels-b.npy"), Npy.int64(new long[] {5}, 1));
        Map<String, Object> train = new LinkedHashMap<>();
        train.put("shards", List.of(Map.of("file", "part-a.npy", "samples", 2, "labels", "labels-a.npy",
                        "sha256", ShardSet.sha256(dir.resolve("part-a.npy"))),
                Map.of("file", "part-b.npy", "samples", 1, "labels", "labels-b.npy")));
        Map<String, Object> m = Json.object("format", "bottleneck-shards", "version", 1, "sample_shape", List.of(2, 3),
                "dtype", "float32", "splits", Map.of("train", train));
        dev.bottleneck.io.Json.writeFile(dir.resolve("manifest.json"), m);
        try (ShardSet set = ShardSet.open(dir, ShardSet.Verify.FIRST_OPEN, null)) {
            ShardSplit s = set.split("train");
            assertEquals(3, s.size());
            float[] x = all(s);
            assertEquals(-6, x[17]);
            assertEquals(7, x[6]);
            assertArrayEquals(new int[] {3, 4, 5}, s.labels());
            assertNull(set.manifest().split("train").stats());
            assertFalse(set.hasSplit("test"));
        }
        assertTrue(Files.isRegularFile(dir.resolve(ShardSet.VERIFIED)), "the checked hash is remembered");
    }

    @Test
    void float16ShardsHoldHalfPrecisionValues(@TempDir Path tmp) throws Exception {
        Path idx = IdxFixtures.writeDigitsFolder(tmp.resolve("idx"), 40, 10, 8);
        Path out = tmp.resolve("h");
        ShardConverter.convert(idx.toString(), out, new ShardConverter.Options(1 << 20, ShardManifest.StoredType.FLOAT16, 42, null, null,
                null, null), s -> { });
        TrainTest mem = DataSources.loadIdxFolder(idx, "idx");
        try (ShardSet set = ShardSet.open(out, ShardSet.Verify.FIRST_OPEN, null)) {
            assertEquals(1, set.manifest().divideBy());
            float[] x = all(set.split("train"));
            for (int i = 0; i < x.length; i++) {
                assertEquals(dev.bottleneck.io.Half.halfToFloat(dev.bottleneck.io.Half.floatToHalf(mem.train().x()[i])), x[i]);
            }
            assertEquals(64L * 40 * 2 + 128, Files.size(out.resolve("train-00000.npy")), "two bytes a value");
        }
    }

    @Test
    void mappedAndPositionalReadsGiveTheSameSamples(@TempDir Path tmp) throws Exception {
        Path idx = IdxFixtures.writeDigitsFolder(tmp.resolve("idx"), 400, 10, 28);
        Path out = tmp.resolve("s");
        ShardConverter.convert(idx.toString(), out, options(64 << 10), s -> { });
        TrainTest mem = DataSources.loadIdxFolder(idx, "idx");
        ShardManifest m = ShardManifest.read(out);
        assertEquals(5, m.split("train").shards().size(), "83 samples of 784 bytes per 64 KiB shard");
        int[] perm = Dataset.permutation(400, 9);
        for (long limit : new long[] {0, Long.MAX_VALUE}) {
            try (ShardSplit s = ShardSplit.open(out, m, "train", limit)) {
                assertEquals(limit > 0, s.mapped());
                float[] x = new float[400 * 784];
                for (int k = 0; k < 400; k += 8) s.read(perm, k, 8, x, k * 784);
                for (int k = 0; k < 400; k++) {
                    assertArrayEquals(mem.train().row(perm[k]), java.util.Arrays.copyOfRange(x, k * 784, (k + 1) * 784), "sample " + perm[k]);
                }
                // runs of consecutive rows across shard boundaries
                float[] y = new float[300 * 784];
                s.readRange(50, 300, y, 0);
                assertArrayEquals(java.util.Arrays.copyOfRange(mem.train().x(), 50 * 784, 350 * 784), y);
            }
        }
    }
}
