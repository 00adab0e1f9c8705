package dev.bottleneck.data.shard;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Half;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One split of a shard directory. Sample {@code i} is row {@code i - start(k)} of shard {@code k}; reading it decodes
 * the stored type to float32 on the fly (uint8 through a 256-entry table of {@code v / divide_by}, float16 exactly
 * widened).
 *
 * <p>Every shard is checked when the split is opened, before anything is read: the file exists, its .npy header
 * parses, its dtype and shape are those of the manifest and its size is exactly header + samples × row bytes, so no
 * read can go past the end of a file or a mapping. (The SHA-256 check is {@link ShardSet}'s.)
 *
 * <p>How rows are read, and why memory stays bounded. Pages of a file mapping count toward the process's resident
 * memory for as long as they stay mapped, and on current Linux kernels one fault maps far more than the row it
 * was for (64 KiB of fault-around, or a whole large folio of the page cache: about 300 KiB per random 784-byte
 * row on ext4 here). So a split of up to {@link #mapLimit()} bytes (default {@link #DEFAULT_MAP_BYTES}, system
 * property {@code bottleneck.shards.mapBytes}) is memory-mapped, in windows of at most {@link #WINDOW_BYTES}, and
 * mapped rows are copied out at about 0.2 µs each; a larger split is read with positional reads ({@code pread},
 * about 1 µs a row from the page cache) into per-thread buffers, which add nothing to resident memory however much
 * of the data a run touches. Either way the data comes from the page cache when it is warm.
 */
public final class ShardSplit implements Samples, AutoCloseable {
    /** The largest single mapping. */
    public static final long WINDOW_BYTES = 1L << 30;
    /** Splits of at most this many bytes of samples are memory-mapped by default; larger ones are read with pread. */
    public static final long DEFAULT_MAP_BYTES = 256L << 20;
    /** Consecutive rows are read with one pread of up to this many bytes. */
    private static final int RUN_BYTES = 1 << 20;

    private static final VarHandle F32 = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    /** One opened shard file. */
    static final class ShardFile {
        final Path path;
        final FileChannel channel;
        final long dataOffset;
        final int rows;
        final int rowsPerWindow;
        final AtomicReferenceArray<MappedByteBuffer> windows;

        ShardFile(Path path, FileChannel channel, long dataOffset, int rows, int rowsPerWindow) {
            this.path = path;
            this.channel = channel;
            this.dataOffset = dataOffset;
            this.rows = rows;
            this.rowsPerWindow = rowsPerWindow;
            this.windows = new AtomicReferenceArray<>((rows + rowsPerWindow - 1) / rowsPerWindow);
        }
    }

    private final Path dir;
    private final ShardManifest manifest;
    private final ShardManifest.Split split;
    private final String name;
    private final ShardFile[] files;
    private final int[] starts;
    private final int size;
    private final int features;
    private final int rowBytes;
    private final ShardManifest.StoredType dtype;
    private final float[] byteTable;
    private final float divide;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final long mapLimit;
    private final boolean mapped;
    private final ThreadLocal<byte[]> scratch;
    private final ThreadLocal<ByteBuffer> direct;
    private volatile int[] labels;
    private volatile boolean closed;

    private ShardSplit(Path dir, ShardManifest manifest, ShardManifest.Split split, ShardFile[] files, long mapLimit) {
        this.dir = dir;
        this.manifest = manifest;
        this.split = split;
        this.name = manifest.name() + "/" + split.name();
        this.files = files;
        this.starts = new int[files.length + 1];
        for (int k = 0; k < files.length; k++) starts[k + 1] = starts[k] + files[k].rows;
        this.size = starts[files.length];
        this.features = manifest.features();
        this.rowBytes = (int) manifest.rowBytes();
        this.dtype = manifest.dtype();
        this.divide = (float) manifest.divideBy();
        this.byteTable = new float[256];
        // the same float division IdxReader and ImageFolderReader use (i / 255f), so u8 shards read back bit for bit
        for (int v = 0; v < 256; v++) byteTable[v] = divide == 1f ? v : v / divide;
        this.mapLimit = mapLimit;
        this.mapped = (long) size * rowBytes <= mapLimit;
        int rb = rowBytes;
        int run = Math.max(rb, RUN_BYTES / rb * rb);
        this.scratch = ThreadLocal.withInitial(() -> new byte[run]);
        this.direct = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(run));
    }

    /**
     * Opens split {@code splitName} of the shard directory {@code dir} and checks every shard file (and labels file)
     * against the manifest. Fails with a one-line message naming the file and the fix.
     */
    public static ShardSplit open(Path dir, ShardManifest manifest, String splitName) {
        return open(dir, manifest, splitName, mapBytesProperty());
    }

    /** As {@link #open(Path, ShardManifest, String)}, mapping the split only when it holds at most {@code mapLimit} bytes. */
    public static ShardSplit open(Path dir, ShardManifest manifest, String splitName, long mapLimit) {
        ShardManifest.Split split = manifest.split(splitName);
        long rowBytes = manifest.rowBytes();
        if (rowBytes > WINDOW_BYTES) throw new BottleneckException(dir + ": one sample is " + rowBytes + " bytes, more than one mapping of "
                + WINDOW_BYTES + " bytes; use smaller samples");
        ShardFile[] files = new ShardFile[split.shards().size()];
        try {
            for (int k = 0; k < files.length; k++) {
                ShardManifest.Shard s = split.shards().get(k);
                files[k] = openShard(dir, manifest, s, rowBytes);
                if (s.labels() != null) checkLabels(dir.resolve(s.labels()), s);
            }
        } catch (RuntimeException e) {
            for (ShardFile f : files) if (f != null) closeQuietly(f.channel);
            throw e;
        }
        return new ShardSplit(dir, manifest, split, files, mapLimit);
    }

    private static ShardFile openShard(Path dir, ShardManifest m, ShardManifest.Shard s, long rowBytes) {
        Path p = dir.resolve(s.file());
        String fix = "re-create the shard directory with 'bottleneck shard' or restore the file";
        FileChannel ch;
        try {
            ch = FileChannel.open(p, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new BottleneckException(p + ": shard file listed in " + ShardManifest.FILE + " is missing; " + fix);
        } catch (IOException e) {
            throw new BottleneckException(p + ": cannot open shard file (" + e.getMessage() + "); check its permissions");
        }
        try {
            NpyHeader h = NpyHeader.read(p, ch);
            if (!m.dtype().matches(h.descr())) {
                throw new BottleneckException(p + ": stores '" + h.descr() + "' values but " + ShardManifest.FILE + " says dtype "
                        + m.dtype().key + " ('" + m.dtype().descr + "'); fix 'dtype' in the manifest or re-create the shard");
            }
            if (h.fortranOrder()) {
                throw new BottleneckException(p + ": is stored in Fortran order; save it in C order (numpy.ascontiguousarray) and"
                        + " update its sha256");
            }
            int[] sh = m.sampleShape();
            long[] want = new long[sh.length + 1];
            want[0] = s.samples();
            for (int i = 0; i < sh.length; i++) want[i + 1] = sh[i];
            if (!Arrays.equals(h.shape(), want)) {
                throw new BottleneckException(p + ": has shape " + NpyHeader.shapeText(h.shape()) + " but " + ShardManifest.FILE
                        + " says " + NpyHeader.shapeText(want) + " (samples, then sample_shape); fix the manifest or re-create the shard");
            }
            long expected = h.dataOffset() + s.samples() * rowBytes;
            long found = ch.size();
            if (found < expected) {
                throw new BottleneckException(p + ": truncated: " + found + " bytes, expected " + expected + " (a " + h.dataOffset()
                        + "-byte header and " + s.samples() + " samples of " + rowBytes + " bytes); " + fix);
            }
            if (found > expected) {
                throw new BottleneckException(p + ": " + (found - expected) + " bytes follow the " + s.samples() + " samples that "
                        + ShardManifest.FILE + " lists; " + fix);
            }
            int perWindow = (int) Math.max(1, Math.min(s.samples(), WINDOW_BYTES / rowBytes));
            return new ShardFile(p, ch, h.dataOffset(), s.samples(), perWindow);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new BottleneckException(p + ": cannot read (" + e.getMessage() + "); " + fix);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** Header checks of a labels file: a 1-D integer array with one entry per sample, nothing more, nothing less. */
    private static void checkLabels(Path p, ShardManifest.Shard s) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            labelHeader(p, ch, s);
        } catch (NoSuchFileException e) {
            throw new BottleneckException(p + ": labels file listed in " + ShardManifest.FILE + " is missing; re-create the shard"
                    + " directory or remove 'labels' from the manifest");
        } catch (IOException e) {
            throw new BottleneckException(p + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static NpyHeader labelHeader(Path p, FileChannel ch, ShardManifest.Shard s) throws IOException {
        NpyHeader h = NpyHeader.read(p, ch);
        int item = NpyHeader.itemSize(h.descr());
        if (item == 0 || h.descr().contains("f") || h.descr().contains("b")) {
            throw new BottleneckException(p + ": labels must be integers (int8 to int64, uint8 to uint32), got '" + h.descr() + "'");
        }
        if (h.shape().length != 1 || h.shape()[0] != s.samples()) {
            throw new BottleneckException(p + ": labels have shape " + NpyHeader.shapeText(h.shape()) + " but the shard holds "
                    + s.samples() + " samples; expected (" + s.samples() + ",)");
        }
        long expected = h.dataOffset() + (long) item * s.samples();
        if (ch.size() != expected) {
            throw new BottleneckException(p + ": " + ch.size() + " bytes, expected " + expected + " for " + s.samples() + " labels of '"
                    + h.descr() + "' (" + (ch.size() < expected ? "truncated" : "extra bytes at the end") + "); re-create the labels file");
        }
        return h;
    }

    static long mapBytesProperty() {
        String v = System.getProperty("bottleneck.shards.mapBytes");
        if (v == null || v.isBlank()) return DEFAULT_MAP_BYTES;
        try {
            return ByteSize.parse(v);
        } catch (RuntimeException e) {
            throw new BottleneckException("-Dbottleneck.shards.mapBytes=" + v + " is not a size such as 256MB (0: never map)");
        }
    }

    public Path directory() { return dir; }
    public ShardManifest manifest() { return manifest; }
    public ShardManifest.Split split() { return split; }

    /** The shard files in order (for verification). */
    Path[] paths() {
        Path[] p = new Path[files.length];
        for (int k = 0; k < files.length; k++) p[k] = files[k].path;
        return p;
    }

    /** Bytes of stored samples. */
    public long dataBytes() {
        return (long) size * rowBytes;
    }

    /** The largest split that is memory-mapped. */
    public long mapLimit() {
        return mapLimit;
    }

    /** Whether this split is read through memory mappings (else with positional reads). */
    public boolean mapped() {
        return mapped;
    }

    @Override public int size() { return size; }
    @Override public int[] sampleShape() { return manifest.sampleShape(); }
    @Override public int features() { return features; }
    @Override public String name() { return name; }
    @Override public boolean hasLabels() { return split.hasLabels(); }

    @Override
    public int label(int i) {
        if (!hasLabels()) throw new IllegalStateException(name + " has no labels");
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("sample " + i + " of " + size);
        return labels()[i];
    }

    /** All labels of the split, read once from the labels files (4 bytes per sample on the heap). */
    public int[] labels() {
        int[] l = labels;
        if (l != null) return l;
        synchronized (this) {
            if (labels != null) return labels;
            dev.bottleneck.Limits.checkHeap(4L * size, name + ": " + size + " labels");
            int[] out = new int[size];
            for (int k = 0; k < files.length; k++) readLabels(dir.resolve(split.shards().get(k).labels()), split.shards().get(k), out, starts[k]);
            labels = out;
            return out;
        }
    }

    private static void readLabels(Path p, ShardManifest.Shard s, int[] out, int at) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            NpyHeader h = labelHeader(p, ch, s);
            int item = NpyHeader.itemSize(h.descr());
            boolean unsigned = h.descr().contains("u");
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            long pos = h.dataOffset();
            int done = 0;
            while (done < s.samples()) {
                b.clear();
                b.limit((int) Math.min(b.capacity(), (long) (s.samples() - done) * item));
                while (b.hasRemaining()) {
                    int r = ch.read(b, pos);
                    if (r < 0) throw new BottleneckException(p + ": ends early (truncated); re-create the labels file");
                    pos += r;
                }
                b.flip();
                while (b.remaining() >= item) {
                    long v = switch (item) {
                        case 1 -> unsigned ? b.get() & 0xff : b.get();
                        case 2 -> unsigned ? b.getShort() & 0xffff : b.getShort();
                        case 4 -> unsigned ? b.getInt() & 0xffffffffL : b.getInt();
                        default -> b.getLong();
                    };
                    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                        throw new BottleneckException(p + ": label " + v + " of sample " + done + " does not fit a 32-bit integer");
                    }
                    out[at + done++] = (int) v;
                }
            }
        } catch (IOException e) {
            throw new BottleneckException(p + ": cannot read labels (" + e.getMessage() + ")");
        }
    }

    @Override
    public void read(int i, float[] dst, int off) {
        checkIndex(i);
        lock.readLock().lock();
        try {
            readRows(i, 1, dst, off);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void read(int[] order, int from, int count, float[] dst, int off) {
        for (int k = 0; k < count; k++) checkIndex(order[from + k]);
        lock.readLock().lock();
        try {
            for (int k = 0; k < count; k++) readRows(order[from + k], 1, dst, off + k * features);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void readRange(int from, int count, float[] dst, int off) {
        if (count < 0 || from < 0 || from + count > size) throw new IndexOutOfBoundsException("samples [" + from + ", " + (from + count) + ") of " + size);
        if (closed) throw new IllegalStateException(name + " is closed");
        lock.readLock().lock();
        try {
            int perRun = scratch.get().length / rowBytes;
            for (int done = 0; done < count; ) {
                int i = from + done;
                int k = shardOf(i);
                // consecutive rows of one shard in one go
                int n = Math.min(Math.min(count - done, perRun), starts[k + 1] - i);
                readRows(i, n, dst, off + done * features);
                done += n;
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("sample " + i + " of " + size + " in " + name);
        if (closed) throw new IllegalStateException(name + " is closed");
    }

    private int shardOf(int i) {
        int k = Arrays.binarySearch(starts, 0, files.length, i);
        return k < 0 ? -k - 2 : k;
    }

    /** Decodes samples {@code i ... i + n - 1}, all in one shard, into {@code dst[off...]}; the caller holds the read lock. */
    private void readRows(int i, int n, float[] dst, int off) {
        int k = shardOf(i);
        ShardFile f = files[k];
        int local = i - starts[k];
        byte[] tmp = scratch.get();
        int bytes = n * rowBytes;
        if (mapped) {
            // a run never crosses a window: windows hold whole rows and runs are cut at them
            int w = local / f.rowsPerWindow;
            int inWindow = local - w * f.rowsPerWindow;
            if (inWindow + n > f.rowsPerWindow) {
                int first = f.rowsPerWindow - inWindow;
                readRows(i, first, dst, off);
                readRows(i + first, n - first, dst, off + first * features);
                return;
            }
            MappedByteBuffer b = f.windows.get(w);
            if (b == null) b = map(f, w);
            try {
                b.get(inWindow * rowBytes, tmp, 0, bytes);
            } catch (InternalError e) {
                // a fault inside the mapping: the file shrank after it was checked
                throw new BottleneckException(f.path + ": the file changed while it was being read (truncated?); re-create the shard");
            }
        } else {
            ByteBuffer b = direct.get();
            b.clear().limit(bytes);
            long pos = f.dataOffset + (long) local * rowBytes;
            try {
                while (b.hasRemaining()) {
                    int r = f.channel.read(b, pos + b.position());
                    if (r < 0) {
                        throw new BottleneckException(f.path + ": the file ends early (it was truncated after it was checked);"
                                + " re-create the shard");
                    }
                }
            } catch (IOException e) {
                throw new BottleneckException(f.path + ": cannot read rows " + local + ".." + (local + n) + " (" + e.getMessage()
                        + "); check that the file is still there and readable");
            }
            b.flip();
            b.get(tmp, 0, bytes);
        }
        decode(tmp, n, dst, off);
    }

    private void decode(byte[] tmp, int n, float[] dst, int off) {
        int values = n * features;
        switch (dtype) {
            case UINT8:
                for (int j = 0; j < values; j++) dst[off + j] = byteTable[tmp[j] & 0xff];
                break;
            case FLOAT16:
                for (int j = 0; j < values; j++) {
                    float v = Half.halfToFloat((short) I16.get(tmp, 2 * j));
                    dst[off + j] = divide == 1f ? v : v / divide;
                }
                break;
            case FLOAT32:
                for (int j = 0; j < values; j++) {
                    float v = (float) F32.get(tmp, 4 * j);
                    dst[off + j] = divide == 1f ? v : v / divide;
                }
                break;
            default:
                throw new AssertionError(dtype);
        }
    }

    private MappedByteBuffer map(ShardFile f, int w) {
        synchronized (f) {
            MappedByteBuffer b = f.windows.get(w);
            if (b != null) return b;
            if (closed) throw new IllegalStateException(name + " is closed");
            long first = (long) w * f.rowsPerWindow;
            long rows = Math.min(f.rowsPerWindow, f.rows - first);
            try {
                b = f.channel.map(FileChannel.MapMode.READ_ONLY, f.dataOffset + first * rowBytes, rows * rowBytes);
            } catch (IOException e) {
                throw new BottleneckException(f.path + ": cannot map rows " + first + ".." + (first + rows) + " (" + e.getMessage()
                        + "); check that the file is still there and readable");
            }
            b.order(ByteOrder.LITTLE_ENDIAN);
            f.windows.set(w, b);
            return b;
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            unmapAll();
            for (ShardFile f : files) closeQuietly(f.channel);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Releases every mapping at once (on close: the caller holds the write lock, so no read is in progress). */
    private void unmapAll() {
        for (ShardFile f : files) {
            for (int w = 0; w < f.windows.length(); w++) {
                MappedByteBuffer b = f.windows.getAndSet(w, null);
                if (b != null) Unmapper.unmap(b);
            }
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing was written
        }
    }
}
