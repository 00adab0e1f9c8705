package dev.bottleneck.fuzz;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.IdxReader;
import dev.bottleneck.data.ImageFolderReader;
import dev.bottleneck.io.Safetensors;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The hostile inputs found so far, each as a regression test at the reader level: a typed error, a one-line
 * message naming what was wrong (and the limit, where one applies), in well under a second and without a big
 * allocation. The same cases through the command line are in {@code HostileCliTest}.
 */
class HostileInputTest {
    @TempDir Path dir;

    /** Runs {@code body}, which must fail with a one-line BottleneckException within a second and 64 MiB; returns the message. */
    static String refused(Executable body) {
        long a0 = FuzzHarness.allocated();
        long t0 = System.nanoTime();
        BottleneckException e = assertThrows(BottleneckException.class, body);
        double sec = (System.nanoTime() - t0) / 1e9;
        long alloc = FuzzHarness.allocated() - a0;
        assertTrue(FuzzHarness.isOneLine(e.getMessage()), "not one line: " + e.getMessage());
        assertTrue(sec < 1.0, "took " + sec + " s: " + e.getMessage());
        assertTrue(alloc < 64L << 20, "allocated " + Limits.bytes(alloc) + ": " + e.getMessage());
        return e.getMessage();
    }

    private static void contains(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
    }

    private Path write(String name, byte[] b) throws IOException {
        return Files.write(dir.resolve(name), b);
    }

    // -------------------------------------------------------------------------------------------------- IDX

    @Test
    void idxWithCountZeroIsRefusedNotDividedByZero() throws IOException {
        Path f = write("train-images-idx3-ubyte", ReaderFuzzTest.idxImages(0, 28, 28));
        contains(refused(() -> IdxReader.readImages(f, null, "x")), f.toString(), "count is 0", "no images");
        Path l = write("train-labels-idx1-ubyte", ReaderFuzzTest.idxLabels(0));
        contains(refused(() -> IdxReader.readLabels(l)), l.toString(), "count is 0");
    }

    @Test
    void sixteenByteHeaderClaimingTwoToThe31PixelsFailsAtOnce() throws IOException {
        byte[] h = ByteBuffer.allocate(16).putInt(IdxReader.IMAGES_MAGIC).putInt(2).putInt(1 << 15).putInt(1 << 15).array();
        Path f = write("big-images-idx3-ubyte", h);
        contains(refused(() -> IdxReader.readImages(f, null, "x")), f.toString(), "1,073,741,824", "limit", "values per sample");
        // within the per-image limit, the claim is compared with the file: 2^31 bytes announced, none there
        byte[] g = ByteBuffer.allocate(16).putInt(IdxReader.IMAGES_MAGIC).putInt(1 << 17).putInt(128).putInt(128).array();
        Path f2 = write("big2-images-idx3-ubyte", g);
        contains(refused(() -> IdxReader.readImages(f2, null, "x")), "expected 2147483648 bytes of pixel data", "found 0", "truncated");
    }

    @Test
    void dimensionsWhoseProductOverflowsAreRefused() throws IOException {
        byte[] h = ByteBuffer.allocate(16).putInt(IdxReader.IMAGES_MAGIC).putInt(Integer.MAX_VALUE).putInt(Integer.MAX_VALUE)
                .putInt(Integer.MAX_VALUE).array();
        Path f = write("x-images-idx3-ubyte", h);
        contains(refused(() -> IdxReader.readImages(f, null, "x")), "limit");
        byte[] h2 = ByteBuffer.allocate(16).putInt(IdxReader.IMAGES_MAGIC).putInt(65536).putInt(65536).putInt(65536).array();
        Path f2 = write("y-images-idx3-ubyte", h2);
        contains(refused(() -> IdxReader.readImages(f2, null, "x")), "limit");
    }

    @Test
    void labelsClaimingTwoGigabytesAreNotAllocated() throws IOException {
        byte[] h = ByteBuffer.allocate(8).putInt(IdxReader.LABELS_MAGIC).putInt(0x7ffffff0).array();
        Path f = write("x-labels-idx1-ubyte", h);
        contains(refused(() -> IdxReader.readLabels(f)), "expected 2147483632 bytes of label data", "found 0");
    }

    @Test
    void bytesAfterThePixelDataAreRefused() throws IOException {
        byte[] ok = ReaderFuzzTest.idxImages(3, 4, 4);
        Path f = write("t-images-idx3-ubyte", Arrays.copyOf(ok, ok.length + 5));
        contains(refused(() -> IdxReader.readImages(f, null, "x")), "5 bytes follow", "header");
        Path g = write("t.gz", Mutator.compress(Arrays.copyOf(ok, ok.length + 5)));
        contains(refused(() -> IdxReader.readImages(g, null, "x")), g.toString(), "more data follows");
    }

    // ------------------------------------------------------------------------------------------------- gzip

    /** 1 MiB of gzip that expands to 1 GiB: an IDX header announcing the gigabyte, then members of zeros. */
    private static byte[] gzipBomb() {
        byte[] zeros = new byte[16 << 20];
        ByteBuffer.wrap(zeros).putInt(IdxReader.IMAGES_MAGIC).putInt(1_275_510).putInt(28).putInt(28);
        byte[] first = Mutator.compress(zeros);
        byte[] rest = Mutator.compress(new byte[16 << 20]);
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        bo.writeBytes(first);
        for (int i = 1; i < 64; i++) bo.writeBytes(rest);
        return bo.toByteArray();
    }

    @Test
    void gzipBombFailsAtOnceNamingTheRatioLimit() throws IOException {
        byte[] bomb = gzipBomb();
        assertTrue(bomb.length < 2 << 20, "bomb of " + bomb.length + " bytes");
        Path f = write("bomb-images-idx3-ubyte.gz", bomb);
        contains(refused(() -> IdxReader.readImages(f, null, "x")), f.toString(), "999,999,840 bytes", "times the compressed size",
                Limits.GZIP_RATIO.property());
        // the same stream announcing only one image: the rest is data the header does not account for
        byte[] small = Arrays.copyOf(ReaderFuzzTest.idxImages(1, 28, 28), 16);
        ByteBuffer.wrap(small).putInt(4, 1);
        byte[] body = new byte[784 + (16 << 20)];
        byte[] member = Mutator.compress(concat(small, body));
        Path g = write("bomb2.gz", concat(member, Mutator.compress(new byte[16 << 20])));
        contains(refused(() -> IdxReader.readImages(g, null, "x")), "more data follows");
    }

    @Test
    void gzipWithOverwrittenPixelsFailsItsCrcCheck() throws IOException {
        byte[] raw = ReaderFuzzTest.idxImages(50, 28, 28);
        byte[] gz = Mutator.compress(raw);
        byte[] bad = raw.clone();
        for (int i = 0; i < 100; i++) bad[16 + i * 97] ^= 0x55; // 100 overwritten pixels
        byte[] re = Mutator.compress(bad);
        System.arraycopy(gz, gz.length - 8, re, re.length - 8, 8); // the original CRC-32 and length
        Path f = write("train-images-idx3-ubyte.gz", re);
        contains(refused(() -> IdxReader.readImages(f, null, "x")), f.toString(), "CRC-32", "corrupt");
        // a length that does not match is caught the same way
        byte[] len = Mutator.compress(raw);
        len[len.length - 1] ^= 1;
        Path g = write("len.gz", len);
        contains(refused(() -> IdxReader.readImages(g, null, "x")), g.toString(), "CRC-32 or length");
    }

    @Test
    void concatenatedGzipMembersAreOneStream() throws IOException {
        byte[] raw = ReaderFuzzTest.idxImages(4, 3, 3);
        Path f = write("two.gz", concat(Mutator.compress(Arrays.copyOf(raw, 20)), Mutator.compress(Arrays.copyOfRange(raw, 20, raw.length))));
        Dataset d = IdxReader.readImages(f, null, "x");
        assertEquals(4, d.n());
        assertEquals((raw[raw.length - 1] & 0xFF) / 255f, d.x()[d.x().length - 1]);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] o = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }

    // ----------------------------------------------------------------------------------------------- images

    /** A PNG with a valid signature, IHDR (with CRC) and IEND, claiming {@code w} x {@code h}; no pixel data. */
    static byte[] pngHeader(int w, int h) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        bo.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(bo, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0)
                .put((byte) 0).array());
        chunk(bo, "IDAT", Mutator.compress(new byte[64])); // not enough rows: only a full decode could tell
        chunk(bo, "IEND", new byte[0]);
        return bo.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream bo, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        bo.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        bo.writeBytes(t);
        bo.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        bo.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** A 140-byte GIF whose screen and first image claim 65535 x 65535 pixels. */
    static byte[] gifClaiming65535() {
        ByteBuffer b = ByteBuffer.allocate(140).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GIF89a".getBytes(StandardCharsets.US_ASCII)).putShort((short) 0xffff).putShort((short) 0xffff)
                .put((byte) 0x80).put((byte) 0).put((byte) 0);                 // global colour table of 2 entries
        b.put(new byte[] {0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        b.put((byte) 0x21).put((byte) 0xfe).put((byte) 90).put(new byte[90]).put((byte) 0); // a comment to make up the size
        b.put((byte) 0x2c).putShort((short) 0).putShort((short) 0).putShort((short) 0xffff).putShort((short) 0xffff).put((byte) 0);
        b.put((byte) 2).put((byte) 2).put((byte) 0x4c).put((byte) 0x01).put((byte) 0);
        while (b.remaining() > 1) b.put((byte) 0);
        b.put((byte) 0x3b);
        return b.array();
    }

    @Test
    void hugeImageHeadersAreRefusedBeforeDecoding() throws IOException {
        Path png = Files.createDirectories(dir.resolve("png"));
        Files.write(png.resolve("huge.png"), pngHeader(20000, 20000));
        contains(refused(() -> ImageFolderReader.read(png, ImageFolderReader.Options.defaults())), "huge.png", "20000x20000",
                "400,000,000", "pixels per image", Limits.IMAGE_PIXELS.property());
        Path gif = Files.createDirectories(dir.resolve("gif"));
        byte[] g = gifClaiming65535();
        assertEquals(140, g.length);
        Files.write(gif.resolve("tiny.gif"), g);
        contains(refused(() -> ImageFolderReader.read(gif, ImageFolderReader.Options.defaults())), "tiny.gif", "65535x65535", "limit");
        // a claim within the per-image limit but far beyond what 2 KiB can encode
        Path small = Files.createDirectories(dir.resolve("small"));
        Files.write(small.resolve("claims.png"), pngHeader(8000, 8000));
        contains(refused(() -> ImageFolderReader.read(small, ImageFolderReader.Options.defaults())), "claims.png", "pixels per byte");
    }

    @Test
    void oversizedTargetSizeIsRefused() {
        contains(refused(() -> ImageFolderReader.Options.parseSize("50000x50000", 0)), "50000x50000", "2,500,000,000",
                Limits.SAMPLE_VALUES.property());
        contains(refused(() -> ImageFolderReader.Options.parseSize("1x2x3", 0)), "HxW");
    }

    // ------------------------------------------------------------------------------------------ model specs

    private static String specError(String text) {
        return refused(() -> new Autoencoder(ModelSpec.parse(text, 0)).summary());
    }

    @Test
    void oversizedLayersAndLayerCountsNameTheLimit() {
        contains(specError("784-3000000"), "Linear(784 -> 3000000)", "2,352,000,000", Limits.PARAMETERS.property());
        contains(specError("{\"sequence\":{\"layers\":1e9}}"), "'input'");
        contains(specError("{\"input\": [10, 3], \"sequence\": {\"layers\": 1e9}}"), "1,000,000,000", "layers",
                Limits.LAYERS.property());
        contains(specError("{\"input\": [4, 2], \"encoder\": [{\"type\": \"lstm\", \"hidden\": 4, \"layers\": 1e9}], \"decoder\": []}"),
                Limits.LAYERS.property());
        contains(specError("{\"input\": [1, 8, 8], \"encoder\": [{\"type\": \"upsample\", \"scale\": 65536}], \"decoder\": []}"),
                Limits.SAMPLE_VALUES.property());
        contains(specError("{\"input\": [1, 8, 8], \"encoder\": [{\"type\": \"conv2d\", \"filters\": 1, \"kernel\": 3,"
                + " \"dilation\": 65536}], \"decoder\": []}"), "larger than its padded input");
    }

    @Test
    void layerSizesBeyondIntRangeAreNotTruncated() {
        String m = specError("{\"input\": 4, \"encoder\": [{\"type\": \"linear\", \"units\": 4294967328}],"
                + " \"decoder\": [{\"type\": \"linear\", \"units\": 4}]}");
        contains(m, "'units'", "4294967328");
        contains(specError("784-4294967328"), "4294967328", Limits.SAMPLE_VALUES.property());
        contains(specError("{\"input\": 4, \"encoder\": [{\"type\": \"linear\", \"units\": 2.5}], \"decoder\": []}"), "2.5");
    }

    @Test
    void nonNumbersWhereNumbersBelongAreTypedErrors() {
        contains(specError("{\"input\": [1, \"x\", 4], \"encoder\": [], \"decoder\": [{\"type\": \"linear\", \"units\": 4}]}"),
                "'input'[1]", "'x'");
        contains(specError("{\"input\": 4, \"encoder\": [{\"type\": \"reshape\", \"shape\": [2, \"two\"]}], \"decoder\": []}"),
                "reshape 'shape'[1]", "'two'");
        contains(specError("{\"input\": 4, \"encoder\": [{\"type\": \"linear\", \"units\": 2}], \"decoder\": [], \"name\": null,"
                + " \"loss\": [1]}"), "'loss'");
    }

    @Test
    void yamlTagsAndEmptyValuesAreTypedErrors() throws IOException {
        String base = "input: 4\nencoder:\n  - {type: linear, units: 2}\ndecoder:\n  - {type: linear, units: 4}\n";
        for (String[] c : new String[][] {
                {base + "loss:\n", "'loss' has no value"},
                {"input: !!binary AAAA\nencoder: []\ndecoder: []\n", "'input'"},
                {"input: [!!binary AAAA]\nencoder: []\ndecoder: []\n", "binary data"},
                {"input: 4\nencoder:\n  - {type: linear, units: !!str 2}\ndecoder: []\n", "'units'"},
                {"input: 4\nencoder:\n  - {type: linear, units: 2, activation: !!set {a}}\ndecoder: []\n", "'activation'"},
                {"input: 4\nencoder:\n  - {type: linear, units: 2, activation:}\ndecoder: []\n", "'activation' has no value"},
                {"!!int 5: x\ninput: 4\n", "'encoder'"},
                {"input: 4\nencoder:\n  - {!!int 3: linear}\ndecoder: []\n", "has no 'type'"},
                {"input: 4\nencoder: [{type: linear, units: 2}]\ndecoder: []\nloss: |\n  bce\n  mse\n", "one line"}}) {
            Path f = write("spec.yaml", c[0].getBytes(StandardCharsets.UTF_8));
            contains(specError(f.toString()), c[1]);
        }
    }

    @Test
    void specsWithoutLayersAreRefused() {
        contains(specError("{\"input\": 784, \"encoder\": [], \"decoder\": []}"), "no layers");
    }

    // ------------------------------------------------------------------------------------------ model dirs

    /** Found by the fuzz suite: a config.json claiming a bigger model than its weights bound the model first (523 MiB). */
    @Test
    void configClaimingABiggerModelThanItsWeightsAllocatesNothing() throws Exception {
        StringBuilder csv = new StringBuilder("a,b,c,d\n");
        for (int i = 0; i < 30; i++) csv.append(i % 3).append(',').append(i % 5).append(',').append(i % 7).append(",1\n");
        Path data = Files.writeString(dir.resolve("t.csv"), csv);
        Path model = dir.resolve("model");
        java.io.StringWriter err = new java.io.StringWriter();
        int rc = dev.bottleneck.cli.Main.run(new java.io.PrintWriter(new java.io.StringWriter()), new java.io.PrintWriter(err),
                "train", data.toString(), "--model", "4-2", "--epochs", "1", "--batch", "4", "--out", model.toString(), "--backend", "cpu");
        assertEquals(0, rc, err.toString());
        Path config = model.resolve("config.json");
        Files.writeString(config, Files.readString(config).replaceFirst("\"units\" *: *2", "\"units\": 3000000"));
        try (dev.bottleneck.backend.Backend be = dev.bottleneck.backend.Backends.create("cpu",
                dev.bottleneck.backend.BackendOptions.defaults(), s -> { })) {
            contains(refused(() -> dev.bottleneck.train.Checkpoint.load(model, be)), "27,000,004 parameters", "holds 22 values",
                    "do not match");
        }
    }

    // ------------------------------------------------------------------------------------------ safetensors

    @Test
    void safetensorsOffsetsBeyondTheFileAreRefused() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[536870912],\"data_offsets\":[0,2147483648]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] file = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
        Path f = write("big.safetensors", file);
        contains(refused(() -> Safetensors.read(f)), f.toString(), "2147483648", "8");
        byte[] len = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array();
        Path g = write("len.safetensors", len);
        contains(refused(() -> Safetensors.read(g)), "header length");
    }
}
