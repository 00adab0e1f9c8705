package dev.bottleneck.apps;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.io.Half;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A file of compressed codes: the 8-byte magic {@code BNCODES1}, a format byte (0 = float16, 1 = 8-bit linear),
 * the sample count and the code width (big-endian int32), for 8-bit the per-dimension minimum and step (float32
 * each), then the codes row by row: float16 (2 bytes each, big-endian) or one byte each where the code value is
 * {@code min + q·step}. 8-bit quantisation maps each dimension's [min, max] over the compressed set onto 0..255,
 * so the error per value is at most step/2.
 */
public final class CodeCodec {
    public static final String MAGIC = "BNCODES1";

    public enum Format {
        F16, U8;

        public static Format parse(String s) {
            switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "f16": case "float16": case "half": return F16;
                case "u8": case "uint8": case "8bit": return U8;
                default: throw new BottleneckException("--format must be f16 or u8, got '" + s + "'");
            }
        }

        public int bitsPerValue() { return this == F16 ? 16 : 8; }
    }

    /** Decoded content: the codes as floats. */
    public record Codes(Format format, int n, int dim, float[] values) { }

    private CodeCodec() {}

    public static byte[] encode(float[] codes, int n, int dim, Format f) {
        if (codes.length < (long) n * dim) throw new IllegalArgumentException("need " + n + "x" + dim + " codes");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(32 + n * dim * 2);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC.getBytes(StandardCharsets.US_ASCII));
            out.writeByte(f.ordinal());
            out.writeInt(n);
            out.writeInt(dim);
            if (f == Format.F16) {
                for (int i = 0; i < n * dim; i++) out.writeShort(Half.floatToHalf(codes[i]));
            } else {
                float[] min = new float[dim], step = new float[dim];
                for (int j = 0; j < dim; j++) {
                    float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
                    for (int i = 0; i < n; i++) { lo = Math.min(lo, codes[i * dim + j]); hi = Math.max(hi, codes[i * dim + j]); }
                    if (n == 0) { lo = 0; hi = 0; }
                    min[j] = lo;
                    step[j] = hi > lo ? (hi - lo) / 255f : 1f;
                }
                for (int j = 0; j < dim; j++) out.writeFloat(min[j]);
                for (int j = 0; j < dim; j++) out.writeFloat(step[j]);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < dim; j++) {
                        long q = Math.round((codes[i * dim + j] - min[j]) / (double) step[j]);
                        out.writeByte((int) Math.max(0, Math.min(255, q)));
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    public static Codes decode(byte[] data, String source) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            byte[] m = new byte[8];
            in.readFully(m);
            if (!MAGIC.equals(new String(m, StandardCharsets.US_ASCII))) {
                throw new BottleneckException(source + ": not a codes file (no " + MAGIC + " magic; write one with 'bottleneck compress')");
            }
            int fmt = in.readUnsignedByte();
            if (fmt > 1) throw new BottleneckException(source + ": unknown codes format " + fmt);
            Format f = Format.values()[fmt];
            int n = in.readInt(), dim = in.readInt();
            if (n < 0 || dim <= 0) throw new BottleneckException(source + ": bad header (" + n + " codes of " + dim + " values)");
            long expected = 17L + (f == Format.U8 ? 8L * dim + (long) n * dim : 2L * n * dim);
            if (data.length != expected) {
                throw new BottleneckException(source + ": " + data.length + " bytes, expected " + expected + " for " + n + " codes of " + dim
                        + " values (" + f.name().toLowerCase(Locale.ROOT) + "); the file is truncated or damaged");
            }
            float[] v = new float[n * dim];
            if (f == Format.F16) {
                for (int i = 0; i < v.length; i++) v[i] = Half.halfToFloat(in.readShort());
            } else {
                float[] min = new float[dim], step = new float[dim];
                for (int j = 0; j < dim; j++) min[j] = in.readFloat();
                for (int j = 0; j < dim; j++) step[j] = in.readFloat();
                for (int i = 0; i < n; i++) for (int j = 0; j < dim; j++) v[i * dim + j] = min[j] + in.readUnsignedByte() * step[j];
            }
            return new Codes(f, n, dim, v);
        } catch (IOException e) {
            throw new BottleneckException(source + ": cannot read codes: " + e.getMessage());
        }
    }
}
