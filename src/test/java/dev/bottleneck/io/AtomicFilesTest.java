package dev.bottleneck.io;

import dev.bottleneck.BottleneckException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void writesAndReplaces() throws IOException {
        Path file = dir.resolve("a/b/c.txt");
        AtomicFiles.writeString(file, "first");
        assertEquals("first", Files.readString(file));
        AtomicFiles.writeBytes(file, new byte[]{1, 2, 3});
        assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(file));
        assertEquals(1, listing(file.getParent()).length, "no temporary files left");
    }

    @Test
    void keepsTheOldFileWhenTheWriterFailsWithIOException() throws IOException {
        Path file = dir.resolve("checkpoint.bin");
        AtomicFiles.writeString(file, "old content");
        BottleneckException e = assertThrows(BottleneckException.class, () -> AtomicFiles.write(file, out -> {
            out.write("partial new content".getBytes());
            throw new IOException("disk on fire");
        }));
        assertTrue(e.getMessage().startsWith("cannot write " + file + ": disk on fire"), e.getMessage());
        assertEquals("old content", Files.readString(file));
        assertArrayEquals(new String[]{"checkpoint.bin"}, listing(dir));
    }

    @Test
    void keepsTheOldFileWhenTheWriterThrowsARuntimeException() throws IOException {
        Path file = dir.resolve("model.safetensors");
        AtomicFiles.writeString(file, "old");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(file, out -> {
            out.write(new byte[100_000]);
            throw new IllegalStateException("bug");
        }));
        assertEquals("old", Files.readString(file));
        assertArrayEquals(new String[]{"model.safetensors"}, listing(dir));
    }

    @Test
    void noFileAppearsWhenTheFirstWriteFails() throws IOException {
        Path file = dir.resolve("new.json");
        assertThrows(BottleneckException.class, () -> AtomicFiles.write(file, out -> {
            throw new IOException("nope");
        }));
        assertEquals(0, listing(dir).length);
    }

    @Test
    void reportsAnUnwritableTarget() throws IOException {
        Path blocker = dir.resolve("blocker");
        Files.writeString(blocker, "a file, not a directory");
        Path file = blocker.resolve("x.txt");
        BottleneckException e = assertThrows(BottleneckException.class, () -> AtomicFiles.writeString(file, "x"));
        assertTrue(e.getMessage().startsWith("cannot write " + file + ": "), e.getMessage());
    }

    private static String[] listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
        }
    }
}
