package dev.bottleneck.bench;

import dev.bottleneck.data.DataSources;
import dev.bottleneck.data.IdxReader;
import dev.bottleneck.data.TrainTest;
import dev.bottleneck.data.shard.ByteSize;
import dev.bottleneck.data.shard.ShardManifest;
import dev.bottleneck.data.shard.ShardWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a large shard set for the bounded-memory check of {@code scripts/shard-memory.sh}: MNIST's training images
 * repeated, each copy shifted by a random crop of up to 2 pixels and with random noise of up to ±8 grey levels, as
 * uint8 shards of 256 MiB, until the training split holds the requested bytes; MNIST's own test split is the test
 * split. Every run with the same seed writes the same bytes.
 *
 * <p>Usage: {@code ShardMemory OUT SIZE [SEED]}, e.g. {@code ShardMemory /tmp/m4 2GB}.
 */
public final class ShardMemory {
    private ShardMemory() {}

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: ShardMemory OUT SIZE [SEED]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        long bytes = ByteSize.parse(args[1]);
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
        long t0 = System.nanoTime();
        int n = write(out, bytes, seed);
        System.out.printf("wrote %,d training images (%.2f GiB) to %s in %.1f s%n", n, n * 784.0 / (1 << 30), out, (System.nanoTime() - t0) / 1e9);
    }

    /** Writes the set; returns the number of training images. */
    public static int write(Path out, long bytes, long seed) {
        DataSources.IdxFiles f = DataSources.idxFiles("mnist", null, DataSources.Environment.system());
        TrainTest mnist = DataSources.loadIdxFolder(f.trainImages().getParent(), "mnist");
        int[] labels = IdxReader.readLabels(f.trainLabels());
        int side = 28, d = side * side;
        int n = (int) Math.min(Integer.MAX_VALUE - 8, bytes / d);
        byte[] src = new byte[mnist.train().n() * d];
        for (int i = 0; i < src.length; i++) src[i] = (byte) Math.round(mnist.train().x()[i] * 255);
        try {
            Files.createDirectories(out);
        } catch (java.io.IOException e) {
            throw new dev.bottleneck.BottleneckException("cannot create " + out + ": " + e.getMessage());
        }
        Map<String, ShardManifest.Split> splits = new LinkedHashMap<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] img = new byte[d];
        try (ShardWriter w = new ShardWriter(out, "train", new int[] {1, side, side}, ShardManifest.StoredType.UINT8, 255, 256L << 20, n,
                true, true)) {
            for (int i = 0; i < n; i++) {
                int s = i % mnist.train().n();
                int dx = rnd.nextInt(5) - 2, dy = rnd.nextInt(5) - 2;
                for (int y = 0; y < side; y++) {
                    for (int x = 0; x < side; x++) {
                        int sx = x + dx, sy = y + dy;
                        int v = sx < 0 || sy < 0 || sx >= side || sy >= side ? 0 : src[s * d + sy * side + sx] & 0xff;
                        v += rnd.nextInt(17) - 8;
                        img[y * side + x] = (byte) Math.max(0, Math.min(255, v));
                    }
                }
                w.addBytes(img, 0, labels[s]);
            }
            splits.put("train", w.finish());
        }
        try (ShardWriter w = new ShardWriter(out, "test", new int[] {1, side, side}, ShardManifest.StoredType.UINT8, 255, 256L << 20,
                mnist.test().n(), true, false)) {
            byte[] t = new byte[d];
            for (int i = 0; i < mnist.test().n(); i++) {
                for (int j = 0; j < d; j++) t[j] = (byte) Math.round(mnist.test().x()[i * d + j] * 255);
                w.addBytes(t, 0, mnist.test().label(i));
            }
            splits.put("test", w.finish());
        }
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("kind", "mnist, shifted by up to 2 pixels, noise of up to 8 grey levels");
        source.put("seed", seed);
        new ShardManifest("mnist-x" + Math.max(1, n / mnist.train().n()), new int[] {1, side, side}, ShardManifest.StoredType.UINT8, 255,
                splits, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), source).write(out);
        return n;
    }
}
