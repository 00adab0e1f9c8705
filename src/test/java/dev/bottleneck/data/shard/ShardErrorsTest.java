package dev.bottleneck.data.shard;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.IdxFixtures;
import dev.bottleneck.io.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Broken shard directories: each fails when opened, before anything is mapped, with one line that names the file
 * and says what to do.
 */
class ShardErrorsTest {
    @TempDir static Path tmp;
    static Path good;
    static int copies;

    @BeforeAll
    static void shards() throws Exception {
        Path idx = IdxFixtures.writeDigitsFolder(tmp.resolve("idx"), 200, 30, 12);
        good = tmp.resolve("good");
        // 144-byte samples in 16 KiB shards: train-00000 holds 113 samples, train-00001 the other 87
        ShardConverter.convert(idx.toString(), good, ShardFormatTest.options(16 << 10), s -> { });
    }

    /** A fresh copy of the good shards, changed by {@code edit}. */
    static Path broken(Consumer<Path> edit) throws Exception {
        Path d = tmp.resolve("copy" + copies++);
        Files.createDirectories(d);
        try (Stream<Path> s = Files.list(good)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                if (!f.getFileName().toString().equals(ShardSet.VERIFIED)) Files.copy(f, d.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        edit.accept(d);
        return d;
    }

    static String fails(Path dir, ShardSet.Verify v, String... parts) {
        BottleneckException e = assertThrows(BottleneckException.class, () -> ShardSet.open(dir, v, s -> { }).close());
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        for (String p : parts) assertTrue(m.contains(p), "'" + p + "' missing from: " + m);
        return m;
    }

    @SuppressWarnings("unchecked")
    static void editManifest(Path d, Consumer<Map<String, Object>> edit) {
        Map<String, Object> m = Json.read(d.resolve(ShardManifest.FILE), Map.class);
        edit.accept(m);
        Json.writeFile(d.resolve(ShardManifest.FILE), m);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> shard(Map<String, Object> m, String split, int k) {
        Map<String, Object> sp = (Map<String, Object>) ((Map<String, Object>) m.get("splits")).get(split);
        return ((List<Map<String, Object>>) sp.get("shards")).get(k);
    }

    static void run(IoAction a) {
        try {
            a.run();
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    interface IoAction {
        void run() throws Exception;
    }

    @Test
    void theGoodCopyOpens() throws Exception {
        Path d = broken(x -> { });
        try (ShardSet s = ShardSet.open(d, ShardSet.Verify.ALWAYS, null)) {
            assertEquals(2, s.manifest().split("train").shards().size());
            assertEquals(200, s.split("train").size());
        }
    }

    @Test
    void aTruncatedShardIsRefused() throws Exception {
        Path d = broken(x -> run(() -> {
            try (RandomAccessFile f = new RandomAccessFile(x.resolve("train-00001.npy").toFile(), "rw")) {
                f.setLength(f.length() - 100);
            }
        }));
        fails(d, ShardSet.Verify.NEVER, "train-00001.npy", "truncated", "re-create");
    }

    @Test
    void bytesAfterTheLastSampleAreRefused() throws Exception {
        Path d = broken(x -> run(() -> Files.write(x.resolve("train-00000.npy"), new byte[7], java.nio.file.StandardOpenOption.APPEND)));
        fails(d, ShardSet.Verify.NEVER, "train-00000.npy", "7 bytes follow");
    }

    @Test
    void aChangedByteFailsTheHashCheckOnFirstOpen() throws Exception {
        Path d = broken(x -> run(() -> flipByte(x.resolve("train-00001.npy"), 500)));
        fails(d, ShardSet.Verify.FIRST_OPEN, "train-00001.npy", "SHA-256 mismatch", "restore it or re-create");
    }

    @Test
    void verifyChecksAgainAFileChangedBehindTheRecordsBack() throws Exception {
        Path d = broken(x -> { });
        ShardSet.open(d, ShardSet.Verify.FIRST_OPEN, null).close();  // hashes and records every file
        Path f = d.resolve("train-00000.npy");
        FileTime t = Files.getLastModifiedTime(f);
        flipByte(f, 1000);
        Files.setLastModifiedTime(f, t);                            // same size, same time: the record still matches
        ShardSet.open(d, ShardSet.Verify.FIRST_OPEN, null).close();
        fails(d, ShardSet.Verify.ALWAYS, "train-00000.npy", "SHA-256 mismatch");
        // a plain change (new modification time) is noticed without --verify
        flipByte(f, 2000);
        fails(d, ShardSet.Verify.FIRST_OPEN, "train-00000.npy", "SHA-256 mismatch");
    }

    @Test
    void aShapeThatDisagreesWithTheManifestIsRefused() throws Exception {
        Path d = broken(x -> editManifest(x, m -> m.put("sample_shape", List.of(1, 144))));
        fails(d, ShardSet.Verify.NEVER, "train-00000.npy", "has shape (113, 1, 12, 12)", "says (113, 1, 144)");
        Path e = broken(x -> editManifest(x, m -> {
            shard(m, "train", 0).put("samples", 112);
            @SuppressWarnings("unchecked") Map<String, Object> tr = (Map<String, Object>) ((Map<String, Object>) m.get("splits")).get("train");
            tr.put("samples", 199);
        }));
        fails(e, ShardSet.Verify.NEVER, "train-00000.npy", "(113, 1, 12, 12)", "(112, 1, 12, 12)");
    }

    @Test
    void aDtypeThatDisagreesWithTheManifestIsRefused() throws Exception {
        Path d = broken(x -> editManifest(x, m -> m.put("dtype", "float32")));
        fails(d, ShardSet.Verify.NEVER, "train-00000.npy", "stores '|u1'", "dtype float32");
    }

    @Test
    void missingFilesAreNamed() throws Exception {
        Path d = broken(x -> run(() -> Files.delete(x.resolve("test-00000.npy"))));
        fails(d, ShardSet.Verify.NEVER, "test-00000.npy", "missing", "restore the file");
        Path e = broken(x -> run(() -> Files.delete(x.resolve("train-00001.labels.npy"))));
        fails(e, ShardSet.Verify.NEVER, "train-00001.labels.npy", "missing");
        Path f = broken(x -> run(() -> Files.delete(x.resolve(ShardManifest.FILE))));
        fails(f, ShardSet.Verify.NEVER, "has no manifest.json");
    }

    @Test
    void filesThatAreNotNpyOrWhoseHeaderLiesAreRefused() throws Exception {
        Path d = broken(x -> run(() -> Files.writeString(x.resolve("train-00000.npy"), "not numpy at all")));
        fails(d, ShardSet.Verify.NEVER, "train-00000.npy", "not a .npy file");
        // a header length beyond the end of the file
        Path e = broken(x -> run(() -> {
            try (RandomAccessFile f = new RandomAccessFile(x.resolve("train-00000.npy").toFile(), "rw")) {
                f.seek(8);
                f.write(new byte[] {(byte) 0xff, (byte) 0xff});
                f.setLength(200);
            }
        }));
        fails(e, ShardSet.Verify.NEVER, "train-00000.npy", "header claims 65535 bytes");
    }

    @Test
    void manifestsThatPointOutsideTheDirectoryOrAreNotShardsAreRefused() throws Exception {
        Path d = broken(x -> editManifest(x, m -> shard(m, "train", 0).put("file", "../idx/train-images-idx3-ubyte")));
        fails(d, ShardSet.Verify.NEVER, "'file'", "plain file name");
        Path e = broken(x -> editManifest(x, m -> m.put("format", "something-else")));
        fails(e, ShardSet.Verify.NEVER, "not a shard manifest");
        Path f = broken(x -> editManifest(x, m -> m.put("version", 2)));
        fails(f, ShardSet.Verify.NEVER, "version 2", "update bottleneck");
        Path g = broken(x -> editManifest(x, m -> shard(m, "train", 1).put("sha256", "abc")));
        fails(g, ShardSet.Verify.NEVER, "'sha256'", "64 hexadecimal digits");
        Path h = broken(x -> editManifest(x, m -> m.put("sample_shape", List.of(1 << 13, 1 << 13))));
        fails(h, ShardSet.Verify.NEVER, "values per sample");
    }

    static void flipByte(Path f, long at) {
        run(() -> {
            try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
                r.seek(at);
                int b = r.read();
                r.seek(at);
                r.write(b ^ 0x5a);
            }
        });
    }
}
