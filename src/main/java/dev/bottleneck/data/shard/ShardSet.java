package dev.bottleneck.data.shard;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An opened shard directory: its manifest and its splits, every file checked against the manifest.
 *
 * <p>SHA-256: every shard and labels file whose manifest entry has a {@code sha256} is hashed the first time the
 * directory is opened here ({@link Verify#FIRST_OPEN}); the result is remembered, with the file's size and
 * modification time, in {@code .verified.json} inside the directory (or, where the directory is read-only, under
 * {@code ~/.cache/bottleneck/verified/}), so later runs hash only files that changed. {@link Verify#ALWAYS}
 * ({@code --verify}) hashes every file again.
 */
public final class ShardSet implements AutoCloseable {
    /** When to compare files with their SHA-256. */
    public enum Verify { FIRST_OPEN, ALWAYS, NEVER }

    static final String VERIFIED = ".verified.json";

    private final Path dir;
    private final ShardManifest manifest;
    private final Map<String, ShardSplit> splits = new LinkedHashMap<>();

    private ShardSet(Path dir, ShardManifest manifest) {
        this.dir = dir;
        this.manifest = manifest;
    }

    /** Opens {@code dir}: reads the manifest, checks every file's header and size, and its hash as {@code verify} says. */
    public static ShardSet open(Path dir, Verify verify, Consumer<String> log) {
        ShardManifest m = ShardManifest.read(dir);
        ShardSet set = new ShardSet(dir, m);
        try {
            for (String s : m.splits().keySet()) set.splits.put(s, ShardSplit.open(dir, m, s));
            if (verify != Verify.NEVER) set.verify(verify == Verify.ALWAYS, log == null ? x -> { } : log);
        } catch (RuntimeException e) {
            set.close();
            throw e;
        }
        return set;
    }

    public Path directory() { return dir; }
    public ShardManifest manifest() { return manifest; }
    public boolean hasSplit(String name) { return splits.containsKey(name); }

    /** The opened split (train or test). */
    public ShardSplit split(String name) {
        ShardSplit s = splits.get(name);
        if (s == null) manifest.split(name); // throws the message naming the splits there are
        return s;
    }

    /** Hashes the files that need it and compares them with the manifest; fails on the first mismatch. */
    private void verify(boolean all, Consumer<String> log) {
        Map<String, Object> cache = readCache();
        List<String[]> todo = new ArrayList<>(); // {file, expected sha}
        long bytes = 0;
        for (ShardManifest.Split sp : manifest.splits().values()) {
            for (ShardManifest.Shard s : sp.shards()) {
                for (String[] fh : new String[][] {{s.file(), s.sha256()}, {s.labels(), s.labelsSha256()}}) {
                    if (fh[0] == null || fh[1] == null) continue;
                    if (!all && cached(cache, fh[0], fh[1])) continue;
                    todo.add(fh);
                    bytes += sizeOf(dir.resolve(fh[0]));
                }
            }
        }
        if (todo.isEmpty()) return;
        log.accept(String.format(java.util.Locale.ROOT, "verifying the SHA-256 of %d shard file%s (%s)%s", todo.size(),
                todo.size() == 1 ? "" : "s", Limits.bytes(bytes), all ? "" : "; later runs skip files that have not changed"));
        Map<String, Object> files = new LinkedHashMap<>();
        Object old = cache.get("files");
        if (old instanceof Map<?, ?> om) for (Map.Entry<?, ?> e : om.entrySet()) files.put(String.valueOf(e.getKey()), e.getValue());
        for (String[] fh : todo) {
            Path p = dir.resolve(fh[0]);
            String got = sha256(p);
            if (!got.equals(fh[1])) {
                throw new BottleneckException(p + ": SHA-256 mismatch: the file hashes to " + got.substring(0, 12) + "... but "
                        + ShardManifest.FILE + " lists " + fh[1].substring(0, 12) + "...; the file is corrupt or was changed —"
                        + " restore it or re-create the shards (if you changed it on purpose, update its sha256)");
            }
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("size", sizeOf(p));
            e.put("modified", modified(p));
            e.put("sha256", got);
            files.put(fh[0], e);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", 1);
        out.put("files", files);
        writeCache(out);
    }

    private boolean cached(Map<String, Object> cache, String file, String sha) {
        if (!(cache.get("files") instanceof Map<?, ?> files) || !(files.get(file) instanceof Map<?, ?> e)) return false;
        Path p = dir.resolve(file);
        return sha.equals(e.get("sha256")) && e.get("size") instanceof Number n && n.longValue() == sizeOf(p)
                && e.get("modified") instanceof Number t && t.longValue() == modified(p);
    }

    private Map<String, Object> readCache() {
        for (Path p : cachePaths()) {
            try {
                if (Files.isRegularFile(p) && Files.size(p) < Limits.TEXT_BYTES.value()) {
                    return MapValues.map(Json.read(p, Object.class), p.toString());
                }
            } catch (IOException | RuntimeException e) {
                // an unreadable record only means the files get hashed again
            }
        }
        return new LinkedHashMap<>();
    }

    private void writeCache(Map<String, Object> content) {
        for (Path p : cachePaths()) {
            try {
                AtomicFiles.writeString(p, Json.write(content) + "\n");
                return;
            } catch (RuntimeException e) {
                // read-only directory: try the next place
            }
        }
    }

    /** The record inside the directory, then one per directory under the user's cache. */
    private List<Path> cachePaths() {
        List<Path> l = new ArrayList<>();
        l.add(dir.resolve(VERIFIED));
        try {
            String key = sha256Hex(dir.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8)).substring(0, 24);
            l.add(Paths.get(System.getProperty("user.home", ".")).resolve(".cache").resolve("bottleneck").resolve("verified")
                    .resolve(key + ".json"));
        } catch (RuntimeException e) {
            // no home folder: the directory only
        }
        return l;
    }

    /** The SHA-256 of a file, read in 1 MiB blocks (not mapped, so it adds nothing to resident memory). */
    public static String sha256(Path p) {
        MessageDigest md = digest();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            while (ch.read(b) >= 0) {
                b.flip();
                md.update(b);
                b.clear();
            }
        } catch (IOException e) {
            throw new BottleneckException(p + ": cannot read to verify it (" + e.getMessage() + ")");
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    private static String sha256Hex(byte[] b) {
        return HexFormat.of().formatHex(digest().digest(b));
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        for (ShardSplit s : splits.values()) s.close();
    }
}
