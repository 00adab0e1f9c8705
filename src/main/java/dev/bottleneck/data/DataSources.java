package dev.bottleneck.data;

import dev.bottleneck.BottleneckException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns a data argument into a {@link TrainTest}. Nothing is downloaded here: the data must already be on disk
 * (scripts/fetch-data.sh fills the cache).
 *
 * <ul>
 *   <li>{@code mnist}: the four IDX files (train/t10k images/labels, each raw or with a .gz suffix) in the first
 *       folder that has all four, searching: the {@code --data} folder, its subfolders {@code mnist} and
 *       {@code package/data}, {@code $BOTTLENECK_DATA/mnist}, {@code ~/.cache/bottleneck/data/mnist}.</li>
 *   <li>{@code fashion-mnist}: the same files in the {@code --data} folder, its subfolder {@code fashion-mnist},
 *       {@code $BOTTLENECK_DATA/fashion-mnist}, {@code ~/.cache/bottleneck/data/fashion-mnist},
 *       {@code /usr/share/datasets/fashion-mnist} (Debian/Ubuntu package dataset-fashion-mnist).</li>
 *   <li>a folder: the four IDX files in it.</li>
 *   <li>an IDX images file: labels are taken from the file of the same name with "images-idx3" replaced by
 *       "labels-idx1" (or "images" by "labels") when it exists. The test set is the matching {@code t10k-} file
 *       beside a {@code train-} file when present; otherwise a seeded 1/7 hold-out of the file's rows.</li>
 *   <li>a {@code .csv} (or .tsv / .txt) file: read with {@link CsvReader}; the test set is a seeded 20% hold-out. A
 *       {@code .txt} file whose lines do not split into columns is refused as a document.</li>
 *   <li>a folder of images ({@link ImageFolderReader}) or of text documents ({@link TextFolderReader}), class
 *       sub-folders giving labels; the test set is a seeded 20% hold-out.</li>
 * </ul>
 */
public final class DataSources {
    public static final String[] IDX_FILES = {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
    };
    public static final double IDX_HOLDOUT = 1.0 / 7.0;
    public static final double CSV_HOLDOUT = 0.2;
    public static final Path SYSTEM_FASHION_MNIST = Paths.get("/usr/share/datasets/fashion-mnist");
    private static final String HOW_TO_GET = "run scripts/fetch-data.sh, or pass --data DIR";

    /**
     * Where to look, made explicit so tests do not depend on the machine.
     *
     * @param env             environment variables (only BOTTLENECK_DATA is read)
     * @param home            the user's home folder (for ~/.cache/bottleneck/data)
     * @param systemFashion   the system-wide Fashion-MNIST folder, or null to skip it
     */
    public record Environment(Map<String, String> env, Path home, Path systemFashion) {
        public Environment {
            env = env == null ? Map.of() : Map.copyOf(env);
        }

        /** The real environment of this process. */
        public static Environment system() {
            return new Environment(System.getenv(), Paths.get(System.getProperty("user.home", ".")), SYSTEM_FASHION_MNIST);
        }

        /** $BOTTLENECK_DATA if set, else ~/.cache/bottleneck/data. */
        public Path cacheDir() {
            String d = env.get("BOTTLENECK_DATA");
            if (d != null && !d.isBlank()) return Paths.get(d);
            return defaultCache();
        }

        Path defaultCache() {
            return home.resolve(".cache").resolve("bottleneck").resolve("data");
        }
    }

    private DataSources() {}

    /** $BOTTLENECK_DATA, or ~/.cache/bottleneck/data (the folder scripts/fetch-data.sh fills). */
    public static Path cacheDir() {
        return Environment.system().cacheDir();
    }

    /** Resolves with the process environment. {@code dataDir} (the --data folder) and {@code csv} may be null. */
    public static TrainTest resolve(String spec, Path dataDir, CsvReader.Options csv, long seed) {
        return resolve(spec, dataDir, csv, seed, Environment.system());
    }

    public static TrainTest resolve(String spec, Path dataDir, CsvReader.Options csv, long seed, Environment envt) {
        return resolve(spec, dataDir, csv, null, seed, envt);
    }

    /**
     * As above; {@code images} (may be null) sets channels and size for a folder of images, of which a seeded 20%
     * is held out as the test split.
     */
    public static TrainTest resolve(String spec, Path dataDir, CsvReader.Options csv, ImageFolderReader.Options images,
                                    long seed, Environment envt) {
        return resolve(spec, dataDir, csv, images, null, seed, envt);
    }

    /**
     * As above; {@code text} (may be null: {@link TextFolderReader.Options#defaults}) sets the vocabulary of a folder of
     * text documents, of which a seeded 20% is held out as the test split.
     */
    public static TrainTest resolve(String spec, Path dataDir, CsvReader.Options csv, ImageFolderReader.Options images,
                                    TextFolderReader.Options text, long seed, Environment envt) {
        if (spec == null || spec.isBlank()) {
            throw new BottleneckException("no data given; expected mnist, fashion-mnist, a .csv file, an IDX images file or a folder "
                    + "with the four IDX files");
        }
        String key = spec.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        if (key.equals("mnist") || key.equals("fashion-mnist") || key.equals("fashionmnist")) {
            String name = key.equals("mnist") ? "mnist" : "fashion-mnist";
            List<Path> roots = searchRoots(name, dataDir, envt);
            Path dir = findIdxFolder(roots);
            if (dir == null) throw notFound(name, roots);
            return loadIdxFolder(dir, name);
        }
        Path p = Paths.get(spec);
        if (!p.isAbsolute() && dataDir != null && !Files.exists(p) && Files.exists(dataDir.resolve(p))) p = dataDir.resolve(p);
        if (dev.bottleneck.data.shard.ShardManifest.isShardDirectory(p)) return loadShards(p);
        if (Files.isDirectory(p) && !hasAllIdx(p) && ImageFolderReader.looksLikeImageFolder(p)) {
            ImageFolderReader.Options io = images == null ? ImageFolderReader.Options.defaults() : images;
            ImageFolderReader.Result read = ImageFolderReader.read(p, io);
            Dataset all = read.dataset();
            Dataset.Split sp = holdOut(all, CSV_HOLDOUT, seed, p + " (a folder of " + all.n() + " images)");
            return new TrainTest(sp.train(), sp.validation(), read.classes(), Map.of("background", ImageFolderReader.backgroundList(io.background())));
        }
        if (isTextFolder(p)) {
            TextFolderReader.Result r = TextFolderReader.read(p, text, seed);
            return new TrainTest(r.data().train(), r.data().test(), r.classes(), Map.of("text", TextFolderReader.describe(r)));
        }
        if (Files.isDirectory(p)) {
            if (!hasAllIdx(p) && !hasIdxLike(p)) throw unknownFolder(p);
            if (!hasAllIdx(p)) throw notFound(p.getFileName() == null ? p.toString() : p.getFileName().toString(), List.of(p));
            return loadIdxFolder(p, p.getFileName() == null ? "idx" : p.getFileName().toString());
        }
        if (!Files.isRegularFile(p)) {
            throw new BottleneckException("data '" + spec + "' is neither a known data set nor an existing file"
                    + (dataDir != null ? " (also looked in " + dataDir + ")" : "")
                    + "; expected mnist, fashion-mnist, a .csv file, an IDX images file, a folder with the four IDX files, a folder of images or of text documents — "
                    + HOW_TO_GET);
        }
        String fn = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (fn.endsWith(".csv") || fn.endsWith(".tsv") || fn.endsWith(".txt") || fn.endsWith(".csv.txt")) {
            checkTable(p);
            return loadCsv(p, csv, seed);
        }
        if (fn.contains("idx") || fn.contains("ubyte")) return loadIdxFile(p, seed);
        throw new BottleneckException(p + ": unknown data file type; expected a .csv file or an IDX images file "
                + "(name containing 'idx3-ubyte', raw or .gz)");
    }

    /**
     * The IDX files a data argument names, found as {@link #resolve} finds them, or null when the argument is not IDX
     * data (a CSV file, an image folder, ...). {@code testImages} is null when the data has no test file of its own
     * ({@link #resolve} then holds out {@link #IDX_HOLDOUT} of the rows); label paths are null when there are none.
     */
    public record IdxFiles(String name, Path trainImages, Path trainLabels, Path testImages, Path testLabels) { }

    public static IdxFiles idxFiles(String spec, Path dataDir, Environment envt) {
        if (spec == null || spec.isBlank()) return null;
        String key = spec.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        Path dir = null;
        String name = null;
        if (key.equals("mnist") || key.equals("fashion-mnist") || key.equals("fashionmnist")) {
            name = key.equals("mnist") ? "mnist" : "fashion-mnist";
            List<Path> roots = searchRoots(name, dataDir, envt);
            dir = findIdxFolder(roots);
            if (dir == null) throw notFound(name, roots);
        } else {
            Path p = Paths.get(spec);
            if (!p.isAbsolute() && dataDir != null && !Files.exists(p) && Files.exists(dataDir.resolve(p))) p = dataDir.resolve(p);
            if (Files.isDirectory(p) && hasAllIdx(p)) {
                dir = p;
                name = p.getFileName() == null ? "idx" : p.getFileName().toString();
            } else if (Files.isRegularFile(p)) {
                String fn = p.getFileName().toString();
                String low = fn.toLowerCase(Locale.ROOT);
                if (low.endsWith(".csv") || low.endsWith(".tsv") || low.endsWith(".txt") || !(low.contains("idx") || low.contains("ubyte"))) {
                    return null;
                }
                Path test = null;
                if (fn.startsWith("train-")) {
                    test = p.resolveSibling("t10k-" + fn.substring("train-".length()));
                    if (!Files.isRegularFile(test)) {
                        Path alt = fn.endsWith(".gz") ? p.resolveSibling("t10k-" + fn.substring(6, fn.length() - 3))
                                                      : p.resolveSibling("t10k-" + fn.substring(6) + ".gz");
                        test = Files.isRegularFile(alt) ? alt : null;
                    }
                }
                Path labels = siblingLabels(p);
                return new IdxFiles(stripIdxName(fn), p, labels, test, test == null || labels == null ? null : siblingLabels(test));
            } else {
                return null;
            }
        }
        return new IdxFiles(name, idxFile(dir, IDX_FILES[0]), idxFile(dir, IDX_FILES[1]), idxFile(dir, IDX_FILES[2]),
                idxFile(dir, IDX_FILES[3]));
    }

    /**
     * Reads both splits of a shard directory into memory (for commands that need all samples at once; train, eval,
     * encode, detect and index stream shards instead). Refused when they do not fit the heap.
     */
    public static TrainTest loadShards(Path dir) {
        try (dev.bottleneck.data.shard.ShardSet set = dev.bottleneck.data.shard.ShardSet.open(dir,
                dev.bottleneck.data.shard.ShardSet.Verify.FIRST_OPEN, null)) {
            String name = set.manifest().name();
            Dataset train = set.split("train").materialize(name + "-train");
            if (!set.hasSplit("test")) {
                throw new BottleneckException(dir + ": the shard directory has no test split, which this command needs; add one (see the"
                        + " README, 'Shards')");
            }
            return new TrainTest(train, set.split("test").materialize(name + "-test"), set.manifest().classes());
        }
    }

    /** The folders searched for "mnist" or "fashion-mnist", in order, without duplicates. */
    public static List<Path> searchRoots(String dataset, Path dataDir, Environment envt) {
        Set<Path> roots = new LinkedHashSet<>();
        if (dataDir != null) {
            roots.add(dataDir);
            roots.add(dataDir.resolve(dataset));
            if (dataset.equals("mnist")) roots.add(dataDir.resolve("package").resolve("data"));
        }
        String bd = envt.env().get("BOTTLENECK_DATA");
        if (bd != null && !bd.isBlank()) roots.add(Paths.get(bd).resolve(dataset));
        if (envt.home() != null) roots.add(envt.defaultCache().resolve(dataset));
        if (dataset.equals("fashion-mnist") && envt.systemFashion() != null) roots.add(envt.systemFashion());
        List<Path> out = new ArrayList<>();
        for (Path r : roots) out.add(r.normalize());
        return out;
    }

    /** Loads train-* and t10k-* IDX files from one folder. */
    public static TrainTest loadIdxFolder(Path dir, String name) {
        Path trI = idxFile(dir, IDX_FILES[0]);
        Path trL = idxFile(dir, IDX_FILES[1]);
        Path teI = idxFile(dir, IDX_FILES[2]);
        Path teL = idxFile(dir, IDX_FILES[3]);
        if (trI == null || trL == null || teI == null || teL == null) throw notFound(name, List.of(dir));
        Dataset train = IdxReader.readImages(trI, trL, name + "-train");
        Dataset test = IdxReader.readImages(teI, teL, name + "-test");
        checkSameShape(train, test, trI, teI);
        return new TrainTest(train, test);
    }

    /** Loads one IDX images file (with matching labels and t10k test file where present; else a 1/7 hold-out). */
    public static TrainTest loadIdxFile(Path images, long seed) {
        Path labels = siblingLabels(images);
        String fn = images.getFileName().toString();
        String base = stripIdxName(fn);
        if (fn.startsWith("train-")) {
            Path test = images.resolveSibling("t10k-" + fn.substring("train-".length()));
            if (!Files.isRegularFile(test)) {
                Path alt = fn.endsWith(".gz") ? images.resolveSibling("t10k-" + fn.substring(6, fn.length() - 3))
                                              : images.resolveSibling("t10k-" + fn.substring(6) + ".gz");
                test = Files.isRegularFile(alt) ? alt : null;
            }
            if (test != null) {
                Dataset tr = IdxReader.readImages(images, labels, base + "-train");
                Dataset te = IdxReader.readImages(test, labels == null ? null : siblingLabels(test), base + "-test");
                checkSameShape(tr, te, images, test);
                return new TrainTest(tr, te);
            }
        }
        Dataset all = IdxReader.readImages(images, labels, base);
        Dataset.Split s = holdOut(all, IDX_HOLDOUT, seed, images + " (" + all.n() + " images)");
        return new TrainTest(rename(s.train(), base + "-train"), rename(s.validation(), base + "-test"));
    }

    /** Reads a CSV table and holds out a seeded 20% as the test set. */
    public static TrainTest loadCsv(Path file, CsvReader.Options csv, long seed) {
        CsvTable t = CsvReader.read(file, csv == null ? CsvReader.defaults() : csv);
        Dataset all = t.dataset();
        if (all.n() < 2) {
            throw new BottleneckException(file + ": only " + all.n() + " data row; expected at least 2 to hold out a test set");
        }
        Dataset.Split s = holdOut(all, CSV_HOLDOUT, seed, file + " (" + all.n() + " data rows)");
        return new TrainTest(rename(s.train(), all.name() + "-train"), rename(s.validation(), all.name() + "-test"), t.labelNames());
    }

    /** Holds out a seeded test fraction; both parts must be non-empty. */
    static Dataset.Split holdOut(Dataset all, double fraction, long seed, String what) {
        Dataset.Split s = all.split(fraction, seed);
        if (s.train().n() == 0 || s.validation().n() == 0) {
            throw new BottleneckException(what + ": too few samples to hold out a test set of " + Math.round(fraction * 100)
                    + "% (it would get " + s.validation().n() + " and training " + s.train().n() + "); use more data");
        }
        return s;
    }

    /**
     * Whether {@code p} is a folder of text documents for {@link TextFolderReader}: a folder without IDX files or images
     * that holds text files directly or in class sub-folders.
     */
    public static boolean isTextFolder(Path p) {
        return Files.isDirectory(p) && !hasAllIdx(p) && !hasIdxLike(p) && !ImageFolderReader.looksLikeImageFolder(p)
                && !dev.bottleneck.data.shard.ShardManifest.isShardDirectory(p) && TextFolderReader.looksLikeTextFolder(p);
    }

    /** Refuses a {@code .txt} file that reads as a document, not as a table, with what to do instead. */
    public static void checkTable(Path file) {
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".txt") && TextFolderReader.looksLikeProse(file)) {
            throw new BottleneckException(file + " reads as a text document, not a table (its lines do not split into columns);"
                    + " to train on documents put them one per file in a folder (class sub-folders give labels) and pass the folder;"
                    + " for a table, name the file .csv or .tsv");
        }
    }

    /** A folder that holds no data this tool reads. */
    private static BottleneckException unknownFolder(Path p) {
        return new BottleneckException(p + " holds no data this tool reads: expected images (.png, .jpg, .jpeg, .bmp, .gif), text"
                + " documents (.txt, .text, .md, .rst or files without an extension), either directly or in class sub-folders, the four"
                + " IDX files (" + String.join(", ", IDX_FILES) + ") or a shard directory (manifest.json)");
    }

    /** Whether a folder holds a file named like an IDX file (then a missing one is reported as such). */
    private static boolean hasIdxLike(Path dir) {
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).contains("ubyte"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The labels file matching an images file, or null. */
    public static Path siblingLabels(Path images) {
        String fn = images.getFileName().toString();
        String cand = fn.contains("images-idx3") ? fn.replace("images-idx3", "labels-idx1")
                : fn.contains("images") ? fn.replace("images", "labels") : null;
        if (cand == null) return null;
        Path p = images.resolveSibling(cand);
        if (Files.isRegularFile(p)) return p;
        Path alt = cand.endsWith(".gz") ? images.resolveSibling(cand.substring(0, cand.length() - 3)) : images.resolveSibling(cand + ".gz");
        return Files.isRegularFile(alt) ? alt : null;
    }

    private static String stripIdxName(String fn) {
        String s = fn.endsWith(".gz") ? fn.substring(0, fn.length() - 3) : fn;
        s = s.replace("-idx3-ubyte", "").replace(".idx3-ubyte", "");
        return s.isEmpty() ? "idx" : s;
    }

    private static Dataset rename(Dataset d, String name) {
        return new Dataset(d.x(), d.n(), d.sampleShape(), d.labels(), name, d.ids());
    }

    private static void checkSameShape(Dataset a, Dataset b, Path fa, Path fb) {
        if (!java.util.Arrays.equals(a.sampleShape(), b.sampleShape())) {
            throw new BottleneckException(fb + ": images are " + shapeText(b) + " but " + fa + " has " + shapeText(a)
                    + "; expected train and test files of the same data set");
        }
    }

    private static String shapeText(Dataset d) {
        int[] s = d.sampleShape();
        return s[s.length - 2] + "×" + s[s.length - 1];
    }

    static Path idxFile(Path dir, String name) {
        Path raw = dir.resolve(name);
        if (Files.isRegularFile(raw)) return raw;
        Path gz = dir.resolve(name + ".gz");
        return Files.isRegularFile(gz) ? gz : null;
    }

    static boolean hasAllIdx(Path dir) {
        if (!Files.isDirectory(dir)) return false;
        for (String f : IDX_FILES) if (idxFile(dir, f) == null) return false;
        return true;
    }

    static Path findIdxFolder(List<Path> roots) {
        for (Path r : roots) if (hasAllIdx(r)) return r;
        return null;
    }

    private static BottleneckException notFound(String name, List<Path> roots) {
        StringBuilder sb = new StringBuilder();
        sb.append(name).append(" not found: expected the four IDX files (")
          .append(String.join(", ", IDX_FILES)).append(", each raw or .gz) in one folder. Searched:");
        for (Path r : roots) {
            sb.append("\n  ").append(r);
            if (!Files.isDirectory(r)) {
                sb.append(" (no such folder)");
            } else {
                List<String> missing = new ArrayList<>();
                for (String f : IDX_FILES) if (idxFile(r, f) == null) missing.add(f);
                sb.append(missing.size() == IDX_FILES.length ? " (none of the files)" : " (missing " + String.join(", ", missing) + ")");
            }
        }
        sb.append("\n").append(HOW_TO_GET).append('.');
        return new BottleneckException(sb.toString());
    }
}
