package dev.bottleneck.io;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    public record Config(String name, int epochs, List<Integer> layers) {
    }

    @TempDir
    Path dir;

    @Test
    void writesPrettyAtomicallyAndReadsBack() throws Exception {
        Config c = new Config("ae", 50, List.of(784, 32, 784));
        Path file = dir.resolve("cfg/config.json");
        Json.writeFile(file, c);
        String text = Files.readString(file);
        assertTrue(text.startsWith("{\n  \"name\": \"ae\",\n  \"epochs\": 50,"), text);
        assertTrue(text.endsWith("}\n"));
        assertEquals(c, Json.read(file, Config.class));
        assertEquals("{\"name\":\"ae\",\"epochs\":50,\"layers\":[784,32,784]}", Json.writeCompact(c));
        assertEquals(50, Json.readTree(file).get("epochs").asInt());
    }

    @Test
    void objectKeepsTheOrderGivenAndAllowsNullValues() {
        java.util.Map<String, Object> m = Json.object("type", "linear", "units", 32, "bias", null);
        assertEquals(List.of("type", "units", "bias"), List.copyOf(m.keySet()));
        assertEquals("{\"type\":\"linear\",\"units\":32,\"bias\":null}", Json.writeCompact(m));
        m.put("init", "xavier_uniform"); // callers add optional fields after the fixed ones
        assertEquals(4, m.size());
        assertThrows(IllegalArgumentException.class, () -> Json.object("type"));
        assertThrows(IllegalArgumentException.class, () -> Json.object(1, "a"));
        assertThrows(IllegalArgumentException.class, () -> Json.object("a", 1, "a", 2));
    }

    @Test
    void malformedJsonNamesFileLineAndColumn() throws Exception {
        Path file = dir.resolve("broken.json");
        Files.writeString(file, "{\n  \"name\": \"ae\",\n  \"epochs\": 5O\n}\n");
        String msg = assertThrows(BottleneckException.class, () -> Json.read(file, Config.class)).getMessage();
        assertTrue(msg.contains("invalid JSON in " + file + " at line 3, column"), msg);

        Files.writeString(file, "{\n \"name\": \"x\",\n \"layers\": [1, 2,, 3]\n}");
        msg = assertThrows(BottleneckException.class, () -> Json.read(file, Config.class)).getMessage();
        assertTrue(msg.contains("at line 3, column 18") && msg.contains("Unexpected character (','"), msg);
    }

    @Test
    void unknownFieldsAndWrongTypesAreExplained() throws Exception {
        Path file = dir.resolve("typo.json");
        Files.writeString(file, "{\n  \"name\": \"ae\",\n  \"epoch\": 5\n}\n");
        String msg = assertThrows(BottleneckException.class, () -> Json.read(file, Config.class)).getMessage();
        assertTrue(msg.contains("at line 3, column 3") && msg.contains("unknown field 'epoch'") && msg.contains("epochs"), msg);

        Files.writeString(file, "{\"name\": \"ae\", \"epochs\": \"many\"}");
        msg = assertThrows(BottleneckException.class, () -> Json.read(file, Config.class)).getMessage();
        assertTrue(msg.contains("(field epochs)"), msg);

        Files.writeString(file, "{\"name\": \"a\", \"name\": \"b\"}");
        msg = assertThrows(BottleneckException.class, () -> Json.read(file, Config.class)).getMessage();
        assertTrue(msg.contains("Duplicate field 'name'"), msg);
    }

    @Test
    void missingAndEmptyFiles() throws Exception {
        Path missing = dir.resolve("nope.json");
        String msg = assertThrows(BottleneckException.class, () -> Json.read(missing, Config.class)).getMessage();
        assertTrue(msg.contains(missing.toString()) && msg.contains("file not found"), msg);
        Path empty = dir.resolve("empty.json");
        Files.writeString(empty, "");
        msg = assertThrows(BottleneckException.class, () -> Json.read(empty, Config.class)).getMessage();
        assertTrue(msg.contains(empty.toString()), msg);
    }
}
