package dev.bottleneck.fuzz;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Seeded mutations of valid inputs, in the style of coverage-free fuzzers: a few random edits per input, biased
 * towards the values that break readers (sizes of 0, -1, 2^31, 2^32 + 32, lengths past the end, NaN, wrong types).
 * Every method takes its randomness from the caller's {@link SplittableRandom}, so an input is fully determined by
 * the seed that the harness derives from (target, run seed, index).
 */
final class Mutator {
    private Mutator() {}

    private static final int[] INTERESTING_INTS = {
        0, 1, -1, 2, 3, 7, 8, 16, 28, 255, 256, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 1 << 20, 1 << 24, 1 << 28,
        Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE - 8, 0x7ffffff0, 50000, 65535, 0x803, 0x801
    };
    private static final long[] INTERESTING_LONGS = {
        0, 1, -1, 8, 16, 100, 1 << 20, 100L * 1024 * 1024, Integer.MAX_VALUE, 1L << 32, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE
    };

    // ------------------------------------------------------------------------------------------- bytes

    /** One to four random edits of {@code seed} ({@code others} may be spliced in). */
    static byte[] bytes(byte[] seed, List<byte[]> others, SplittableRandom r) {
        byte[] b = seed.clone();
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits; e++) b = byteEdit(b, others, r);
        return b;
    }

    private static byte[] byteEdit(byte[] b, List<byte[]> others, SplittableRandom r) {
        int n = b.length;
        switch (r.nextInt(11)) {
            case 0: // flip one bit
                if (n > 0) b[r.nextInt(n)] ^= (byte) (1 << r.nextInt(8));
                return b;
            case 1: { // an interesting byte
                if (n > 0) b[r.nextInt(n)] = (byte) new int[] {0, 1, 0x7f, 0x80, 0xff, 0xfe}[r.nextInt(6)];
                return b;
            }
            case 2: { // an interesting big-endian int (IDX header fields are at 4-byte boundaries)
                if (n < 4) return b;
                int at = r.nextBoolean() ? 4 * r.nextInt(Math.max(1, Math.min(n / 4, 6))) : r.nextInt(n - 3);
                putInt(b, at, INTERESTING_INTS[r.nextInt(INTERESTING_INTS.length)], r.nextBoolean());
                return b;
            }
            case 3: { // an interesting little-endian long (the safetensors header length)
                if (n < 8) return b;
                int at = r.nextInt(3) == 0 ? 0 : r.nextInt(n - 7);
                long v = INTERESTING_LONGS[r.nextInt(INTERESTING_LONGS.length)];
                for (int i = 0; i < 8; i++) b[at + i] = (byte) (v >>> (8 * i));
                return b;
            }
            case 4: { // random bytes over a short range
                if (n == 0) return b;
                int at = r.nextInt(n), len = Math.min(n - at, 1 + r.nextInt(16));
                for (int i = 0; i < len; i++) b[at + i] = (byte) r.nextInt(256);
                return b;
            }
            case 5: // truncate
                return Arrays.copyOf(b, n == 0 ? 0 : r.nextInt(n));
            case 6: { // delete a range
                if (n < 2) return b;
                int at = r.nextInt(n), len = 1 + r.nextInt(Math.min(64, n - at));
                byte[] o = new byte[n - len];
                System.arraycopy(b, 0, o, 0, at);
                System.arraycopy(b, at + len, o, at, n - at - len);
                return o;
            }
            case 7: { // duplicate a range
                if (n == 0) return b;
                int at = r.nextInt(n), len = 1 + r.nextInt(Math.min(64, n - at));
                byte[] o = new byte[n + len];
                System.arraycopy(b, 0, o, 0, at + len);
                System.arraycopy(b, at, o, at + len, n - at);
                return o;
            }
            case 8: { // append junk
                byte[] o = Arrays.copyOf(b, n + 1 + r.nextInt(32));
                for (int i = n; i < o.length; i++) o[i] = (byte) r.nextInt(256);
                return o;
            }
            case 9: { // splice in a piece of another seed
                if (others.isEmpty()) return b;
                byte[] s = others.get(r.nextInt(others.size()));
                if (s.length == 0 || n == 0) return b;
                int from = r.nextInt(s.length), len = 1 + r.nextInt(Math.min(64, s.length - from)), at = r.nextInt(n);
                byte[] o = Arrays.copyOf(b, Math.max(n, at + len));
                System.arraycopy(s, from, o, at, len);
                return o;
            }
            default: { // an interesting int at a random (unaligned) place, little-endian
                if (n < 4) return b;
                putInt(b, r.nextInt(n - 3), INTERESTING_INTS[r.nextInt(INTERESTING_INTS.length)], false);
                return b;
            }
        }
    }

    private static void putInt(byte[] b, int at, int v, boolean bigEndian) {
        for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> (bigEndian ? 24 - 8 * i : 8 * i));
    }

    // -------------------------------------------------------------------------------------------- gzip

    /**
     * A mutation of a gzip file: either of its compressed bytes, or of its content, recompressed with a correct
     * trailer, or recompressed and given the original (now wrong) CRC-32 and length, or two members concatenated.
     */
    static byte[] gzip(byte[] gz, List<byte[]> others, SplittableRandom r) {
        switch (r.nextInt(5)) {
            case 0:
            case 1:
                return bytes(gz, others, r);
            case 2:
                return compress(bytes(decompress(gz), List.of(), r));
            case 3: { // content changed, trailer kept: only the CRC check can notice
                byte[] re = compress(bytes(decompress(gz), List.of(), r));
                System.arraycopy(gz, gz.length - 8, re, re.length - 8, 8);
                return re;
            }
            default: { // two members: the data split in two, or the file followed by a mutated copy
                byte[] raw = decompress(gz);
                if (r.nextBoolean() && raw.length > 1) {
                    int cut = 1 + r.nextInt(raw.length - 1);
                    return concat(compress(Arrays.copyOf(raw, cut)), compress(Arrays.copyOfRange(raw, cut, raw.length)));
                }
                return concat(gz, bytes(gz, others, r));
            }
        }
    }

    static byte[] compress(byte[] raw) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bo)) {
            out.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bo.toByteArray();
    }

    static byte[] decompress(byte[] gz) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] o = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, o, a.length, b.length);
        return o;
    }

    // -------------------------------------------------------------------------------------------- text

    private static final String[] NUMBERS = {
        "0", "-1", "1", "2", "3", "1e9", "1e400", "-1e400", "4294967328", "2147483648", "2147483647", "-2147483649",
        "16777217", "3000000", "268435457", "1.5", "0.5", "-0", "1e-400", "99999999999999999999999", "65537", "NaN",
        ".nan", "true", "null", "\"7\"", "[]", "{}", "[1, 2]", "\"\""
    };
    private static final String[] VALUES = {
        "\"\"", "null", "42", "true", "[]", "{}", "[[]]", "[{}]", "\"relu\"", "\"linear\"", "\"sigmoid\"", "\"same\"",
        "\"valid\"", "\"lstm\"", "\"gru\"", "\"last\"", "\"conv2d\"", "\"upsample\"", "\"reshape\"", "\"repeat\"", "\"bce\"",
        "\"mse\"", "\"sum\"", "\"none\"", "\"minmax\"", "\"standard\"", "\"mnist\"", "\"x\"", "\"\\u0000\"", "[1, 28, 28]",
        "[28, \"x\"]", "{\"latent\": 2}", "\"F32\"", "\"F16\"", "\"BOOL\"", "[0, 4]", "[4, 0]", "[-1, 2]"
    };
    private static final String[] KEYS = {
        "type", "units", "activation", "input", "encoder", "decoder", "loss", "reduction", "regularizers", "sequence",
        "variational", "latent", "beta", "hidden", "layers", "steps", "features", "filters", "kernel", "stride", "padding",
        "dilation", "output_padding", "scale", "mode", "shape", "rate", "fn", "alpha", "init", "bias", "momentum", "eps",
        "weight", "rho", "draws", "step", "cell", "return", "teacher_forcing", "bidirectional", "model", "data", "source",
        "seed", "csv", "delimiter", "header", "label", "label_index", "skip", "skip_index", "sample_shape", "scaler",
        "kind", "min", "max", "mean", "std", "training", "noise", "level", "validation", "name", "dtype", "data_offsets",
        "__metadata__", "epochs_done", "global_step", "history", "best", "best_epoch", "bad_epochs"
    };
    private static final String[] YAML = {
        "!!binary AAAA", "!!set {a, b}", "!!int 5", "!!float .nan", "!!str 12", "!!null ''", "!!map {}", "!!seq []",
        "&a [1, 2]", "*a", "~", "? x", "!!python/object:os.system", "!custom 3", "|\n  text", ">\n  folded", "'quoted'",
        "[*a, *a, *a]", "{", "]", ": :", "- - -"
    };
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern WORD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** One to three token-aware edits of JSON or YAML text. */
    static String text(String seed, boolean yaml, SplittableRandom r) {
        String s = seed;
        int edits = 1 + r.nextInt(3);
        for (int e = 0; e < edits; e++) s = textEdit(s, yaml, r);
        return s;
    }

    private static String textEdit(String s, boolean yaml, SplittableRandom r) {
        // mostly edits that keep the syntax (so the values reach the spec's checks), sometimes ones that break it
        int op = r.nextInt(10) < 7 ? (yaml && r.nextInt(6) == 0 ? 9 : r.nextInt(5)) : 5 + r.nextInt(4);
        switch (op) {
            case 0:
            case 1:
                return replaceToken(s, NUMBER, NUMBERS, r);
            case 2:
                return replaceToken(s, STRING, VALUES, r);
            case 3: { // a key becomes another known key
                Matcher m = STRING.matcher(s);
                List<int[]> spans = spans(yaml ? WORD.matcher(s) : m);
                if (spans.isEmpty()) return s;
                int[] sp = spans.get(r.nextInt(spans.size()));
                String k = KEYS[r.nextInt(KEYS.length)];
                return s.substring(0, sp[0]) + (yaml ? k : "\"" + k + "\"") + s.substring(sp[1]);
            }
            case 4: { // a value becomes a different kind of value
                return replaceToken(s, r.nextBoolean() ? NUMBER : STRING, r.nextBoolean() ? VALUES : NUMBERS, r);
            }
            case 5: { // delete a span
                if (s.isEmpty()) return s;
                int at = r.nextInt(s.length()), len = 1 + r.nextInt(Math.min(24, s.length() - at));
                return s.substring(0, at) + s.substring(at + len);
            }
            case 6: { // duplicate a span
                if (s.isEmpty()) return s;
                int at = r.nextInt(s.length()), len = 1 + r.nextInt(Math.min(48, s.length() - at));
                return s.substring(0, at + len) + s.substring(at, at + len) + s.substring(at + len);
            }
            case 7: // truncate
                return s.isEmpty() ? s : s.substring(0, r.nextInt(s.length()));
            case 8: { // bytes: a random character
                if (s.isEmpty()) return s;
                int at = r.nextInt(s.length());
                String pool = "{}[],:\"\\\n\t 0-.e\u00ff\ud800#&*!";
                char c = pool.charAt(r.nextInt(pool.length()));
                return s.substring(0, at) + c + s.substring(at + (r.nextBoolean() ? 1 : 0));
            }
            default: { // YAML: a tag, an anchor or alias, or odd syntax in place of a value
                List<int[]> spans = spans(NUMBER.matcher(s));
                spans.addAll(spans(STRING.matcher(s)));
                String y = YAML[r.nextInt(YAML.length)];
                if (spans.isEmpty()) return s + "\n" + y;
                int[] sp = spans.get(r.nextInt(spans.size()));
                return s.substring(0, sp[0]) + y + s.substring(sp[1]);
            }
        }
    }

    private static String replaceToken(String s, Pattern p, String[] pool, SplittableRandom r) {
        List<int[]> spans = spans(p.matcher(s));
        if (spans.isEmpty()) return s;
        int[] sp = spans.get(r.nextInt(spans.size()));
        return s.substring(0, sp[0]) + pool[r.nextInt(pool.length)] + s.substring(sp[1]);
    }

    private static List<int[]> spans(Matcher m) {
        List<int[]> out = new ArrayList<>();
        while (m.find()) out.add(new int[] {m.start(), m.end()});
        return out;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
