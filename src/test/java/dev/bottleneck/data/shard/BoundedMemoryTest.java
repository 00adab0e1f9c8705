package dev.bottleneck.data.shard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Training streams shards with memory that does not depend on their size: a fresh JVM whose heap is a quarter of the
 * data (and an eighth of the floats a model sees) trains on all of it, and the backend never holds more than a few
 * batches. (scripts/shard-memory.sh compares peak RSS for 1x and 4x of a 2 GB set.)
 */
class BoundedMemoryTest {
    static final int SIDE = 32, N = 131_072;   // 131,072 uint8 images of 32 x 32: 128 MiB of samples

    @Test
    void aJvmWithAHeapFourTimesSmallerThanTheDataTrainsOnAllOfIt(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("big");
        Files.createDirectories(dir);
        write(dir);
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx32m", "-Djava.awt.headless=true", "-cp", cp, "dev.bottleneck.cli.Main",
                "train", dir.toString(), "--model", SIDE * SIDE + "-4-" + SIDE * SIDE, "--epochs", "1", "--batch", "256",
                "--validation", "0.05", "--pictures", "0", "--backend", "cpu", "--threads", "2", "--out", tmp.resolve("run").toString(), "--json"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(tmp.resolve("err.txt").toFile())
                .redirectOutput(tmp.resolve("out.txt").toFile()).start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "the child did not finish");
        String err = Files.readString(tmp.resolve("err.txt"));
        assertEquals(0, p.exitValue(), err);
        List<String> out = Files.readAllLines(tmp.resolve("out.txt"));
        JsonNode r = new ObjectMapper().readTree(out.get(out.size() - 1));
        assertEquals(1, r.get("epochs").asInt());
        assertTrue(Double.isFinite(r.get("test_loss").asDouble()));
        double peak = r.get("backend_peak_mib").asDouble();
        assertTrue(peak < 32, "the backend held " + peak + " MiB for 128 MiB of data");
        assertTrue(err.contains("data: " + dir + ", 124518 training / 6554 validation / 256 test samples"), err);
    }

    /** Random images in 32 MiB shards, with a small test split; no statistics are needed for --scale auto on images. */
    static void write(Path dir) {
        SplittableRandom r = new SplittableRandom(1);
        byte[] img = new byte[SIDE * SIDE];
        Map<String, ShardManifest.Split> splits = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            int n = split.equals("train") ? N : 256;
            try (ShardWriter w = new ShardWriter(dir, split, new int[] {1, SIDE, SIDE}, ShardManifest.StoredType.UINT8, 255, 32L << 20, n,
                    false, split.equals("train"))) {
                for (int i = 0; i < n; i++) {
                    // a smooth blob at a random place: something an autoencoder can learn
                    int cx = r.nextInt(SIDE), cy = r.nextInt(SIDE);
                    for (int y = 0; y < SIDE; y++) {
                        for (int x = 0; x < SIDE; x++) {
                            int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                            img[y * SIDE + x] = (byte) Math.max(0, 255 - 16 * d2);
                        }
                    }
                    w.addBytes(img, 0, 0);
                }
                splits.put(split, w.finish());
            }
        }
        new ShardManifest("blobs", new int[] {1, SIDE, SIDE}, ShardManifest.StoredType.UINT8, 255, splits, null, null).write(dir);
        assertEquals(4, splits.get("train").shards().size());
        assertTrue(new File(dir.toFile(), "train-00003.npy").length() > 32L << 20 - 1);
    }
}
