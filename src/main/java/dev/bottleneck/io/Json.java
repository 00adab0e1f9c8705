package dev.bottleneck.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.bottleneck.BottleneckException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The project's one Jackson setup. Files are written pretty-printed ({@code "key": value}, two-space
 * indent, trailing newline) and atomically; reading a file that is not valid JSON, or does not match the
 * expected type, fails with a {@link BottleneckException} naming the file, the line and the column.
 */
public final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private static final ObjectWriter PRETTY;
    private static final ObjectWriter COMPACT = MAPPER.writer();

    static {
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(indenter);
        PRETTY = MAPPER.writer(printer);
    }

    private Json() {
    }

    /** The shared mapper (thread-safe once configured; do not reconfigure it). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Pretty-printed JSON of {@code value}, without a trailing newline. */
    public static String write(Object value) {
        return write(PRETTY, value);
    }

    /** Single-line JSON of {@code value} (for JSON-lines logs). */
    public static String writeCompact(Object value) {
        return write(COMPACT, value);
    }

    private static String write(ObjectWriter writer, Object value) {
        try {
            return writer.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new BottleneckException("cannot convert " + describeType(value) + " to JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * A JSON object in the order given: {@code object("type", "linear", "units", 32)} is
     * {@code {"type": "linear", "units": 32}}. Keys are strings; values may be null. The map is mutable, so a caller
     * can add optional fields after the fixed ones.
     */
    public static Map<String, Object> object(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("Json.object needs key, value pairs, got " + keysAndValues.length + " arguments");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (!(keysAndValues[i] instanceof String key)) {
                throw new IllegalArgumentException("Json.object: key " + i / 2 + " is not a string: " + keysAndValues[i]);
            }
            if (m.containsKey(key)) throw new IllegalArgumentException("Json.object: duplicate key '" + key + "'");
            m.put(key, keysAndValues[i + 1]);
        }
        return m;
    }

    /** Writes {@code value} pretty-printed to {@code path}, atomically, with a trailing newline. */
    public static void writeFile(Path path, Object value) {
        AtomicFiles.writeString(path, write(value) + "\n");
    }

    /** Reads {@code path} as a {@code type}. */
    public static <T> T read(Path path, Class<T> type) {
        return read(path, MAPPER.readerFor(type));
    }

    /** Reads {@code path} as a JSON tree. */
    public static JsonNode readTree(Path path) {
        return read(path, MAPPER.readerFor(JsonNode.class));
    }

    /** Parses {@code json} as a {@code type}; {@code source} names where the text came from in errors. */
    public static <T> T parse(String json, Class<T> type, String source) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new BottleneckException(describe(source, e, json.getBytes(StandardCharsets.UTF_8)), e);
        }
    }

    private static <T> T read(Path path, ObjectReader reader) {
        byte[] bytes = null;
        try {
            bytes = Files.readAllBytes(path);
            T value = reader.readValue(bytes);
            if (value == null) {
                throw new BottleneckException("cannot read " + path + ": the file is empty or holds only 'null'"
                        + " (expected a JSON object)");
            }
            return value;
        } catch (NoSuchFileException e) {
            throw new BottleneckException("cannot read " + path + ": file not found (check the path)", e);
        } catch (JsonProcessingException e) {
            throw new BottleneckException(describe(path.toString(), e, bytes), e);
        } catch (IOException e) {
            throw new BottleneckException("cannot read " + path + ": " + AtomicFiles.describe(e), e);
        }
    }

    private static String describe(String source, JsonProcessingException e, byte[] text) {
        StringBuilder sb = new StringBuilder("invalid JSON in ").append(source);
        JsonLocation loc = e.getLocation();
        JsonProcessingException syntax = syntaxError(e);
        if (syntax != null) {
            loc = syntax.getLocation(); // a syntax error: Jackson's position is exact
        } else if (e instanceof com.fasterxml.jackson.databind.JsonMappingException jme && !jme.getPath().isEmpty()
                && text != null) {
            // Jackson reports where it noticed (for records, often the closing brace); point at the field
            JsonLocation field = locateField(text, pointer(jme));
            if (field != null) {
                loc = field;
            }
        }
        if (loc != null && loc.getLineNr() > 0) {
            sb.append(" at line ").append(loc.getLineNr()).append(", column ").append(loc.getColumnNr());
        }
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException jme && !jme.getPath().isEmpty()) {
            sb.append(" (field ").append(fieldPath(jme)).append(')');
        }
        sb.append(": ");
        if (e instanceof UnrecognizedPropertyException upe) {
            sb.append("unknown field '").append(upe.getPropertyName()).append('\'');
            if (upe.getKnownPropertyIds() != null && !upe.getKnownPropertyIds().isEmpty()) {
                sb.append("; known fields: ").append(upe.getKnownPropertyIds().stream()
                        .map(String::valueOf).sorted().collect(Collectors.joining(", ")));
            }
        } else {
            String msg = (syntax != null ? syntax : e).getOriginalMessage();
            sb.append(msg == null ? e.getClass().getSimpleName() : firstLine(msg));
        }
        sb.append(" (fix the file at that position)");
        return sb.toString();
    }

    private static String fieldPath(com.fasterxml.jackson.databind.JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (com.fasterxml.jackson.databind.JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /** The low-level parse error behind {@code e}, if {@code e} is (or wraps) one. */
    private static JsonProcessingException syntaxError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof com.fasterxml.jackson.core.exc.StreamReadException sre
                    && !(t instanceof com.fasterxml.jackson.databind.DatabindException)) {
                return sre;
            }
        }
        return null;
    }

    private static String pointer(com.fasterxml.jackson.databind.JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (com.fasterxml.jackson.databind.JsonMappingException.Reference ref : e.getPath()) {
            sb.append('/');
            if (ref.getFieldName() != null) {
                sb.append(ref.getFieldName().replace("~", "~0").replace("/", "~1"));
            } else {
                sb.append(ref.getIndex());
            }
        }
        return sb.toString();
    }

    /** Where the field at {@code pointer} (a JSON pointer) starts in {@code text}, or null. */
    private static JsonLocation locateField(byte[] text, String pointer) {
        try (JsonParser p = MAPPER.getFactory().createParser(text)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.FIELD_NAME && p.getParsingContext().pathAsPointer().toString().equals(pointer)) {
                    return p.currentTokenLocation();
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // fall back to Jackson's own location
        }
        return null;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String describeType(Object value) {
        return value == null ? "null" : value.getClass().getName();
    }

    /** Bytes of {@code value} as UTF-8 compact JSON. */
    static byte[] compactBytes(Object value) {
        return writeCompact(value).getBytes(StandardCharsets.UTF_8);
    }
}
