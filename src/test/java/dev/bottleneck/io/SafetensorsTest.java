package dev.bottleneck.io;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Safetensors.Loaded;
import dev.bottleneck.io.Safetensors.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {

    @TempDir
    Path dir;

    // ------------------------------------------------------------------------------- round trips

    @Test
    void f32RoundTripIsBitExactIncludingSpecialValues() {
        Random rnd = new Random(42);
        float[] data = new float[32 * 784];
        for (int i = 0; i < data.length; i++) {
            data[i] = Float.intBitsToFloat(rnd.nextInt()); // every bit pattern class, NaNs included
        }
        float[] special = {-0.0f, 0.0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL,
                Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        System.arraycopy(special, 0, data, 0, special.length);
        Path file = dir.resolve("f32.safetensors");
        Safetensors.write(file, Map.of("encoder.0.weight", TensorData.f32(new long[]{32, 784}, data)), null);

        Loaded loaded = Safetensors.read(file);
        TensorData t = loaded.require("encoder.0.weight");
        assertEquals("F32", t.dtype());
        assertArrayEquals(new long[]{32, 784}, t.shape());
        assertEquals(data.length, t.f32().length);
        for (int i = 0; i < data.length; i++) {
            float expected = data[i];
            if (Float.isNaN(expected)) {
                assertTrue(Float.isNaN(t.f32()[i]), "NaN at " + i);
            } else {
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(t.f32()[i]), "bits at " + i);
            }
        }
        assertTrue(loaded.metadata().isEmpty());
    }

    @Test
    void f64I64AndMetadataRoundTrip() {
        Random rnd = new Random(7);
        double[] d = new double[1001];
        for (int i = 0; i < d.length; i++) {
            d[i] = Double.longBitsToDouble(rnd.nextLong());
        }
        d[0] = -0.0;
        d[1] = Double.MIN_VALUE;
        d[2] = Double.NEGATIVE_INFINITY;
        long[] n = {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 60000, 1L << 40};
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("d", TensorData.f64(new long[]{7, 11, 13}, d));
        tensors.put("step", TensorData.i64(new long[]{n.length}, n));
        tensors.put("scalar", TensorData.f32(new long[]{}, new float[]{2.5f}));
        tensors.put("empty", TensorData.f32(new long[]{0, 3}, new float[0]));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "bottleneck");
        meta.put("model", "{\"layers\": [784, 32, 784], \"unicode\": \"\u00e9\u4e2d\"}");
        Path file = dir.resolve("sub/dir/mixed.safetensors");
        Safetensors.write(file, tensors, meta);

        Loaded loaded = Safetensors.read(file);
        assertEquals(List.of("d", "step", "scalar", "empty"), List.copyOf(loaded.tensors().keySet()));
        assertEquals(meta, loaded.metadata());
        TensorData rd = loaded.tensors().get("d");
        for (int i = 0; i < d.length; i++) {
            if (!Double.isNaN(d[i])) {
                assertEquals(Double.doubleToRawLongBits(d[i]), Double.doubleToRawLongBits(rd.f64()[i]), "at " + i);
            }
        }
        assertArrayEquals(new long[]{7, 11, 13}, rd.shape());
        assertArrayEquals(n, loaded.tensors().get("step").i64());
        assertNull(loaded.tensors().get("step").f32());
        assertArrayEquals(new long[0], loaded.tensors().get("scalar").shape());
        assertArrayEquals(new float[]{2.5f}, loaded.tensors().get("scalar").f32());
        assertEquals(0, loaded.tensors().get("empty").numel());
        assertEquals(tensors.get("step"), loaded.tensors().get("step"));
    }

    @Test
    void headerOrderIsKeptAndLayoutIsContiguousAndAligned() throws Exception {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        String[] names = {"zeta", "alpha", "mid.1", "mid.0", "b"};
        int[] sizes = {3, 1, 5, 2, 7};
        for (int i = 0; i < names.length; i++) {
            tensors.put(names[i], TensorData.f32(new long[]{sizes[i]}, new float[sizes[i]]));
        }
        tensors.put("ints", TensorData.i64(new long[]{1}, new long[]{9}));
        for (int extraMeta = 0; extraMeta < 8; extraMeta++) { // vary the header length over all residues mod 8
            Path file = dir.resolve("order" + extraMeta + ".safetensors");
            Safetensors.write(file, tensors, Map.of("k", "x".repeat(extraMeta)));
            byte[] bytes = Files.readAllBytes(file);
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(0, (8 + n) % 8, "data start must be 8-byte aligned");
            String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
            assertTrue(header.startsWith("{"));
            assertTrue(header.stripTrailing().endsWith("}"));
            assertEquals(header.stripTrailing().length() + countTrailingSpaces(header), header.length());

            Safetensors.Header h = Safetensors.readHeader(file);
            List<String> order = h.entries().stream().map(Safetensors.Entry::name).toList();
            assertEquals(List.of("zeta", "alpha", "mid.1", "mid.0", "b", "ints"), order);
            long expected = 0;
            for (Safetensors.Entry e : h.entries()) {
                assertEquals(expected, e.begin(), "tensors laid out without gaps in header order");
                expected = e.end();
            }
            assertEquals(bytes.length - 8 - n, expected, "no trailing bytes");
            assertEquals(List.copyOf(tensors.keySet()), List.copyOf(Safetensors.read(file).tensors().keySet()));
        }
    }

    @Test
    void f16AndBf16AreWidenedExactlyAndRoundTrip() {
        float[] values = {1f, -2f, 0.1f, 65504f, 1e-7f, -0f, Float.POSITIVE_INFINITY};
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("h", TensorData.f16(new long[]{values.length}, values));
        tensors.put("b", TensorData.bf16(new long[]{values.length}, values));
        Path file = dir.resolve("half.safetensors");
        Safetensors.write(file, tensors, null);
        Loaded loaded = Safetensors.read(file);
        float[] h = loaded.require("h").asFloats();
        float[] b = loaded.require("b").asFloats();
        assertEquals("F16", loaded.require("h").dtype());
        for (int i = 0; i < values.length; i++) {
            assertEquals(Half.halfToFloat(Half.floatToHalf(values[i])), h[i]);
            assertEquals(Half.bf16ToFloat(Half.floatToBf16(values[i])), b[i]);
        }
        assertEquals(0.0999755859375f, h[2]); // 0x2e66
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(h[5]));
        assertEquals(loaded.require("h"), Safetensors.read(rewrite(file, loaded)).require("h"));
    }

    private Path rewrite(Path file, Loaded loaded) {
        Path copy = file.resolveSibling("copy-" + file.getFileName());
        Safetensors.write(copy, loaded.tensors(), loaded.metadata());
        return copy;
    }

    @Test
    void aFileWithNoTensorsRoundTrips() throws Exception {
        Path file = dir.resolve("empty.safetensors");
        Safetensors.write(file, Map.of(), Map.of("note", "nothing yet"));
        assertEquals(0, Files.size(file) % 8);
        Loaded loaded = Safetensors.read(file);
        assertTrue(loaded.tensors().isEmpty());
        assertEquals(Map.of("note", "nothing yet"), loaded.metadata());
        String msg = assertThrows(BottleneckException.class, () -> loaded.require("w")).getMessage();
        assertTrue(msg.contains("no tensor 'w'"), msg);
    }

    // ------------------------------------------------------------------------------- interoperability

    /**
     * Bytes of a file produced by the reference implementation (safetensors 0.8.0, numpy 2.4.6):
     * <pre>
     * from safetensors.numpy import save
     * b = save({"w": np.array([[1.0, -2.5, 3.25], [0.0, -0.0, 1e-40]], dtype=np.float32),
     *           "d": np.array([np.pi, -1e300], dtype=np.float64),
     *           "n": np.array([1, -2, 2**40], dtype=np.int64),
     *           "h": np.array([1.0, -0.33325195], dtype=np.float16)}, metadata={"format": "np"})
     * print(b.hex())
     * </pre>
     */
    private static final String REFERENCE_HEX = "00010000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174"
            + "223a226e70227d2c226e223a7b226474797065223a22493634222c227368617065223a5b335d2c22646174615f6f6666"
            + "73657473223a5b302c32345d7d2c2264223a7b226474797065223a22463634222c227368617065223a5b325d2c226461"
            + "74615f6f666673657473223a5b32342c34305d7d2c2277223a7b226474797065223a22463332222c227368617065223a"
            + "5b322c335d2c22646174615f6f666673657473223a5b34302c36345d7d2c2268223a7b226474797065223a2246313622"
            + "2c227368617065223a5b325d2c22646174615f6f666673657473223a5b36342c36385d7d7d2020200100000000000000"
            + "feffffffffffffff0000000000010000182d4454fb2109409c7500883ce437fe0000803f000020c00000504000000000"
            + "00000080c2160100003c55b5";

    @Test
    void readsAFileWrittenByTheReferenceImplementation() throws Exception {
        Path file = dir.resolve("reference.safetensors");
        Files.write(file, HexFormat.of().parseHex(REFERENCE_HEX));
        Loaded loaded = Safetensors.read(file);
        assertEquals(List.of("n", "d", "w", "h"), List.copyOf(loaded.tensors().keySet()));
        assertEquals(Map.of("format", "np"), loaded.metadata());
        assertArrayEquals(new long[]{1, -2, 1L << 40}, loaded.require("n").i64());
        assertArrayEquals(new double[]{Math.PI, -1e300}, loaded.require("d").f64());
        TensorData w = loaded.require("w");
        assertArrayEquals(new long[]{2, 3}, w.shape());
        assertArrayEquals(new float[]{1.0f, -2.5f, 3.25f, 0.0f, -0.0f, 1e-40f}, w.f32());
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(w.f32()[4]));
        assertArrayEquals(new float[]{1.0f, -0.333251953125f}, loaded.require("h").f32());
    }

    @Test
    void readsAFileAssembledByHandFromTheSpec() throws Exception {
        String header = "{\"__metadata__\":{\"source\":\"hand\"},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[8,24]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeLongLE(out, json.length); // no padding: a reader must not require alignment
        out.write(json);
        writeIntLE(out, 0x3f800000); // a[0] = 1.0f
        writeIntLE(out, 0xc0490fdb); // a[1] = -pi (float)
        writeLongLE(out, 5);
        writeLongLE(out, -7);
        Path file = dir.resolve("hand.safetensors");
        Files.write(file, out.toByteArray());

        Loaded loaded = Safetensors.read(file);
        assertEquals(List.of("b", "a"), List.copyOf(loaded.tensors().keySet()), "header order, not offset order");
        assertArrayEquals(new float[]{1.0f, (float) -Math.PI}, loaded.require("a").f32());
        assertArrayEquals(new long[]{1, 2}, loaded.require("a").shape());
        assertArrayEquals(new long[]{5, -7}, loaded.require("b").i64());
        assertEquals(Map.of("source", "hand"), loaded.metadata());
    }

    @Test
    void writtenBytesMatchTheSpecExactly() throws Exception {
        Path file = dir.resolve("exact.safetensors");
        Safetensors.write(file, Map.of("x", TensorData.f32(new long[]{2}, new float[]{1.0f, -2.0f})),
                Map.of("k", "v"));
        String json = "{\"__metadata__\":{\"k\":\"v\"},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        int padded = (json.length() + 7) / 8 * 8; // 8 + padded is a multiple of 8
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        writeLongLE(expected, padded);
        expected.write(json.getBytes(StandardCharsets.US_ASCII));
        for (int i = json.length(); i < padded; i++) {
            expected.write(' ');
        }
        writeIntLE(expected, 0x3f800000);
        writeIntLE(expected, 0xc0000000);
        assertArrayEquals(expected.toByteArray(), Files.readAllBytes(file));
    }

    // ------------------------------------------------------------------------------- bad files

    @Test
    void rejectsAFileShorterThanEightBytes() throws Exception {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[]{1, 2, 3});
        String msg = failRead(file);
        assertTrue(msg.contains("only 3 bytes"), msg);
    }

    @Test
    void rejectsAHeaderLengthLargerThanTheFile() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeLongLE(out, 1000);
        out.write("{}".getBytes(StandardCharsets.US_ASCII));
        Path file = dir.resolve("longheader.safetensors");
        Files.write(file, out.toByteArray());
        String msg = failRead(file);
        assertTrue(msg.contains("header length 1000 is larger than the file (10 bytes)"), msg);

        out.reset();
        writeLongLE(out, -1); // 2^64 - 1 as unsigned
        Files.write(file, out.toByteArray());
        msg = failRead(file);
        assertTrue(msg.contains("header length 18446744073709551615 is larger than the file"), msg);
    }

    @Test
    void rejectsAHeaderThatIsNotJson() throws Exception {
        assertRejected("{\"a\": {\"dtype\": \"F32\", ", new byte[0], "header is not valid JSON");

        assertRejected("[1, 2]", new byte[0], "header must be a JSON object");

        Path dup = handFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", new byte[0]);
        String dupMsg = failRead(dup);
        assertTrue(dupMsg.contains("not valid JSON") && dupMsg.contains("Duplicate"), dupMsg);
    }

    @Test
    void rejectsUnknownAndUnsupportedDtypes() throws Exception {
        assertRejected("{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4],
                "tensor 'a': unknown dtype 'F33'; supported: F32, F64, F16, BF16, I64");

        assertRejected("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4],
                "dtype U8 is not supported");
    }

    @Test
    void rejectsAShapeThatDoesNotMatchTheOffsets() throws Exception {
        assertRejected("{\"encoder.0.weight\":{\"dtype\":\"F32\",\"shape\":[32,784],"
                + "\"data_offsets\":[0,100000]}}", new byte[100000],
                "tensor 'encoder.0.weight': shape [32, 784] needs 100352 bytes but data_offsets span 100000");
    }

    @Test
    void rejectsMalformedEntries() throws Exception {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", new byte[0],
                "non-negative integers");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4], "tensor 'a': 'data_offsets' must be [begin, end]");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", new byte[8],
                "must satisfy 0 <= begin <= end");
        assertRejected("{\"__metadata__\":{\"epoch\":3}}", new byte[0], "'__metadata__' value for 'epoch' must be a string");
    }

    @Test
    void rejectsOffsetsOutsideTheData() throws Exception {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[1000,1004]}}", new byte[8],
                "tensor 'b': data_offsets [1000, 1004] lie outside the data section of 8 bytes");
    }

    @Test
    void rejectsOverlappingTensors() throws Exception {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12],
                "tensors 'a' [0, 8] and 'b' [4, 12] overlap");
    }

    @Test
    void rejectsTruncatedData() throws Exception {
        Path full = dir.resolve("full.safetensors");
        Safetensors.write(full, Map.of("w", TensorData.f32(new long[]{10, 10}, new float[100])), null);
        byte[] bytes = Files.readAllBytes(full);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 17));
        String msg = failRead(cut);
        assertTrue(msg.contains("file truncated: header promises 400 data bytes, found 383"), msg);
    }

    @Test
    void errorsNameTheFile() throws Exception {
        Path file = dir.resolve("named.safetensors");
        Files.write(file, new byte[0]);
        assertTrue(failRead(file).contains(file.toString()));
        String missing = assertThrows(BottleneckException.class,
                () -> Safetensors.read(dir.resolve("missing.safetensors"))).getMessage();
        assertTrue(missing.contains("missing.safetensors") && missing.contains("file not found"), missing);
    }

    @Test
    void refusesInconsistentTensorData() {
        assertThrows(IllegalArgumentException.class, () -> TensorData.f32(new long[]{2, 2}, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> new TensorData("I32", new long[]{1}, null, null,
                new long[1]));
        assertThrows(BottleneckException.class, () -> Safetensors.write(dir.resolve("x.safetensors"),
                Map.of("__metadata__", TensorData.f32(new long[]{1}, new float[1])), null));
    }

    // ------------------------------------------------------------------------------- helpers

    /** A hand-written file of {@code header} and {@code data} fails to read with a message containing {@code expected}. */
    private void assertRejected(String header, byte[] data, String expected) throws Exception {
        String msg = failRead(handFile(header, data));
        assertTrue(msg.contains(expected), msg);
    }

    private static String failRead(Path file) {
        BottleneckException e = assertThrows(BottleneckException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage());
        return e.getMessage();
    }

    private Path handFile(String header, byte[] data) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        writeLongLE(out, json.length);
        out.write(json);
        out.write(data);
        Path file = Files.createTempFile(dir, "hand", ".safetensors");
        Files.write(file, out.toByteArray());
        return file;
    }

    private static void writeLongLE(ByteArrayOutputStream out, long v) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
    }

    private static void writeIntLE(ByteArrayOutputStream out, int v) {
        for (int i = 0; i < 4; i++) {
            out.write((v >>> (8 * i)) & 0xff);
        }
    }

    private static int countTrailingSpaces(String s) {
        int n = 0;
        for (int i = s.length() - 1; i >= 0 && s.charAt(i) == ' '; i--) {
            n++;
        }
        return n;
    }
}
