package dev.bottleneck.fuzz;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.bottleneck.apps.CodeCodec;
import dev.bottleneck.cli.Main;
import dev.bottleneck.data.CsvReader;
import dev.bottleneck.data.IdxReader;
import dev.bottleneck.data.ImageFolderReader;
import dev.bottleneck.data.TextFolderReader;
import dev.bottleneck.data.TextVectorizer;
import dev.bottleneck.data.MissingCsv;
import dev.bottleneck.data.Ratings;
import dev.bottleneck.data.TimeSeriesReader;
import dev.bottleneck.io.Safetensors;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.train.Checkpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A seeded fuzz test per reader: mutated IDX images and labels, gzip files, shard directories, CSV tables, image
 * folders, safetensors files, model specs in JSON and YAML, config.json, and whole model directories. Only the project's
 * typed errors may escape, with one-line messages, and no input may allocate more than its target's bound (see
 * {@link FuzzHarness}): 16 MiB for the readers, 32 MiB for an image folder, 64 MiB for a command-line run. The CI
 * budget of each target is the number in its {@code inputs(...)} or {@code cliInputs(...)} call (16,660 inputs in
 * all); the whole class runs in about 15 s on two idle cores. {@code scripts/fuzz.sh N} runs the same targets with N
 * inputs each (N/10 for the two command-line targets).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ReaderFuzzTest {
    @TempDir static Path tmp;

    /** Bounds on what one input may allocate; every seed is under 8 KiB. */
    static final long READER_BOUND = 16L << 20;
    static final long IMAGE_BOUND = 32L << 20;
    static final long CLI_BOUND = 64L << 20;

    private static String savedHome;

    @BeforeAll
    static void quietData() {
        // the CLI targets must not find real data sets in the user's cache: a mutated source could name one
        savedHome = System.getProperty("user.home");
        try {
            // JavaCPP fixes its cache folder (under user.home) when first asked: ask now, so that native libraries loaded
            // first by a target here are not cached in this test's temporary home, deleted before later tests load more
            org.bytedeco.javacpp.Loader.getCacheDir();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        System.setProperty("user.home", tmp.resolve("home").toString());
    }

    @AfterAll
    static void restore() {
        if (savedHome != null) System.setProperty("user.home", savedHome);
    }

    // ------------------------------------------------------------------------------------------------ IDX

    static byte[] idxImages(int count, int rows, int cols) {
        ByteBuffer b = ByteBuffer.allocate(16 + count * rows * cols);
        b.putInt(IdxReader.IMAGES_MAGIC).putInt(count).putInt(rows).putInt(cols);
        for (int i = 0; i < count * rows * cols; i++) b.put((byte) (i * 37 + 11));
        return b.array();
    }

    static byte[] idxLabels(int count) {
        ByteBuffer b = ByteBuffer.allocate(8 + count);
        b.putInt(IdxReader.LABELS_MAGIC).putInt(count);
        for (int i = 0; i < count; i++) b.put((byte) (i % 10));
        return b.array();
    }

    @Test
    void idxImages() throws IOException {
        List<byte[]> seeds = List.of(idxImages(3, 4, 5), idxImages(1, 1, 1), idxImages(2, 28, 28));
        Path f = tmp.resolve("fuzz-images-idx3-ubyte");
        FuzzHarness.run("idx-images", FuzzHarness.inputs(2500), READER_BOUND,
                r -> Mutator.bytes(seeds.get(r.nextInt(seeds.size())), seeds, r),
                (in, r) -> {
                    Files.write(f, in);
                    IdxReader.readImages(f, null, "fuzz");
                });
    }

    @Test
    void idxLabels() throws IOException {
        List<byte[]> seeds = List.of(idxLabels(5), idxLabels(1), idxLabels(40));
        Path images = Files.write(tmp.resolve("pair-images-idx3-ubyte"), idxImages(5, 2, 2));
        Path f = tmp.resolve("fuzz-labels-idx1-ubyte");
        FuzzHarness.run("idx-labels", FuzzHarness.inputs(1500), READER_BOUND,
                r -> Mutator.bytes(seeds.get(r.nextInt(seeds.size())), seeds, r),
                (in, r) -> {
                    Files.write(f, in);
                    if (r.nextBoolean()) IdxReader.readLabels(f);
                    else IdxReader.readImages(images, f, "fuzz");
                });
    }

    @Test
    void gzip() throws IOException {
        List<byte[]> seeds = List.of(Mutator.compress(idxImages(3, 6, 6)), Mutator.compress(idxImages(2, 3, 3)),
                Mutator.compress(idxLabels(12)));
        Path f = tmp.resolve("fuzz-idx.gz");
        FuzzHarness.run("gzip", FuzzHarness.inputs(1500), READER_BOUND,
                r -> Mutator.gzip(seeds.get(r.nextInt(seeds.size())), seeds, r),
                (in, r) -> {
                    Files.write(f, in);
                    if (r.nextInt(3) == 0) IdxReader.readLabels(f);
                    else IdxReader.readImages(f, null, "fuzz");
                });
    }

    // ------------------------------------------------------------------------------------------------ shards

    @Test
    void shards() throws IOException {
        // a shard directory of two train shards and a test shard; one input mutates the manifest, a shard or a labels file
        Path seedDir = Files.createDirectories(tmp.resolve("shard-seed"));
        Map<String, dev.bottleneck.data.shard.ShardManifest.Split> splits = new LinkedHashMap<>();
        for (String split : List.of("train", "test")) {
            int n = split.equals("train") ? 5 : 2;
            try (dev.bottleneck.data.shard.ShardWriter w = new dev.bottleneck.data.shard.ShardWriter(seedDir, split, new int[] {2, 3},
                    dev.bottleneck.data.shard.ShardManifest.StoredType.UINT8, 255, 18, n, true, split.equals("train"))) {
                for (int i = 0; i < n; i++) w.addBytes(new byte[] {(byte) i, 1, 2, 3, 4, (byte) (250 + i)}, 0, i % 3);
                splits.put(split, w.finish());
            }
        }
        new dev.bottleneck.data.shard.ShardManifest("fuzz", new int[] {2, 3}, dev.bottleneck.data.shard.ShardManifest.StoredType.UINT8, 255,
                splits, List.of("a", "b", "c"), null).write(seedDir);
        List<String> files = List.of("manifest.json", "train-00000.npy", "train-00001.labels.npy", "test-00000.npy");
        Map<String, byte[]> originals = new LinkedHashMap<>();
        for (String f : files) originals.put(f, Files.readAllBytes(seedDir.resolve(f)));
        for (String f : List.of("train-00000.labels.npy", "train-00001.npy", "test-00000.labels.npy")) {
            originals.put(f, Files.readAllBytes(seedDir.resolve(f)));
        }
        List<byte[]> binary = List.of(originals.get("train-00000.npy"), originals.get("train-00001.labels.npy"), originals.get("test-00000.npy"));
        String manifest = new String(originals.get("manifest.json"), StandardCharsets.UTF_8);
        Path d = Files.createDirectories(tmp.resolve("fuzz-shards"));
        FuzzHarness.run("shards", FuzzHarness.inputs(800), READER_BOUND,
                r -> {
                    int which = r.nextInt(files.size());
                    byte[] body = which == 0 ? Mutator.text(manifest, false, r).getBytes(StandardCharsets.UTF_8)
                            : Mutator.bytes(originals.get(files.get(which)), binary, r);
                    byte[] in = new byte[body.length + 1];
                    in[0] = (byte) which;
                    System.arraycopy(body, 0, in, 1, body.length);
                    return in;
                },
                (in, r) -> {
                    for (Map.Entry<String, byte[]> e : originals.entrySet()) Files.write(d.resolve(e.getKey()), e.getValue());
                    Files.deleteIfExists(d.resolve(".verified.json"));
                    Files.write(d.resolve(files.get(Math.floorMod(in[0], files.size()))), java.util.Arrays.copyOfRange(in, 1, in.length));
                    var verify = dev.bottleneck.data.shard.ShardSet.Verify.values()[r.nextInt(3)];
                    try (var set = dev.bottleneck.data.shard.ShardSet.open(d, verify, null)) {
                        for (String split : set.manifest().splits().keySet()) {
                            var sp = set.split(split);
                            float[] x = new float[sp.features() * sp.size()];
                            sp.readRange(0, sp.size(), x, 0);
                            if (sp.hasLabels()) sp.labels();
                        }
                    }
                });
    }

    // ------------------------------------------------------------------------------------------------ CSV

    @Test
    void csv() throws IOException {
        List<String> seeds = List.of(
                "a,b,c,label\n1,2,3,cat\n4.5,5e-1,-6,dog\n7,8,9,cat\n",
                "\uFEFFx;y;z\n1;2;3\n\n4;5;6\n",
                "1\t2\t3\n4\t5\t6\n7\t8\t9\n",
                "\"a\",\"b \"\"q\"\"\",c\n\"1\",2,3\n 4 , 5 , 6 \n",
                "id,v1,v2,class\n0,0.1,0.2,1\n1,0.3,0.4,0\n2,1e3,-1e-3,1\n");
        List<CsvReader.Options> options = List.of(CsvReader.defaults(),
                CsvReader.options().labelColumnSpec("label").build(),
                CsvReader.options().labelColumnSpec("-1").build(),
                CsvReader.options().header(CsvReader.Header.NO).delimiter(';').build(),
                CsvReader.options().skipColumns("id").labelColumnSpec("class").build(),
                CsvReader.options().skipColumnIndices(0, -1).header(CsvReader.Header.YES).build(),
                CsvReader.options().delimiter('\t').build());
        Path f = tmp.resolve("fuzz.csv");
        FuzzHarness.run("csv", FuzzHarness.inputs(1500), READER_BOUND,
                r -> {
                    String s = seeds.get(r.nextInt(seeds.size()));
                    return r.nextInt(4) == 0 ? Mutator.bytes(Mutator.utf8(s), List.of(), r) : Mutator.utf8(Mutator.text(s, false, r));
                },
                (in, r) -> {
                    Files.write(f, in);
                    CsvReader.read(f, options.get(r.nextInt(options.size())));
                });
    }

    /** The other table readers: time series (timestamps, groups, labels), ratings with a split, tables with holes. */
    @Test
    void otherTables() throws IOException {
        List<String> series = List.of(
                "reading,mote_id,humidity,temperature,label,indoor\n1,m1,40.5,20.1,0,1\n2,m1,41,20.3,1,1\n3,m1,40,19.9,0,1\n"
                        + "1,m2,39,21,0,0\n2,m2,38.5,21.2,0,0\n",
                "time,value,label\n2024-01-01T00:00:00Z,1.5,false\n2024-01-01T00:01:00Z,1.7,true\n2024-01-01T00:02:00Z,1.1,false\n",
                "date,x,y\n2024-01-01,1,2\n2024-01-02,3,4\n2024-01-03,5,6\n");
        List<TimeSeriesReader.Options> seriesOptions = List.of(dev.bottleneck.data.SensorData.options(),
                TimeSeriesReader.Options.defaults().withTimestamp("time").withLabel("label").withMaxGap(60),
                TimeSeriesReader.Options.defaults().withTimestamp("date").withMinRows(3), TimeSeriesReader.Options.defaults());
        String ratings = "user,item,rating,split\nu1,i1,4,train\nu1,i2,3.5,test\nu2,i1,5,train\nu3,i3,1,train\n";
        String holes = "a,b,c\n1,,3\nNA,2,3\n4,5,?\n";
        List<String> seeds = new ArrayList<>(series);
        seeds.add(ratings);
        seeds.add(holes);
        Path f = tmp.resolve("fuzz-table.csv");
        FuzzHarness.run("other-tables", FuzzHarness.inputs(1500), READER_BOUND,
                r -> {
                    int k = r.nextInt(seeds.size());
                    byte[] m = r.nextInt(4) == 0 ? Mutator.bytes(Mutator.utf8(seeds.get(k)), List.of(), r)
                            : Mutator.utf8(Mutator.text(seeds.get(k), false, r));
                    byte[] out = new byte[m.length + 1];
                    out[0] = (byte) k;
                    System.arraycopy(m, 0, out, 1, m.length);
                    return out;
                },
                (in, r) -> {
                    Files.write(f, java.util.Arrays.copyOfRange(in, 1, in.length));
                    int k = in[0];
                    if (k < series.size()) TimeSeriesReader.read(f, seriesOptions.get(r.nextInt(seriesOptions.size())));
                    else if (k == series.size()) {
                        if (r.nextBoolean()) Ratings.readSplit(f);
                        else Ratings.readCsv(f);
                    } else MissingCsv.read(f, r.nextBoolean() ? java.util.Set.of() : java.util.Set.of("b"));
                });
    }

    /** The codes files written by 'bottleneck compress'. */
    @Test
    void codes() {
        float[] v = {0.5f, -1, 2, 3, 0, 1};
        List<byte[]> seeds = List.of(CodeCodec.encode(v, 3, 2, CodeCodec.Format.U8), CodeCodec.encode(v, 2, 3, CodeCodec.Format.F16));
        FuzzHarness.run("codes", FuzzHarness.inputs(2000), READER_BOUND,
                r -> Mutator.bytes(seeds.get(r.nextInt(seeds.size())), seeds, r),
                (in, r) -> CodeCodec.decode(in, "fuzz.codes"));
    }

    // ---------------------------------------------------------------------------------------- image folder

    static byte[] image(String format, int w, int h, boolean colour) throws IOException {
        return image(format, w, h, colour ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_BYTE_GRAY);
    }

    static byte[] image(String format, int w, int h, int type) throws IOException {
        boolean colour = type != BufferedImage.TYPE_BYTE_GRAY;
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, colour ? (x * 40) << 16 | (y * 40) << 8 | 90 : (x + y) * 0x101010);
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        if (!ImageIO.write(img, format, bo)) throw new IOException("no writer for " + format);
        return bo.toByteArray();
    }

    @Test
    void imageFolder() throws IOException {
        List<String> formats = List.of("png", "gif", "bmp", "jpg", "png");
        List<byte[]> seeds = new ArrayList<>();
        for (int i = 0; i < formats.size() - 1; i++) seeds.add(image(formats.get(i), 6 + i, 5, i % 2 == 0));
        seeds.add(image("png", 7, 5, BufferedImage.TYPE_INT_ARGB)); // with alpha
        byte[] good = image("png", 6, 5, false);
        List<ImageFolderReader.Options> options = List.of(ImageFolderReader.Options.defaults(), new ImageFolderReader.Options(0, 8, 8),
                new ImageFolderReader.Options(3, 4, 4), new ImageFolderReader.Options(1, 0, 0), new ImageFolderReader.Options(4, 3, 5, 0x102030));
        Path warm = Files.createDirectories(tmp.resolve("warm"));
        Files.write(warm.resolve("w.png"), good);
        ImageFolderReader.read(warm, options.get(0)); // loads the ImageIO plugins before anything is measured
        FuzzHarness.run("image-folder", FuzzHarness.inputs(800), IMAGE_BOUND,
                r -> {
                    int k = r.nextInt(seeds.size());
                    byte[] m = Mutator.bytes(seeds.get(k), seeds, r);
                    byte[] out = new byte[m.length + 1];
                    out[0] = (byte) k; // which format (and so which file extension) the input is
                    System.arraycopy(m, 0, out, 1, m.length);
                    return out;
                },
                (in, r) -> {
                    Path dir = tmp.resolve("images");
                    clear(dir);
                    Path cls = Files.createDirectories(dir.resolve("a"));
                    Files.write(cls.resolve("0." + formats.get(in[0] % formats.size())), java.util.Arrays.copyOfRange(in, 1, in.length));
                    Files.write(cls.resolve("1.png"), good);
                    ImageFolderReader.read(dir, options.get(r.nextInt(options.size())));
                });
    }

    static {
        ImageIO.setUseCache(false);
    }

    // ----------------------------------------------------------------------------------------- text folder

    @Test
    void textFolder() throws IOException {
        List<byte[]> seeds = List.of("The match was won by the home team.\nA late goal.".getBytes(StandardCharsets.UTF_8),
                "caf\u00e9 na\u00efve \u65e5\u672c\u8a9e 2024 x".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff, (byte) 0xfe, 'a', 'b', 0, 'c'});
        byte[] good = "budget minister election vote".getBytes(StandardCharsets.UTF_8);
        List<TextFolderReader.Options> options = List.of(TextFolderReader.Options.defaults(),
                new TextFolderReader.Options(3, TextVectorizer.Weight.COUNT, "none", null),
                new TextFolderReader.Options(1, TextVectorizer.Weight.BINARY, "english", null));
        FuzzHarness.run("text-folder", FuzzHarness.inputs(500), READER_BOUND,
                r -> Mutator.bytes(seeds.get(r.nextInt(seeds.size())), seeds, r),
                (in, r) -> {
                    Path dir = tmp.resolve("docs");
                    clear(dir);
                    Path cls = Files.createDirectories(dir.resolve(r.nextBoolean() ? "a" : "b"));
                    Files.write(cls.resolve("0.txt"), in);
                    for (int i = 1; i < 5; i++) Files.write(cls.resolve(String.valueOf(i)), r.nextBoolean() ? good : in);
                    TextFolderReader.Result res = TextFolderReader.read(dir, options.get(r.nextInt(options.size())), r.nextLong());
                    // the saved form reads back to a vectorizer of the same size
                    if (TextVectorizer.fromMap(res.vectorizer().toMap(), "fuzz").features() != res.vectorizer().features()) {
                        throw new AssertionError("vectorizer round trip changed its size");
                    }
                });
    }

    // ------------------------------------------------------------------------------------------ safetensors

    @Test
    void safetensors() throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        Path w = tmp.resolve("seed.safetensors");
        Map<String, Safetensors.TensorData> t1 = new LinkedHashMap<>();
        t1.put("encoder.0.weight", Safetensors.TensorData.f32(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        t1.put("steps", Safetensors.TensorData.i64(new long[] {2}, new long[] {7, 8}));
        Safetensors.write(w, t1, Map.of("format", "bottleneck", "model", "{\"input\": 3}"));
        seeds.add(Files.readAllBytes(w));
        Map<String, Safetensors.TensorData> t2 = new LinkedHashMap<>();
        t2.put("h", Safetensors.TensorData.f16(new long[] {4}, new float[] {0.5f, -1, 2, 65504}));
        t2.put("b", Safetensors.TensorData.bf16(new long[] {2, 2}, new float[] {1, 2, 3, 4}));
        t2.put("d", Safetensors.TensorData.f64(new long[] {3}, new double[] {1e-300, 0, -2}));
        t2.put("empty", Safetensors.TensorData.f32(new long[] {0, 5}, new float[0]));
        Safetensors.write(w, t2, null);
        seeds.add(Files.readAllBytes(w));
        Path f = tmp.resolve("fuzz.safetensors");
        FuzzHarness.run("safetensors", FuzzHarness.inputs(1500), READER_BOUND,
                r -> {
                    byte[] s = seeds.get(r.nextInt(seeds.size()));
                    return r.nextInt(5) < 2 ? mutateHeader(s, r) : Mutator.bytes(s, seeds, r);
                },
                (in, r) -> {
                    Files.write(f, in);
                    if (r.nextInt(4) == 0) Safetensors.readHeader(f);
                    else Safetensors.read(f);
                });
    }

    /** Mutates the JSON header as text and packs it again, mostly with the right length. */
    private static byte[] mutateHeader(byte[] file, SplittableRandom r) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) b.getLong(0);
        String header = new String(file, 8, n, StandardCharsets.UTF_8);
        byte[] h = Mutator.utf8(Mutator.text(header, false, r));
        byte[] data = java.util.Arrays.copyOfRange(file, 8 + n, file.length);
        ByteBuffer o = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        o.putLong(r.nextInt(8) == 0 ? h.length + r.nextInt(-4, 5) : h.length).put(h).put(data);
        return o.array();
    }

    // ------------------------------------------------------------------------------------------ model specs

    static final List<String> SPECS = List.of(
            "{\"name\": \"dense\", \"input\": [1, 4, 4], \"encoder\": [{\"type\": \"linear\", \"units\": 8, \"activation\": \"relu\"},"
                    + " {\"type\": \"dropout\", \"rate\": 0.1}, {\"type\": \"linear\", \"units\": 3}], \"decoder\": [{\"type\": \"linear\","
                    + " \"units\": 16, \"activation\": \"sigmoid\"}], \"loss\": \"bce\", \"reduction\": \"mean\","
                    + " \"regularizers\": [{\"type\": \"l1_activity\", \"weight\": 1e-5}]}",
            "{\"input\": [1, 8, 8], \"encoder\": [{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": \"same\","
                    + " \"activation\": \"relu\"}, {\"type\": \"max_pool2d\", \"kernel\": 2}, {\"type\": \"batch_norm2d\"},"
                    + " {\"type\": \"flatten\"}, {\"type\": \"linear\", \"units\": 6}], \"decoder\": [{\"type\": \"linear\", \"units\": 64},"
                    + " {\"type\": \"reshape\", \"shape\": [4, 4, 4]}, {\"type\": \"upsample\", \"scale\": 2, \"mode\": \"nearest\"},"
                    + " {\"type\": \"conv_transpose2d\", \"filters\": 1, \"kernel\": [3, 3], \"stride\": 1, \"padding\": 1,"
                    + " \"output_padding\": 0, \"activation\": \"sigmoid\"}, {\"type\": \"avg_pool2d\", \"kernel\": 1}], \"loss\": \"mse\"}",
            "{\"name\": \"seq\", \"input\": [10, 3], \"sequence\": {\"cell\": \"gru\", \"hidden\": 8, \"layers\": 2, \"latent\": 4,"
                    + " \"bidirectional\": true, \"teacher_forcing\": true}}",
            "{\"input\": [6, 2], \"encoder\": [{\"type\": \"lstm\", \"hidden\": 5, \"layers\": 1, \"return\": \"last\"}],"
                    + " \"decoder\": [{\"type\": \"repeat\", \"steps\": 6}, {\"type\": \"gru\", \"hidden\": 4, \"return\": \"sequence\"},"
                    + " {\"type\": \"step_linear\", \"units\": 2}], \"loss\": \"mse\"}",
            "{\"input\": 12, \"encoder\": [{\"type\": \"linear\", \"units\": 6, \"activation\": \"tanh\"}, {\"type\": \"linear\","
                    + " \"units\": 4}], \"decoder\": [{\"type\": \"linear\", \"units\": 12, \"activation\": \"sigmoid\"}],"
                    + " \"variational\": {\"latent\": 2, \"beta\": 1.0, \"warmup_epochs\": 3}, \"loss\": \"bce\", \"reduction\": \"sum\"}",
            "{\"input\": 9, \"encoder\": [{\"type\": \"linear\", \"units\": 4, \"activation\": \"sigmoid\", \"init\": \"xavier_uniform\","
                    + " \"bias\": false}], \"decoder\": [{\"type\": \"linear\", \"units\": 9}, {\"type\": \"activation\", \"fn\": \"leaky_relu\","
                    + " \"alpha\": 0.2}], \"regularizers\": [{\"type\": \"kl_sparsity\", \"rho\": 0.05, \"weight\": 3},"
                    + " {\"type\": \"contractive\", \"weight\": 0.1, \"mode\": \"estimate\", \"draws\": 2, \"step\": 0.01}]}");

    private static void parseAndSummarise(Path spec) {
        ModelSpec ms = ModelSpec.parse(spec.toString(), 0);
        new Autoencoder(ms).summary();
    }

    @Test
    void specJson() {
        Path f = tmp.resolve("fuzz-spec.json");
        for (String s : SPECS) parseAndSummarise(write(f, s)); // every seed is valid
        FuzzHarness.run("spec-json", FuzzHarness.inputs(1200), READER_BOUND,
                r -> Mutator.utf8(Mutator.text(SPECS.get(r.nextInt(SPECS.size())), false, r)),
                (in, r) -> parseAndSummarise(write(f, in)));
    }

    @Test
    void specYaml() throws IOException {
        ObjectMapper json = new ObjectMapper();
        YAMLMapper yaml = new YAMLMapper();
        List<String> seeds = new ArrayList<>();
        for (String s : SPECS) seeds.add(yaml.writeValueAsString(json.readValue(s, Object.class)));
        Path f = tmp.resolve("fuzz-spec.yaml");
        for (String s : seeds) parseAndSummarise(write(f, s));
        FuzzHarness.run("spec-yaml", FuzzHarness.inputs(1200), READER_BOUND,
                r -> Mutator.utf8(Mutator.text(seeds.get(r.nextInt(seeds.size())), true, r)),
                (in, r) -> parseAndSummarise(write(f, in)));
    }

    // ----------------------------------------------------------------------------- config.json, model dirs

    /** A small trained model directory (CSV data, dense 4-3-4) to mutate. */
    private static Path trainedModel() throws IOException {
        Path model = tmp.resolve("model");
        if (Files.isRegularFile(model.resolve("config.json"))) return model;
        StringBuilder csv = new StringBuilder("a,b,c,d\n");
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 40; i++) csv.append(String.format(Locale.ROOT, "%.3f,%.3f,%.3f,%.3f%n", r.nextDouble(), r.nextDouble(), r.nextDouble(), r.nextDouble()));
        Path data = Files.writeString(tmp.resolve("table.csv"), csv);
        String[] err = new String[1];
        int rc = cli(err, "train", data.toString(), "--model", "4-3", "--epochs", "1", "--batch", "8", "--out", model.toString(),
                "--backend", "cpu", "--threads", "1");
        assertEquals(0, rc, err[0]);
        return model;
    }

    private static int cli(String[] err, String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int rc = Main.run(new PrintWriter(o), new PrintWriter(e), args);
        err[0] = e.toString();
        return rc;
    }

    /** A CLI run must end with status 0, 1 or 2; on failure with exactly one "error:" line, never an internal error. */
    private static void judge(String what, int rc, String err) {
        if (rc == 70 || err.contains("internal error") || err.contains("\tat ")) {
            throw new AssertionError(what + " gave an internal error (exit " + rc + "): " + err.strip());
        }
        if (rc != 0 && (rc > 2 || err.lines().filter(l -> l.startsWith("error:")).count() != 1)) {
            throw new AssertionError(what + ": exit " + rc + " without exactly one 'error:' line: " + err.strip());
        }
        if (rc != 0) { // a well-formed refusal: count it as the typed error it was
            throw new dev.bottleneck.BottleneckException(err.lines().filter(l -> l.startsWith("error:")).findFirst().orElseThrow());
        }
    }

    /**
     * {@code eval} through the command line, and what {@code summary} does (read config.json, build the model) through
     * the API: building picocli's command tree costs more than the summary itself.
     */
    @SuppressWarnings("unchecked")
    private static void evalAndSummary(Path dir) {
        dev.bottleneck.BottleneckException summary = null;
        try {
            Map<String, Object> config = Checkpoint.readConfig(dir);
            new Autoencoder(ModelSpec.fromMap((Map<String, Object>) config.get("model"), dir.resolve("config.json").toString())).summary();
        } catch (dev.bottleneck.BottleneckException e) {
            summary = e;
        }
        String[] err = new String[1];
        judge("eval", cli(err, "eval", dir.toString(), "--backend", "cpu", "--threads", "1"), err[0]);
        if (summary != null) throw summary;
    }

    @Test
    void configJson() throws IOException {
        Path model = trainedModel();
        Path dir = copyModel(model, tmp.resolve("config-fuzz"));
        String seed = Files.readString(model.resolve("config.json"));
        evalAndSummary(dir);
        FuzzHarness.run("config-json", FuzzHarness.cliInputs(80), CLI_BOUND,
                r -> Mutator.utf8(noRealData(Mutator.text(seed, false, r))),
                (in, r) -> {
                    Files.write(dir.resolve("config.json"), in);
                    evalAndSummary(dir);
                });
    }

    @Test
    void modelDirectory() throws IOException {
        Path model = trainedModel();
        Path dir = tmp.resolve("dir-fuzz");
        List<String> files = List.of("model.safetensors", "config.json", "trainer.json", "model.safetensors");
        Map<String, byte[]> originals = new LinkedHashMap<>();
        for (String f : files) originals.put(f, Files.readAllBytes(model.resolve(f)));
        FuzzHarness.run("model-dir", FuzzHarness.cliInputs(80), CLI_BOUND,
                r -> {
                    int k = r.nextInt(files.size());
                    byte[] orig = originals.get(files.get(k));
                    byte[] m = files.get(k).endsWith(".json")
                            ? Mutator.utf8(noRealData(Mutator.text(new String(orig, StandardCharsets.UTF_8), false, r)))
                            : r.nextBoolean() ? mutateHeader(orig, r) : Mutator.bytes(orig, List.of(), r);
                    byte[] out = new byte[m.length + 1];
                    out[0] = (byte) k;
                    System.arraycopy(m, 0, out, 1, m.length);
                    return out;
                },
                (in, r) -> {
                    copyModel(model, dir);
                    Files.write(dir.resolve(files.get(in[0])), java.util.Arrays.copyOfRange(in, 1, in.length));
                    evalAndSummary(dir);
                });
    }

    /**
     * {@code score}: the threshold file detect leaves in the model directory, or the new CSV file to score, mutated;
     * only scores or one-line refusals come out.
     */
    @Test
    void scoreInputs() throws IOException {
        Path model = trainedModel();
        Path dir = copyModel(model, tmp.resolve("score-fuzz"));
        String threshold = "{\"threshold\": 0.05, \"rule\": \"p99\", \"score\": \"mse\", \"written_by\": \"detect\"}\n";
        StringBuilder rows = new StringBuilder("a,b,c,d\n");
        SplittableRandom g = new SplittableRandom(2);
        for (int i = 0; i < 12; i++) rows.append(String.format(Locale.ROOT, "%.3f,%.3f,%.3f,%.3f%n", g.nextDouble(), g.nextDouble(), g.nextDouble(), g.nextDouble()));
        String table = rows.toString();
        Path input = tmp.resolve("score-input.csv"), out = tmp.resolve("score-out").resolve("scores.csv");
        FuzzHarness.run("score", FuzzHarness.cliInputs(40), CLI_BOUND,
                r -> {
                    boolean thresholdFile = r.nextBoolean();
                    byte[] m = Mutator.utf8(noRealData(Mutator.text(thresholdFile ? threshold : table, false, r)));
                    byte[] o = new byte[m.length + 1];
                    o[0] = (byte) (thresholdFile ? 1 : 0);
                    System.arraycopy(m, 0, o, 1, m.length);
                    return o;
                },
                (in, r) -> {
                    byte[] body = java.util.Arrays.copyOfRange(in, 1, in.length);
                    Files.write(dir.resolve("threshold.json"), in[0] == 1 ? body : threshold.getBytes(StandardCharsets.UTF_8));
                    Files.write(input, in[0] == 1 ? table.getBytes(StandardCharsets.UTF_8) : body);
                    String[] err = new String[1];
                    judge("score", cli(err, "score", dir.toString(), input.toString(), "--out", out.toString(), "--backend", "cpu",
                            "--threads", "1"), err[0]);
                });
    }

    /** Keeps mutated configs away from the real data sets (a source of "mnist" would load 60,000 images). */
    private static String noRealData(String s) {
        return s.replaceAll("(?i)mnist", "no-such-data");
    }

    private static Path copyModel(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : List.of("model.safetensors", "config.json", "trainer.json")) {
            Files.copy(from.resolve(f), to.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return to;
    }

    // ----------------------------------------------------------------------------------------------- util

    private static Path write(Path f, String s) {
        return write(f, s.getBytes(StandardCharsets.UTF_8));
    }

    private static Path write(Path f, byte[] b) {
        try {
            return Files.write(f, b);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void clear(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Test
    void harnessMeasuresAllocation() {
        org.junit.jupiter.api.Assumptions.assumeTrue(FuzzHarness.measuresAllocation(), "no per-thread allocation counter here");
        long a0 = FuzzHarness.allocated();
        byte[] big = new byte[8 << 20];
        long used = FuzzHarness.allocated() - a0;
        assertTrue(used >= big.length, "8 MiB array counted as " + used);
        assertTrue(FuzzHarness.isOneLine("a b") && !FuzzHarness.isOneLine("a\nb") && !FuzzHarness.isOneLine(null));
    }
}
