package dev.bottleneck.io;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Small IDX data sets for tests: blurry "digits" (a bar at a label-dependent angle) in the real file format. */
public final class IdxFixtures {
    private IdxFixtures() {}

    public static Path writeDigitsFolder(Path dir, int nTrain, int nTest, int side) throws IOException {
        Files.createDirectories(dir);
        write(dir, "train", nTrain, side, 1);
        write(dir, "t10k", nTest, side, 2);
        return dir;
    }

    private static void write(Path dir, String prefix, int n, int side, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] px = new byte[n * side * side];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            int label = r.nextInt(10);
            labels[i] = (byte) label;
            double angle = Math.PI * label / 10, c = Math.cos(angle), s = Math.sin(angle);
            double ox = side / 2.0 + r.nextDouble(-1, 1), oy = side / 2.0 + r.nextDouble(-1, 1);
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    double d = Math.abs(-(x - ox) * s + (y - oy) * c);
                    double v = Math.max(0, 1 - d / 1.5);
                    px[i * side * side + y * side + x] = (byte) Math.round(255 * v);
                }
            }
        }
        try (OutputStream o = Files.newOutputStream(dir.resolve(prefix + "-images-idx3-ubyte"));
             DataOutputStream d = new DataOutputStream(o)) {
            d.writeInt(0x803);
            d.writeInt(n);
            d.writeInt(side);
            d.writeInt(side);
            d.write(px);
        }
        try (OutputStream o = Files.newOutputStream(dir.resolve(prefix + "-labels-idx1-ubyte"));
             DataOutputStream d = new DataOutputStream(o)) {
            d.writeInt(0x801);
            d.writeInt(n);
            d.write(labels);
        }
    }
}
