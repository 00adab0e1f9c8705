package dev.bottleneck.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bottleneck.BottleneckException;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads and writes the Hugging Face <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format: an 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON
 * ({@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}}),
 * then the little-endian data, with offsets relative to the start of the data.
 *
 * <p>Written files lay tensors out contiguously in map order, pad the header with spaces so the data
 * starts 8-byte aligned, and are replaced atomically. Reading supports F32, F64, I64, and F16/BF16
 * (widened exactly to float); every structural problem is reported with the file name and what to do.
 */
public final class Safetensors {

    /** The spec's limit on the JSON header, which also guards against reading garbage as a length. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final int CHUNK = 1 << 20;
    private static final String METADATA_KEY = "__metadata__";
    private static final List<String> SUPPORTED = List.of("F32", "F64", "F16", "BF16", "I64");
    private static final List<String> KNOWN_UNSUPPORTED = List.of("BOOL", "U8", "I8", "I16", "U16", "I32",
            "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64");

    private Safetensors() {
    }

    /**
     * One tensor: its safetensors dtype, shape, and data in row-major order. F32, F16 and BF16 tensors
     * hold {@code f32} (F16/BF16 values are rounded to nearest-even when written), F64 holds {@code f64},
     * I64 holds {@code i64}; the other arrays are null. Arrays are not copied.
     */
    public record TensorData(String dtype, long[] shape, float[] f32, double[] f64, long[] i64) {

        public TensorData {
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(shape, "shape");
            shape = shape.clone();
            long n = countElements(shape, "tensor");
            int length;
            switch (dtype) {
                case "F32", "F16", "BF16" -> length = requireOnly(dtype, f32, f64, i64, "f32", f32 == null ? -1 : f32.length);
                case "F64" -> length = requireOnly(dtype, f64, f32, i64, "f64", f64 == null ? -1 : f64.length);
                case "I64" -> length = requireOnly(dtype, i64, f32, f64, "i64", i64 == null ? -1 : i64.length);
                default -> throw new IllegalArgumentException("unsupported dtype '" + dtype + "'; supported: "
                        + String.join(", ", SUPPORTED));
            }
            if (length != n) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                        + " elements but the " + dtype + " data has " + length);
            }
        }

        public static TensorData f32(long[] shape, float[] data) {
            return new TensorData("F32", shape, data, null, null);
        }

        public static TensorData f64(long[] shape, double[] data) {
            return new TensorData("F64", shape, null, data, null);
        }

        public static TensorData i64(long[] shape, long[] data) {
            return new TensorData("I64", shape, null, null, data);
        }

        /** Float data stored as F16 (rounded to nearest-even on write). */
        public static TensorData f16(long[] shape, float[] data) {
            return new TensorData("F16", shape, data, null, null);
        }

        /** Float data stored as BF16 (rounded to nearest-even on write). */
        public static TensorData bf16(long[] shape, float[] data) {
            return new TensorData("BF16", shape, data, null, null);
        }

        /** The values as floats: the {@code f32} array itself for F32/F16/BF16, a converted copy otherwise. */
        public float[] asFloats() {
            if (f32 != null) {
                return f32;
            }
            if (f64 != null) {
                float[] out = new float[f64.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) f64[i];
                }
                return out;
            }
            float[] out = new float[i64.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = i64[i];
            }
            return out;
        }

        /** Number of elements (product of the shape; 1 for a scalar). */
        public int numel() {
            return f32 != null ? f32.length : f64 != null ? f64.length : i64.length;
        }

        /** Bytes per element in the file. */
        public int elementBytes() {
            return dtypeBytes(dtype);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorData t && dtype.equals(t.dtype) && Arrays.equals(shape, t.shape)
                    && Arrays.equals(f32, t.f32) && Arrays.equals(f64, t.f64) && Arrays.equals(i64, t.i64);
        }

        @Override
        public int hashCode() {
            return Objects.hash(dtype, Arrays.hashCode(shape), Arrays.hashCode(f32), Arrays.hashCode(f64),
                    Arrays.hashCode(i64));
        }

        @Override
        public String toString() {
            return "TensorData[" + dtype + " " + Arrays.toString(shape) + "]";
        }

        private static int requireOnly(String dtype, Object present, Object other1, Object other2, String field,
                                       int length) {
            if (present == null) {
                throw new IllegalArgumentException(dtype + " tensor needs the " + field + " array");
            }
            if (other1 != null || other2 != null) {
                throw new IllegalArgumentException(dtype + " tensor must hold only the " + field + " array");
            }
            return length;
        }
    }

    /** The contents of a safetensors file: tensors in header order and the string metadata. */
    public record Loaded(Map<String, TensorData> tensors, Map<String, String> metadata) {

        public Loaded {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        /** The tensor called {@code name}, or an error listing the names that exist. */
        public TensorData require(String name) {
            TensorData t = tensors.get(name);
            if (t == null) {
                throw new BottleneckException("no tensor '" + name + "' in the file; it holds: "
                        + (tensors.isEmpty() ? "(none)" : String.join(", ", tensors.keySet())));
            }
            return t;
        }
    }

    // ------------------------------------------------------------------------------------------ write

    /** Writes {@code tensors} (in iteration order) and {@code metadata} (may be null) to {@code path}, atomically. */
    public static void write(Path path, Map<String, TensorData> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(tensors, "tensors");
        ObjectNode header = Json.mapper().createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA_KEY);
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new BottleneckException("cannot write " + path + ": metadata keys and values must not be"
                            + " null (key " + e.getKey() + ")");
                }
                meta.put(e.getKey(), e.getValue());
            }
        }
        long offset = 0;
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            String name = e.getKey();
            TensorData t = e.getValue();
            if (name == null || t == null) {
                throw new BottleneckException("cannot write " + path + ": tensor names and tensors must not be null");
            }
            if (name.equals(METADATA_KEY)) {
                throw new BottleneckException("cannot write " + path + ": '" + METADATA_KEY
                        + "' is reserved and cannot be a tensor name");
            }
            long bytes = (long) t.numel() * t.elementBytes();
            ObjectNode entry = header.putObject(name);
            entry.put("dtype", t.dtype());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = Json.compactBytes(header);
        int padded = (int) (((8L + json.length + 7) & ~7L) - 8);
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        long dataBytes = offset;
        AtomicFiles.writeChannel(path, channel -> {
            writeFully(channel, head);
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(8, dataBytes)))
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (TensorData t : tensors.values()) {
                writeTensor(channel, buf, t);
            }
        });
    }

    private static void writeTensor(FileChannel channel, ByteBuffer buf, TensorData t) throws IOException {
        int per = t.elementBytes();
        int perChunk = buf.capacity() / per;
        int n = t.numel();
        for (int start = 0; start < n; start += perChunk) {
            int len = Math.min(perChunk, n - start);
            buf.clear();
            switch (t.dtype()) {
                case "F32" -> buf.asFloatBuffer().put(t.f32(), start, len);
                case "F64" -> buf.asDoubleBuffer().put(t.f64(), start, len);
                case "I64" -> buf.asLongBuffer().put(t.i64(), start, len);
                case "F16" -> {
                    float[] src = t.f32();
                    for (int i = 0; i < len; i++) {
                        buf.putShort(i * 2, Half.floatToHalf(src[start + i]));
                    }
                }
                case "BF16" -> {
                    float[] src = t.f32();
                    for (int i = 0; i < len; i++) {
                        buf.putShort(i * 2, Half.floatToBf16(src[start + i]));
                    }
                }
                default -> throw new IllegalStateException(t.dtype());
            }
            buf.position(0).limit(len * per);
            writeFully(channel, buf);
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }

    // ------------------------------------------------------------------------------------------- read

    /** Reads every tensor and the metadata of {@code path}. */
    public static Loaded read(Path path) {
        return withChannel(path, ch -> read(path, ch));
    }

    /** Reads only the header of {@code path}: tensor dtypes and shapes (no data) and the metadata. */
    public static Header readHeader(Path path) {
        return withChannel(path, ch -> parseHeader(path, ch));
    }

    /** What {@code reader} reads from {@code path}, opened for reading; I/O errors name the file. */
    private interface ChannelReader<T> {
        T read(FileChannel ch) throws IOException;
    }

    private static <T> T withChannel(Path path, ChannelReader<T> reader) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return reader.read(ch);
        } catch (NoSuchFileException e) {
            throw new BottleneckException("cannot read " + path + ": file not found (check the path)", e);
        } catch (IOException e) {
            throw new BottleneckException("cannot read " + path + ": " + AtomicFiles.describe(e), e);
        }
    }

    /** One tensor's header entry; offsets are relative to the start of the data. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + "]";
        }
    }

    /** A parsed and validated header. {@code dataStart} is the absolute file offset of the data. */
    public record Header(List<Entry> entries, Map<String, String> metadata, long dataStart, long dataBytes) {
    }

    private static Loaded read(Path path, FileChannel ch) throws IOException {
        Header header = parseHeader(path, ch);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (Entry e : header.entries()) {
            tensors.put(e.name(), readTensor(path, ch, buf, header.dataStart(), e));
        }
        return new Loaded(tensors, header.metadata());
    }

    private static TensorData readTensor(Path path, FileChannel ch, ByteBuffer buf, long dataStart, Entry e)
            throws IOException {
        int n = (int) countElements(e.shape, e.name);
        int per = dtypeBytes(e.dtype);
        int perChunk = buf.capacity() / per;
        float[] f32 = null;
        double[] f64 = null;
        long[] i64 = null;
        switch (e.dtype) {
            case "F64" -> f64 = new double[n];
            case "I64" -> i64 = new long[n];
            default -> f32 = new float[n];
        }
        long pos = dataStart + e.begin;
        for (int start = 0; start < n; start += perChunk) {
            int len = Math.min(perChunk, n - start);
            buf.clear().limit(len * per);
            while (buf.hasRemaining()) {
                int r = ch.read(buf, pos + buf.position());
                if (r < 0) {
                    throw new BottleneckException("cannot read " + path + ": file ended inside tensor '" + e.name
                            + "' (was it modified while being read?)", new EOFException());
                }
            }
            buf.flip();
            switch (e.dtype) {
                case "F32" -> buf.asFloatBuffer().get(f32, start, len);
                case "F64" -> buf.asDoubleBuffer().get(f64, start, len);
                case "I64" -> buf.asLongBuffer().get(i64, start, len);
                case "F16" -> {
                    for (int i = 0; i < len; i++) {
                        f32[start + i] = Half.halfToFloat(buf.getShort(i * 2));
                    }
                }
                case "BF16" -> {
                    for (int i = 0; i < len; i++) {
                        f32[start + i] = Half.bf16ToFloat(buf.getShort(i * 2));
                    }
                }
                default -> throw new IllegalStateException(e.dtype);
            }
            pos += (long) len * per;
        }
        return new TensorData(e.dtype, e.shape, f32, f64, i64);
    }

    private static Header parseHeader(Path path, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw bad(path, "file is only " + size + " bytes; a safetensors file starts with an 8-byte header length"
                    + " (the file is empty, truncated or not a safetensors file)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.getLong(0);
        if (n < 0 || n > size - 8) {
            throw bad(path, "header length " + Long.toUnsignedString(n) + " is larger than the file ("
                    + size + " bytes); the file is truncated or not a safetensors file");
        }
        if (n > MAX_HEADER_BYTES) {
            throw bad(path, "header length " + n + " exceeds the format's limit of " + MAX_HEADER_BYTES
                    + " bytes; the file is not a valid safetensors file");
        }
        ByteBuffer headBuf = ByteBuffer.allocate((int) n);
        readFully(ch, headBuf, 8);
        headBuf.flip();
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headBuf).toString();
        } catch (CharacterCodingException e) {
            throw bad(path, "header is not valid UTF-8; the file is corrupt or not a safetensors file");
        }
        JsonNode root;
        try {
            ObjectReader reader = Json.mapper().reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            root = reader.readTree(json);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at header column " + e.getLocation().getColumnNr();
            throw bad(path, "header is not valid JSON" + where + ": " + firstLine(e.getOriginalMessage())
                    + "; the file is corrupt or not a safetensors file");
        }
        if (root == null || !root.isObject()) {
            throw bad(path, "header must be a JSON object of tensor entries, found "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase()));
        }
        long dataStart = 8 + n;
        long available = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> f : root.properties()) {
            if (f.getKey().equals(METADATA_KEY)) {
                parseMetadata(path, f.getValue(), metadata);
            } else {
                entries.add(parseEntry(path, f.getKey(), f.getValue()));
            }
        }
        checkLayout(path, entries, available);
        return new Header(Collections.unmodifiableList(entries), Collections.unmodifiableMap(metadata),
                dataStart, available);
    }

    private static void parseMetadata(Path path, JsonNode node, Map<String, String> out) {
        if (node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw bad(path, "'__metadata__' must be an object of string values, found "
                    + node.getNodeType().toString().toLowerCase());
        }
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            if (!m.getValue().isTextual()) {
                throw bad(path, "'__metadata__' value for '" + m.getKey() + "' must be a string, found "
                        + m.getValue().getNodeType().toString().toLowerCase() + " " + m.getValue());
            }
            out.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static Entry parseEntry(Path path, String name, JsonNode node) {
        String what = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw bad(path, what + ": entry must be an object with dtype, shape and data_offsets, found " + node);
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw bad(path, what + ": missing or non-string 'dtype'");
        }
        String dtype = dtypeNode.textValue();
        if (!SUPPORTED.contains(dtype)) {
            throw bad(path, what + ": " + (KNOWN_UNSUPPORTED.contains(dtype) ? "dtype " + dtype
                    + " is not supported by Bottleneck" : "unknown dtype '" + dtype + "'")
                    + "; supported: " + String.join(", ", SUPPORTED) + " (convert the tensor before saving)");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw bad(path, what + ": missing 'shape' array");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                throw bad(path, what + ": shape " + shapeNode + " must hold non-negative integers");
            }
            shape[i] = d.longValue();
        }
        JsonNode offs = node.get("data_offsets");
        if (offs == null || !offs.isArray() || offs.size() != 2 || !isLong(offs.get(0)) || !isLong(offs.get(1))) {
            throw bad(path, what + ": 'data_offsets' must be [begin, end] with integer byte offsets, found "
                    + offs);
        }
        long begin = offs.get(0).longValue();
        long end = offs.get(1).longValue();
        if (begin < 0 || end < begin) {
            throw bad(path, what + ": data_offsets [" + begin + ", " + end
                    + "] must satisfy 0 <= begin <= end; the header is corrupt");
        }
        long count;
        try {
            count = numelExact(shape);
        } catch (ArithmeticException e) {
            throw bad(path, what + ": shape " + Arrays.toString(shape) + " has too many elements");
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw bad(path, what + ": shape " + Arrays.toString(shape) + " has " + count
                    + " elements, more than a Java array holds; split the tensor");
        }
        long needed = count * dtypeBytes(dtype);
        if (needed != end - begin) {
            throw bad(path, what + ": shape " + Arrays.toString(shape) + " needs " + needed
                    + " bytes but data_offsets span " + (end - begin) + "; the header is corrupt");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static void checkLayout(Path path, List<Entry> entries, long available) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        boolean contiguous = true;
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.begin() == e.end()) {
                continue; // empty tensors occupy no bytes and cannot overlap
            }
            if (prev != null && e.begin() < prev.end()) {
                throw bad(path, "tensors '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + "] and '"
                        + e.name() + "' [" + e.begin() + ", " + e.end() + "] overlap in the data; the header is corrupt");
            }
            if (e.begin() != expected) {
                contiguous = false;
            }
            expected = e.end();
            prev = e;
        }
        long promised = expected;
        if (promised > available) {
            if (contiguous) {
                throw bad(path, "file truncated: header promises " + promised + " data bytes, found " + available
                        + " (the download or copy was incomplete; fetch or write the file again)");
            }
            for (Entry e : entries) {
                if (e.end() > available) {
                    throw bad(path, "tensor '" + e.name() + "': data_offsets [" + e.begin() + ", " + e.end()
                            + "] lie outside the data section of " + available + " bytes; the header is corrupt");
                }
            }
        }
    }

    // -------------------------------------------------------------------------------------- helpers

    static int dtypeBytes(String dtype) {
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
        };
    }

    private static long countElements(long[] shape, String name) {
        long n = numelExact(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape)
                    + " is too large for a Java array");
        }
        return n;
    }

    private static long numelExact(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static boolean isLong(JsonNode n) {
        return n != null && n.isIntegralNumber() && n.canConvertToLong();
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) {
                throw new EOFException("unexpected end of file");
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static BottleneckException bad(Path path, String what) {
        return new BottleneckException("invalid safetensors file " + path + ": " + what);
    }
}
