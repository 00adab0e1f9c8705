package dev.bottleneck.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * NumPy {@code .npy} files, format version 1.0: the magic {@code \x93NUMPY}, version bytes 1 0, a little-endian
 * uint16 header length, then an ASCII Python dict literal ({@code descr}, {@code fortran_order}, {@code shape}) padded
 * with spaces and ended by a newline so that magic + length + header is a multiple of 64 bytes, then the data in C
 * order. Float32 arrays are written as {@code '<f4'}, int64 as {@code '<i8'}.
 */
public final class Npy {
    private Npy() {}

    /** The bytes of a float32 array of the given shape. */
    public static byte[] float32(float[] data, int... shape) {
        return file("<f4", data.length, 4, shape, b -> {
            for (float v : data) b.putFloat(v);
        });
    }

    /** The bytes of an int64 array of the given shape. */
    public static byte[] int64(long[] data, int... shape) {
        return file("<i8", data.length, 8, shape, b -> {
            for (long v : data) b.putLong(v);
        });
    }

    /** Header and data of {@code count} elements of {@code elementBytes} each, which {@code data} puts (little-endian). */
    private static byte[] file(String descr, int count, int elementBytes, int[] shape, java.util.function.Consumer<ByteBuffer> data) {
        checkSize(count, shape);
        byte[] header = header(descr, shape);
        ByteBuffer b = ByteBuffer.allocate(header.length + elementBytes * count).order(ByteOrder.LITTLE_ENDIAN);
        b.put(header);
        data.accept(b);
        return b.array();
    }

    public static void writeFloat32(Path out, float[] data, int... shape) {
        AtomicFiles.writeBytes(out, float32(data, shape));
    }

    /** Magic, version 1.0, header length and the padded header dict. */
    static byte[] header(String descr, int... shape) {
        StringBuilder s = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            s.append(shape[i]);
            if (shape.length == 1 || i < shape.length - 1) s.append(", ".substring(0, i < shape.length - 1 ? 2 : 1));
        }
        s.append("), }");
        int unpadded = 10 + s.length() + 1; // magic(6) + version(2) + length(2) + dict + '\n'
        int pad = (64 - unpadded % 64) % 64;
        s.append(" ".repeat(pad)).append('\n');
        byte[] dict = s.toString().getBytes(StandardCharsets.US_ASCII);
        if (dict.length > 65535) throw new IllegalArgumentException("npy header too long");
        ByteBuffer b = ByteBuffer.allocate(10 + dict.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) dict.length);
        b.put(dict);
        return b.array();
    }

    private static void checkSize(int n, int... shape) {
        long p = 1;
        for (int s : shape) p *= s;
        if (p != n) throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " holds " + p + " values, got " + n);
    }
}
