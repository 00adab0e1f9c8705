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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One split of a shard directory, read through memory mappings of its {@code .npy} files. Sample {@code i} is row
 * {@code i - start(k)} of shard {@code k}; reading it decodes the stored type to float32 on the fly (uint8 through a
 * 256-entry table of {@code v / divide_by}, float16 exactly widened).
 *
 * <p>Every shard is checked when the split is opened, before anything is mapped: the file exists, its .npy header
 * parses, its dtype and shape are those of the manifest and its size is exactly header + samples × row bytes, so no
 * read can go past the end of a mapping. (The SHA-256 check is {@link ShardSet}'s.)
 *
 * <p>Bounded memory: a mapping is made per window of at most {@link #WINDOW_BYTES} and only when first read. Mapped
 * pages count toward the process's resident memory while they stay mapped, so once reads have touched about
 * {@link #residentBudget()} bytes the split drops all its mappings (the pages stay in the page cache, so the next
 * reads are minor faults, not disk reads) and maps again on demand. Reads hold a shared lock and the unmapping an
 * exclusive one, so no thread ever touches a released mapping.
 */
public final class ShardSplit implements Samples, AutoCloseable {
    /** The largest single mapping. */
    public static final long WINDOW_BYTES = 1L << 30;
    /** Default bytes of mapped pages a split lets accumulate before it unmaps (system property bottleneck.shards.residentBytes). */
    public static final long DEFAULT_RESIDENT_BYTES = 256L << 20;
    /** What one random row read can bring into the mapping at least: Linux maps up to 64 KiB around a fault. */
    private static final long FAULT_AROUND = 64L << 10;

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
    private final AtomicLong touched = new AtomicLong();
    private final AtomicLong unmaps = new AtomicLong();
    private final long touchCost;
    private final long residentBudget;
    private final ThreadLocal<byte[]> scratch;
    private volatile int[] labels;
    private volatile boolean closed;

    private ShardSplit(Path dir, ShardManifest manifest, ShardManifest.Split split, ShardFile[] files, long residentBudget) {
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
        long page = 4096;
        this.touchCost = Math.max(FAULT_AROUND, (rowBytes + page - 1) / page * page + page);
        this.residentBudget = residentBudget;
        int rb = rowBytes;
        this.scratch = ThreadLocal.withInitial(() -> new byte[rb]);
    }

    /**
     * Opens split {@code splitName} of the shard directory {@code dir} and checks every shard file (and labels file)
     * against the manifest. Fails with a one-line message naming the file and the fix.
     */
    public static ShardSplit open(Path dir, ShardManifest manifest, String splitName) {
        return open(dir, manifest, splitName, residentBudgetProperty());
    }

    static ShardSplit open(Path dir, ShardManifest manifest, String splitName, long residentBudget) {
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
        return new ShardSplit(dir, manifest, split, files, residentBudget);
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

    static long residentBudgetProperty() {
        String v = System.getProperty("bottleneck.shards.residentBytes");
        if (v == null || v.isBlank()) return DEFAULT_RESIDENT_BYTES;
        try {
            long b = ByteSize.parse(v);
            if (b < 1) throw new NumberFormatException();
            return b;
        } catch (RuntimeException e) {
            throw new BottleneckException("-Dbottleneck.shards.residentBytes=" + v + " is not a positive size such as 256MB");
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

    /** Bytes of mapped pages the split lets accumulate before it unmaps. */
    public long residentBudget() {
        return residentBudget;
    }

    /** How many times the split has dropped its mappings (for tests and diagnostics). */
    public long unmaps() {
        return unmaps.get();
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
            decodeRow(i, dst, off);
        } finally {
            lock.readLock().unlock();
        }
        account(1);
    }

    @Override
    public void read(int[] order, int from, int count, float[] dst, int off) {
        for (int k = 0; k < count; k++) checkIndex(order[from + k]);
        lock.readLock().lock();
        try {
            for (int k = 0; k < count; k++) decodeRow(order[from + k], dst, off + k * features);
        } finally {
            lock.readLock().unlock();
        }
        account(count);
    }

    @Override
    public void readRange(int from, int count, float[] dst, int off) {
        if (count < 0 || from < 0 || from + count > size) throw new IndexOutOfBoundsException("samples [" + from + ", " + (from + count) + ") of " + size);
        lock.readLock().lock();
        try {
            for (int k = 0; k < count; k++) decodeRow(from + k, dst, off + k * features);
        } finally {
            lock.readLock().unlock();
        }
        // consecutive rows share pages: count the bytes, not a fault-around per row
        touched.addAndGet((long) count * rowBytes + FAULT_AROUND);
        maybeUnmap();
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("sample " + i + " of " + size + " in " + name);
        if (closed) throw new IllegalStateException(name + " is closed");
    }

    private void account(int rows) {
        touched.addAndGet(rows * touchCost);
        maybeUnmap();
    }

    private void maybeUnmap() {
        if (touched.get() <= residentBudget) return;
        lock.writeLock().lock();
        try {
            if (touched.get() <= residentBudget) return;
            unmapAll();
            touched.set(0);
            unmaps.incrementAndGet();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Drops every mapping; callers hold the write lock (or own the split exclusively). */
    private void unmapAll() {
        for (ShardFile f : files) {
            for (int w = 0; w < f.windows.length(); w++) {
                MappedByteBuffer b = f.windows.getAndSet(w, null);
                if (b != null) Unmapper.unmap(b);
            }
        }
    }

    /** Decodes sample {@code i} into {@code dst[off...]}; the caller holds the read lock. */
    private void decodeRow(int i, float[] dst, int off) {
        int k = Arrays.binarySearch(starts, 0, files.length, i);
        if (k < 0) k = -k - 2;
        ShardFile f = files[k];
        int local = i - starts[k];
        int w = local / f.rowsPerWindow;
        int pos = (local - w * f.rowsPerWindow) * rowBytes;
        MappedByteBuffer b = f.windows.get(w);
        if (b == null) b = map(f, w);
        byte[] tmp = scratch.get();
        try {
            b.get(pos, tmp, 0, rowBytes);
        } catch (InternalError e) {
            // a fault inside the mapping: the file shrank after it was checked
            throw new BottleneckException(f.path + ": the file changed while it was being read (truncated?); re-create the shard");
        }
        switch (dtype) {
            case UINT8:
                for (int j = 0; j < features; j++) dst[off + j] = byteTable[tmp[j] & 0xff];
                break;
            case FLOAT16:
                for (int j = 0; j < features; j++) {
                    float v = Half.halfToFloat((short) I16.get(tmp, 2 * j));
                    dst[off + j] = divide == 1f ? v : v / divide;
                }
                break;
            case FLOAT32:
                for (int j = 0; j < features; j++) {
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

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing was written
        }
    }
}
