package dev.bottleneck.data.shard;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Half;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Writes one split as a sequence of {@code .npy} shards of about {@code shardBytes} each, in one pass and with
 * bounded memory: every shard's header is written first (the split's sample count is known up front, so each
 * shard's is too), the samples stream behind it through a 1 MiB buffer that also feeds the SHA-256, and a shard
 * becomes visible under its name only when it is complete. The per-value statistics a scaler needs (min, max, mean,
 * population std of the values a reader will return) are accumulated on the way.
 *
 * <p>Names: {@code SPLIT-00000.npy}, and {@code SPLIT-00000.labels.npy} (int32) when the split has labels.
 */
public final class ShardWriter implements AutoCloseable {
    private final Path dir;
    private final String split;
    private final int[] sampleShape;
    private final ShardManifest.StoredType dtype;
    private final int features;
    private final int rowBytes;
    private final int total;
    private final int perShard;
    private final boolean labelled;
    private final boolean stats;
    private final float[] byteTable = new float[256];
    private final float divide;
    private final List<ShardManifest.Shard> done = new ArrayList<>();

    // the shard being written
    private Out data;
    private Out labels;
    private int inShard;
    private int written;

    // statistics, per value
    private final double[] min, max, sum, shift, sumShift, sumSqShift;
    private final float[] decoded;

    /** One file being written: temporary path, channel, buffer and digest. */
    private static final class Out {
        final Path target;
        final Path tmp;
        final FileChannel ch;
        final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        final MessageDigest md = ShardSet.digest();

        Out(Path target) throws IOException {
            this.target = target;
            this.tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
            this.ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        }

        void put(byte[] b) throws IOException {
            for (int at = 0; at < b.length; ) {
                if (!buf.hasRemaining()) flush();
                int n = Math.min(buf.remaining(), b.length - at);
                buf.put(b, at, n);
                at += n;
            }
        }

        ByteBuffer room(int bytes) throws IOException {
            if (buf.remaining() < bytes) flush();
            return buf;
        }

        void flush() throws IOException {
            buf.flip();
            md.update(buf.array(), 0, buf.limit());
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }

        /** Flushes, syncs and renames into place; returns the SHA-256. */
        String finish() throws IOException {
            flush();
            ch.force(true);
            ch.close();
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return HexFormat.of().formatHex(md.digest());
        }

        void abandon() {
            try {
                ch.close();
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    /**
     * @param total      how many samples this split will get (exactly)
     * @param shardBytes target bytes of sample data per shard (at least one sample per shard)
     * @param divideBy   what a reader divides stored values by (uint8 images: 255)
     * @param stats      whether to accumulate statistics (the training split)
     */
    public ShardWriter(Path dir, String split, int[] sampleShape, ShardManifest.StoredType dtype, double divideBy, long shardBytes,
                       int total, boolean labelled, boolean stats) {
        if (total < 1) throw new BottleneckException("the " + split + " split would hold no samples; nothing to write");
        this.dir = dir;
        this.split = split;
        this.sampleShape = sampleShape.clone();
        this.dtype = dtype;
        long f = 1;
        for (int d : sampleShape) f *= d;
        this.features = (int) f;
        this.rowBytes = Math.toIntExact(f * dtype.bytes);
        this.total = total;
        this.perShard = (int) Math.max(1, Math.min(Integer.MAX_VALUE, shardBytes / rowBytes));
        this.labelled = labelled;
        this.stats = stats;
        this.divide = (float) divideBy;
        for (int v = 0; v < 256; v++) byteTable[v] = divide == 1f ? v : v / divide;
        int s = stats ? features : 0;
        min = new double[s];
        max = new double[s];
        sum = new double[s];
        shift = new double[s];
        sumShift = new double[s];
        sumSqShift = new double[s];
        java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        decoded = new float[features];
    }

    /** Samples per shard. */
    public int samplesPerShard() {
        return perShard;
    }

    /** Adds one sample stored as uint8 ({@code features} bytes from {@code src[off]}); only for uint8 splits. */
    public void addBytes(byte[] src, int off, int label) {
        if (dtype != ShardManifest.StoredType.UINT8) throw new IllegalStateException("addBytes needs a uint8 split");
        try {
            begin(label);
            ByteBuffer b = data.room(rowBytes);
            b.put(src, off, features);
            for (int j = 0; j < features; j++) decoded[j] = byteTable[src[off + j] & 0xff];
            end();
        } catch (IOException e) {
            throw ioError(e);
        }
    }

    /**
     * Adds one sample given as the float values a reader should return ({@code features} from {@code src[off]}),
     * stored as float16 or float32 (divide_by must be 1 for them).
     */
    public void addFloats(float[] src, int off, int label) {
        if (dtype == ShardManifest.StoredType.UINT8) throw new IllegalStateException("addFloats needs a float16 or float32 split");
        try {
            begin(label);
            ByteBuffer b = data.room(rowBytes);
            if (dtype == ShardManifest.StoredType.FLOAT32) {
                for (int j = 0; j < features; j++) {
                    float v = src[off + j];
                    b.putFloat(v);
                    decoded[j] = divide == 1f ? v : v / divide;
                }
            } else {
                for (int j = 0; j < features; j++) {
                    short h = Half.floatToHalf(src[off + j]);
                    b.putShort(h);
                    float v = Half.halfToFloat(h);
                    decoded[j] = divide == 1f ? v : v / divide;
                }
            }
            end();
        } catch (IOException e) {
            throw ioError(e);
        }
    }

    private void begin(int label) throws IOException {
        if (written >= total) throw new IllegalStateException(split + ": more than the " + total + " samples announced");
        if (data == null) {
            int k = done.size();
            int count = Math.min(perShard, total - written);
            String base = String.format(Locale.ROOT, "%s-%05d", split, k);
            data = new Out(dir.resolve(base + ".npy"));
            long[] shape = new long[sampleShape.length + 1];
            shape[0] = count;
            for (int i = 0; i < sampleShape.length; i++) shape[i + 1] = sampleShape[i];
            data.put(NpyHeader.bytes(dtype.descr, shape));
            if (labelled) {
                labels = new Out(dir.resolve(base + ".labels.npy"));
                labels.put(NpyHeader.bytes("<i4", new long[] {count}));
            }
            inShard = 0;
        }
        if (labelled) labels.room(4).putInt(label);
    }

    private void end() throws IOException {
        if (stats) {
            boolean first = written == 0;
            for (int j = 0; j < features; j++) {
                double v = decoded[j];
                if (v < min[j]) min[j] = v;
                if (v > max[j]) max[j] = v;
                sum[j] += v;
                if (first) shift[j] = v;
                double t = v - shift[j];
                sumShift[j] += t;
                sumSqShift[j] += t * t;
            }
        }
        written++;
        inShard++;
        int count = Math.min(perShard, total - (written - inShard));
        if (inShard == count) closeShard(count);
    }

    private void closeShard(int count) throws IOException {
        String dataSha = data.finish();
        String labelsSha = labelled ? labels.finish() : null;
        done.add(new ShardManifest.Shard(data.target.getFileName().toString(), count, dataSha,
                labelled ? labels.target.getFileName().toString() : null, labelsSha));
        data = null;
        labels = null;
    }

    /** The split's manifest entry; every announced sample must have been added. */
    public ShardManifest.Split finish() {
        if (written != total) throw new IllegalStateException(split + ": " + written + " of the " + total + " samples announced were added");
        ShardManifest.Stats st = null;
        if (stats) {
            double[] mean = new double[features], std = new double[features];
            for (int j = 0; j < features; j++) {
                mean[j] = sum[j] / total;
                double var = (sumSqShift[j] - sumShift[j] * sumShift[j] / total) / total;
                std[j] = Math.sqrt(Math.max(0, var));
            }
            st = new ShardManifest.Stats(min.clone(), max.clone(), mean, std);
        }
        return new ShardManifest.Split(split, done, total, st);
    }

    /** Removes a half-written shard (after a failure). */
    @Override
    public void close() {
        if (data != null) data.abandon();
        if (labels != null) labels.abandon();
        data = null;
        labels = null;
    }

    private BottleneckException ioError(IOException e) {
        close();
        return new BottleneckException("cannot write shards to " + dir + " (" + e.getMessage() + "); check the free space and permissions", e);
    }
}
