package dev.bottleneck.data.shard;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes written for people: {@code 256MB}, {@code 1.5GiB}, {@code 64k}, {@code 1000000} (bytes). Units are powers of 1024. */
public final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([kmgt]?)(i?b)?");

    private ByteSize() {}

    /** The number of bytes; throws IllegalArgumentException for anything else. */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new IllegalArgumentException("'" + text + "' is not a size such as 256MB, 1GB or 65536");
        double v = Double.parseDouble(m.group(1));
        int shift = switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        double bytes = v * Math.pow(2, shift);
        if (bytes >= Long.MAX_VALUE) throw new IllegalArgumentException("'" + text + "' is too large");
        return (long) bytes;
    }
}
