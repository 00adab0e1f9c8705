package dev.bottleneck.train;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.AtomicFiles;
import dev.bottleneck.io.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * The checkpoints of a run directory. A checkpoint is one unit, a directory written completely and then published
 * in one step, so that whatever moment a process is killed at, the run directory holds the last complete
 * checkpoint and nothing that mixes two of them:
 *
 * <pre>
 * DIR/checkpoints/0000000142/      one checkpoint, named by its global step:
 *     model.safetensors            weights
 *     optimizer.safetensors        optimizer state and step count
 *     best.safetensors             weights of the best epoch (with early stopping)
 *     config.json                  model spec, training settings, data source
 *     trainer.json                 position (epoch, step in epoch), loss history, early-stopping record, settings
 *     manifest.json                size and CRC-32C of each file above, written last
 * DIR/checkpoints/LATEST           the name of the published checkpoint
 * DIR/model.safetensors, ...       the published checkpoint's files again (hard links, else copies), for the
 *                                  commands that read a model directory
 * </pre>
 *
 * <p>Publishing ({@link #publish}): the files go into {@code checkpoints/.tmp-NAME-RANDOM/}, each fsynced; then the
 * manifest; the directory is renamed to {@code checkpoints/NAME} and {@code LATEST} is replaced atomically
 * (temporary file, fsync, rename, fsync of the directory). Replacing {@code LATEST} is the commit: before it the
 * previous checkpoint is the published one and stays untouched, after it the new one is. Only then are the files at
 * the top of the run directory replaced (each atomically) and the previous unit removed. A unit that {@code LATEST}
 * does not name is garbage from an interrupted write; {@link #removeStrays} deletes it, with the temporary files,
 * when the next run starts.
 *
 * <p>Reading ({@link #latest}) checks every file against the manifest, so a checkpoint whose files were edited,
 * truncated or swapped for another run's is refused instead of resumed.
 */
public final class CheckpointStore {
    public static final String DIR = "checkpoints";
    public static final String LATEST = "LATEST";
    public static final String MANIFEST = "manifest.json";
    public static final String FORMAT = "bottleneck-checkpoint";
    private static final String TMP_PREFIX = ".tmp-";
    /** Files of a unit that are also kept at the top of the run directory, in the order they are replaced there. */
    static final List<String> TOP_LEVEL = List.of(Checkpoint.CONFIG, Checkpoint.MODEL, Checkpoint.BEST, Checkpoint.OPTIMIZER, Checkpoint.STATE);

    private final Path runDir;
    private final Path dir;

    public CheckpointStore(Path runDir) {
        this.runDir = runDir;
        this.dir = runDir.resolve(DIR);
    }

    public Path runDir() { return runDir; }

    /** {@code DIR/checkpoints}. */
    public Path directory() { return dir; }

    /** A published checkpoint, as its manifest describes it. */
    public record Unit(Path dir, String name, long globalStep, int epochsDone, int stepInEpoch, int stepsPerEpoch, String runId) {
        /** "runs/x/checkpoints/0000000142 (epoch 3)" or "... (epoch 4, step 12 of 27)". */
        public String describe() {
            return dir + " (" + position() + ")";
        }

        public String position() {
            return stepInEpoch == 0 ? "epoch " + epochsDone
                    : "epoch " + (epochsDone + 1) + ", step " + stepInEpoch + (stepsPerEpoch > 0 ? " of " + stepsPerEpoch : "");
        }

        public Path file(String name) { return dir.resolve(name); }
    }

    /** Writes the files of a checkpoint into an (empty, temporary) directory. */
    @FunctionalInterface
    public interface UnitWriter {
        void write(Path unitDir);
    }

    /** Whether a checkpoint has been published here. */
    public boolean hasPublished() {
        return Files.isRegularFile(dir.resolve(LATEST));
    }

    /** The name {@code LATEST} holds, or null without one. */
    public String latestName() {
        Path f = dir.resolve(LATEST);
        String name;
        try {
            name = Files.readString(f).trim();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new BottleneckException("cannot read " + f + ": " + AtomicFiles.describe(e), e);
        }
        if (!isUnitName(name)) throw damaged(f, LATEST + " holds '" + name + "', not the name of a checkpoint");
        return name;
    }

    /**
     * The published checkpoint, every file checked against its manifest; null when none was published. Throws,
     * naming the file, when the checkpoint is damaged.
     */
    public Unit latest() {
        String name = latestName();
        return name == null ? null : read(name, true);
    }

    /** The published checkpoint as its manifest says, without reading the files; null without one or when unreadable. */
    public Unit latestQuietly() {
        try {
            String name = latestName();
            return name == null ? null : read(name, false);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private Unit read(String name, boolean verify) {
        Path u = dir.resolve(name);
        if (!Files.isDirectory(u)) throw damaged(dir.resolve(LATEST), LATEST + " names " + name + ", which does not exist");
        Path mf = u.resolve(MANIFEST);
        if (!Files.isRegularFile(mf)) throw damaged(u, MANIFEST + " is missing");
        Map<String, Object> m;
        try {
            m = Json.mapper().readValue(Files.readString(mf), new TypeReference<Map<String, Object>>() { });
        } catch (IOException e) {
            throw damaged(u, MANIFEST + " is not readable: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!FORMAT.equals(m.get("format"))) throw damaged(u, MANIFEST + " is not a checkpoint manifest");
        if (!(m.get("files") instanceof Map<?, ?> files)) throw damaged(u, MANIFEST + " lists no files");
        for (String required : List.of(Checkpoint.MODEL, Checkpoint.OPTIMIZER, Checkpoint.STATE, Checkpoint.CONFIG)) {
            if (!files.containsKey(required)) throw damaged(u, "the manifest does not list " + required);
        }
        if (verify) {
            for (Map.Entry<?, ?> e : files.entrySet()) {
                String file = e.getKey().toString();
                if (!(e.getValue() instanceof Map<?, ?> info)) throw damaged(u, MANIFEST + ": bad entry for " + file);
                Path f = u.resolve(file);
                if (!f.normalize().startsWith(u.normalize()) || !Files.isRegularFile(f)) throw damaged(u, file + " is missing");
                long size;
                String crc;
                try {
                    size = Files.size(f);
                    crc = crc32c(f);
                } catch (IOException ex) {
                    throw damaged(u, "cannot read " + file + ": " + AtomicFiles.describe(ex));
                }
                if (!(info.get("bytes") instanceof Number n) || n.longValue() != size) {
                    throw damaged(u, file + " has " + size + " bytes, the manifest says " + info.get("bytes") + " (truncated or replaced)");
                }
                if (!crc.equals(info.get("crc32c"))) {
                    throw damaged(u, file + " does not match its checksum in " + MANIFEST + " (edited, corrupted or taken from another run)");
                }
            }
        }
        return new Unit(u, name, longOf(m, "global_step"), (int) longOf(m, "epochs_done"), (int) longOf(m, "step_in_epoch"),
                (int) longOf(m, "steps_per_epoch"), m.get("run_id") == null ? null : m.get("run_id").toString());
    }

    private static long longOf(Map<String, Object> m, String key) {
        return m.get(key) instanceof Number n ? n.longValue() : 0;
    }

    private BottleneckException damaged(Path where, String what) {
        return new BottleneckException("checkpoint " + where + " is damaged: " + what
                + "; restore it, or start afresh without --resume (the new run's first checkpoint replaces it)");
    }

    /**
     * Writes and publishes a checkpoint at {@code state}'s position: {@code writer} fills a temporary directory,
     * which becomes the published checkpoint in one step (see the class comment), and the top of the run directory
     * is updated from it. On failure the temporary files are removed and the previous checkpoint stays the
     * published one; the exception names the file, the reason and that checkpoint.
     *
     * @param reason why it is written (epoch, steps, time, signal), recorded in the manifest
     */
    public Unit publish(TrainState state, String reason, UnitWriter writer) {
        Unit previous = latestQuietly();
        String latest = previous == null ? null : previous.name();
        String base = String.format("%010d", state.globalStep), name = base;
        for (int k = 1; name.equals(latest); k++) name = base + "." + k; // a fresh run at the step an old one was saved at
        Path target = dir.resolve(name);
        Path tmp = dir.resolve(TMP_PREFIX + name + "-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
        boolean committed = false;
        try {
            Files.createDirectories(dir);
            Files.createDirectory(tmp);
            writer.write(tmp);
            Json.writeFile(tmp.resolve(MANIFEST), manifest(tmp, name, state, reason));
            AtomicFiles.fsyncDirectory(tmp);
            if (Files.exists(target)) deleteTree(target); // an unpublished unit left by an interrupted run
            AtomicFiles.move(tmp, target);
            tmp = null;
            AtomicFiles.writeString(dir.resolve(LATEST), name + "\n");
            committed = true;
        } catch (RuntimeException | IOException e) {
            cleanUp(tmp);
            if (!committed && tmp == null) cleanUp(target);
            throw failure(target, e, previous);
        }
        Unit unit = new Unit(target, name, state.globalStep, state.epochsDone, state.stepInEpoch, state.stepsPerEpoch, state.runId);
        publishTopLevel(unit);
        removeOtherUnits(name);
        return unit;
    }

    private Map<String, Object> manifest(Path unit, String name, TrainState state, String reason) throws IOException {
        Map<String, Object> m = Json.object("format", FORMAT, "version", 1, "name", name,
                "global_step", state.globalStep, "epochs_done", state.epochsDone, "step_in_epoch", state.stepInEpoch,
                "steps_per_epoch", state.stepsPerEpoch, "run_id", state.runId, "reason", reason,
                "written", Instant.now().toString());
        Map<String, Object> files = new LinkedHashMap<>();
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(unit)) {
            for (Path p : ds) entries.add(p);
        }
        entries.sort(null);
        for (Path p : entries) {
            String f = p.getFileName().toString();
            if (!Files.isRegularFile(p) || AtomicFiles.isTemporary(f) || f.equals(MANIFEST)) continue;
            Map<String, Object> info = Json.object("bytes", Files.size(p), "crc32c", crc32c(p));
            files.put(f, info);
        }
        m.put("files", files);
        return m;
    }

    private BottleneckException failure(Path unit, Exception e, Unit previous) {
        String what;
        if (e instanceof AtomicFiles.WriteFailed w) {
            what = w.path().getFileName() + ": " + w.reason();
        } else if (e instanceof IOException io) {
            what = AtomicFiles.describe(io);
        } else if (e.getCause() instanceof AtomicFiles.WriteFailed w) {
            what = w.path().getFileName() + ": " + w.reason();
        } else if (e.getCause() instanceof IOException io) {
            what = AtomicFiles.describe(io);
        } else {
            what = e.getMessage();
        }
        return new BottleneckException("cannot write checkpoint " + unit + " (" + what + "); " + previousNote(previous), e);
    }

    /** What a failed write leaves: "the previous checkpoint X (epoch 3) is intact and --resume continues from it". */
    static String previousNote(Unit previous) {
        return previous == null ? "no earlier checkpoint exists"
                : "the previous checkpoint " + previous.describe() + " is intact and --resume continues from it";
    }

    /** The files at the top of the run directory, replaced one by one (each atomically) from the published unit. */
    private void publishTopLevel(Unit unit) {
        for (String f : TOP_LEVEL) {
            Path src = unit.file(f);
            if (!Files.isRegularFile(src)) continue;
            Path dst = runDir.resolve(f);
            try {
                linkOrCopy(src, dst);
            } catch (IOException | RuntimeException e) {
                String why = e instanceof IOException io ? AtomicFiles.describe(io) : e.getMessage();
                throw new BottleneckException("checkpoint " + unit.describe() + " is written, but " + dst + " could not be updated ("
                        + why + "); --resume continues from the checkpoint", e);
            }
        }
    }

    /** Replaces {@code dst} by a hard link to {@code src} (a copy where links are not possible), atomically. */
    static void linkOrCopy(Path src, Path dst) throws IOException {
        if (Files.exists(dst) && Files.isSameFile(src, dst)) return; // already that file (rename would keep the link)
        Path tmp = AtomicFiles.temporaryFor(dst);
        try {
            try {
                Files.createLink(tmp, src);
            } catch (UnsupportedOperationException | IOException e) {
                Files.deleteIfExists(tmp);
                Files.copy(src, tmp);
                AtomicFiles.fsyncFile(tmp);
            }
            AtomicFiles.move(tmp, dst);
            tmp = null;
        } finally {
            if (tmp != null) Files.deleteIfExists(tmp);
        }
    }

    private void removeOtherUnits(String keep) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.equals(keep) && isUnitName(n) && Files.isDirectory(p)) cleanUp(p);
            }
        } catch (IOException | RuntimeException e) {
            // best effort: an old unit that stays is removed at the next start
        }
    }

    /**
     * Removes what interrupted writes left behind: temporary files at the top of the run directory, temporary
     * checkpoint directories, and units that {@code LATEST} does not name. Returns how many entries it removed.
     * Also finishes a publication that a crash cut short after its commit: when the top-level trainer.json (the
     * last file replaced there) is not the published checkpoint's, the top-level files are replaced again.
     */
    public int removeStrays() {
        int removed = removeStraysOnly();
        repairTopLevel();
        return removed;
    }

    private void repairTopLevel() {
        Unit u = latestQuietly();
        if (u == null) return;
        Path top = runDir.resolve(Checkpoint.STATE), src = u.file(Checkpoint.STATE);
        try {
            if (Files.isRegularFile(top) && (Files.isSameFile(top, src) || Files.mismatch(top, src) == -1)) return;
        } catch (IOException e) {
            return;
        }
        publishTopLevel(u);
    }

    private int removeStraysOnly() {
        int removed = 0;
        removed += removeTemporaryFiles(runDir);
        if (!Files.isDirectory(dir)) return removed;
        String latest;
        try {
            latest = latestName();
        } catch (BottleneckException e) {
            return removed; // a damaged LATEST: leave everything for the user to look at
        }
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) entries.add(p);
        } catch (IOException e) {
            return removed;
        }
        for (Path p : entries) {
            String n = p.getFileName().toString();
            boolean stray = n.startsWith(TMP_PREFIX) || AtomicFiles.isTemporary(n) || (isUnitName(n) && !n.equals(latest));
            if (stray && cleanUp(p)) removed++;
        }
        if (latest != null) removed += removeTemporaryFiles(dir.resolve(latest));
        return removed;
    }

    private static int removeTemporaryFiles(Path d) {
        int removed = 0;
        if (!Files.isDirectory(d)) return 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
            for (Path p : ds) {
                if (AtomicFiles.isTemporary(p.getFileName().toString()) && Files.isRegularFile(p) && cleanUp(p)) removed++;
            }
        } catch (IOException e) {
            // not readable: nothing to clean here
        }
        return removed;
    }

    static boolean isUnitName(String n) {
        return n.matches("[0-9]{10,}(\\.[0-9]+)?");
    }

    private static boolean cleanUp(Path p) {
        if (p == null) return false;
        try {
            deleteTree(p);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) throw exc;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** CRC-32C of a file's bytes, as 8 hex digits. */
    static String crc32c(Path f) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            while (ch.read(buf.clear()) > 0) crc.update(buf.flip());
        }
        return String.format("%08x", crc.getValue());
    }
}
