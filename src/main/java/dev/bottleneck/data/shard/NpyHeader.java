package dev.bottleneck.data.shard;

import dev.bottleneck.BottleneckException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The header of a NumPy {@code .npy} file (format versions 1.0, 2.0 and 3.0): the magic {@code \x93NUMPY}, two
 * version bytes, the header length (uint16 little-endian in 1.0, uint32 in 2.0 and 3.0), then a Python dict literal
 * with {@code descr}, {@code fortran_order} and {@code shape}. The data follows the header in C order.
 *
 * <p>Reading checks every claim before anything else is done with the file: the header must fit the file and
 * {@link #MAX_HEADER} bytes, the dict must parse, and the shape's byte size must not overflow.
 */
public record NpyHeader(String descr, boolean fortranOrder, long[] shape, long dataOffset) {
    /** The longest header accepted (NumPy writes well under 1 KiB; this leaves room for long shapes). */
    public static final int MAX_HEADER = 1 << 16;

    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*['\"]([^'\"]*)['\"]");
    private static final Pattern FORTRAN = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

    /** Number of elements the shape holds (saturates at Long.MAX_VALUE). */
    public long elements() {
        long p = 1;
        for (long d : shape) {
            p = dev.bottleneck.Limits.saturatedMultiply(p, d);
        }
        return p;
    }

    /** Bytes of one element of {@code descr}, or 0 for a type this project does not read. */
    public static int itemSize(String descr) {
        switch (descr) {
            case "|u1": case "u1": case "<u1": case "|i1": case "i1": case "<i1": case "|b1": return 1;
            case "<f2": case "<i2": case "<u2": return 2;
            case "<f4": case "<i4": case "<u4": return 4;
            case "<f8": case "<i8": case "<u8": return 8;
            default: return 0;
        }
    }

    /**
     * Reads and parses the header of {@code file} through {@code ch}.
     *
     * @throws BottleneckException naming the file when it is not a readable .npy header
     */
    public static NpyHeader read(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        String fix = "; re-create it (bottleneck shard, or numpy.save)";
        if (size < 10) throw new BottleneckException(file + ": only " + size + " bytes, too short for a .npy header (truncated?)" + fix);
        ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, head, 0, file);
        head.flip();
        byte[] magic = new byte[6];
        head.get(magic);
        if ((magic[0] & 0xff) != 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
            throw new BottleneckException(file + ": not a .npy file (it does not start with \\x93NUMPY)" + fix);
        }
        int major = head.get() & 0xff;
        head.get();
        long headerLen;
        int prefix;
        if (major == 1) {
            headerLen = head.getShort() & 0xffff;
            prefix = 10;
        } else if (major == 2 || major == 3) {
            if (size < 12) throw new BottleneckException(file + ": truncated .npy header" + fix);
            headerLen = head.getInt() & 0xffffffffL;
            prefix = 12;
        } else {
            throw new BottleneckException(file + ": .npy format version " + major + " is not supported (expected 1, 2 or 3)" + fix);
        }
        if (headerLen > MAX_HEADER) {
            throw new BottleneckException(file + ": the .npy header claims " + headerLen + " bytes, more than the " + MAX_HEADER
                    + " accepted; the file is corrupt" + fix);
        }
        if (prefix + headerLen > size) {
            throw new BottleneckException(file + ": the .npy header claims " + headerLen + " bytes but the file has only " + size
                    + " (truncated)" + fix);
        }
        ByteBuffer dict = ByteBuffer.allocate((int) headerLen);
        readFully(ch, dict, prefix, file);
        String text = new String(dict.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(text), f = FORTRAN.matcher(text), s = SHAPE.matcher(text);
        if (!d.find() || !f.find() || !s.find()) {
            throw new BottleneckException(file + ": the .npy header lacks 'descr', 'fortran_order' or 'shape' ("
                    + oneLine(text) + ")" + fix);
        }
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            String t = part.trim();
            if (t.isEmpty()) continue;
            if (t.endsWith("L")) t = t.substring(0, t.length() - 1);
            try {
                long v = Long.parseLong(t);
                if (v < 0) throw new NumberFormatException();
                dims.add(v);
            } catch (NumberFormatException e) {
                throw new BottleneckException(file + ": the .npy shape (" + s.group(1).trim() + ") is not a tuple of non-negative whole"
                        + " numbers" + fix);
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        return new NpyHeader(d.group(1), f.group(1).equals("True"), shape, prefix + headerLen);
    }

    /**
     * The bytes of a version 1.0 header for a C-order array, padded with spaces so that the data starts at a multiple
     * of 64 bytes.
     */
    public static byte[] bytes(String descr, long[] shape) {
        StringBuilder s = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            s.append(shape[i]);
            if (shape.length == 1 || i < shape.length - 1) s.append(i < shape.length - 1 ? ", " : ",");
        }
        s.append("), }");
        int unpadded = 10 + s.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        s.append(" ".repeat(pad)).append('\n');
        byte[] dictBytes = s.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(10 + dictBytes.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) dictBytes.length);
        b.put(dictBytes);
        return b.array();
    }

    /** "(60000, 1, 28, 28)" as NumPy prints a shape. */
    public static String shapeText(long[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i]);
        }
        if (shape.length == 1) sb.append(',');
        return sb.append(')').toString();
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long at, Path file) throws IOException {
        long pos = at;
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw new BottleneckException(file + ": the file ends inside its .npy header (truncated); re-create it");
            pos += r;
        }
    }

    private static String oneLine(String s) {
        String t = s.replaceAll("\\s+", " ").trim();
        return t.length() > 120 ? t.substring(0, 120) + "..." : t;
    }
}
