package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bottleneck.Limits;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The hostile inputs of issue 16 through the command line: each exits 1 (bad input) or 2 (a usage error) with one
 * "error:" line that names what was wrong, never exit 70 "internal error".
 */
class HostileCliTest {
    @TempDir static Path tmp;
    static Path table, model;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void trainSmallModel() throws Exception {
        StringBuilder csv = new StringBuilder("a,b,c,d\n");
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 60; i++) {
            csv.append(String.format(Locale.ROOT, "%.3f,%.3f,%.3f,%.3f%n", r.nextDouble(), r.nextDouble(), r.nextDouble(), r.nextDouble()));
        }
        table = Files.writeString(tmp.resolve("table.csv"), csv);
        model = tmp.resolve("model");
        CliTest.Run t = CliTest.run("train", table.toString(), "--model", "4-2", "--epochs", "1", "--batch", "8", "--out", model.toString(),
                "--backend", "cpu");
        assertEquals(0, t.rc(), t.err());
    }

    /** Exit {@code rc}, exactly one "error:" line, holding every part. */
    static void fails(int rc, CliTest.Run r, String... parts) {
        assertEquals(rc, r.rc(), r.err());
        assertFalse(r.err().contains("internal error") || r.err().contains("\tat "), r.err());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error:")).toList();
        assertEquals(1, errors.size(), r.err());
        for (String p : parts) assertTrue(errors.get(0).contains(p), "'" + p + "' missing from: " + errors.get(0));
    }

    private static Path copyModel(String name) throws Exception {
        Path d = Files.createDirectories(tmp.resolve(name));
        for (String f : List.of("model.safetensors", "config.json", "trainer.json")) {
            Files.copy(model.resolve(f), d.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return d;
    }

    private static Path editConfig(String name, java.util.function.Consumer<ObjectNode> edit) throws Exception {
        Path d = copyModel(name);
        ObjectNode c = (ObjectNode) JSON.readTree(d.resolve("config.json").toFile());
        edit.accept(c);
        JSON.writeValue(d.resolve("config.json").toFile(), c);
        return d;
    }

    @Test
    void oversizedModelsAndImagesAreBadInput() throws Exception {
        StringBuilder wide = new StringBuilder();
        for (int row = 0; row < 20; row++) {
            for (int c = 0; c < 784; c++) wide.append(c == 0 ? "" : ",").append((row * 31 + c) % 7);
            wide.append('\n');
        }
        Path pixels = Files.writeString(tmp.resolve("pixels.csv"), wide);
        fails(1, CliTest.run("train", pixels.toString(), "--model", "784-3000000", "--batch", "4", "--backend", "cpu"),
                "Linear(784 -> 3000000)", "2,352,000,000", Limits.PARAMETERS.property());
        fails(1, CliTest.run("summary", "784-3000000"), "2,352,000,000", "limit");
        fails(1, CliTest.run("summary", "784-4294967328"), "4294967328", Limits.SAMPLE_VALUES.property());
        fails(1, CliTest.run("summary", "{\"input\": [10, 3], \"sequence\": {\"layers\": 1e9}}"), "1,000,000,000", Limits.LAYERS.property());
        fails(1, CliTest.run("summary", "{\"input\": 784, \"encoder\": [], \"decoder\": []}"), "no layers");
        fails(1, CliTest.run("train", tmp.toString(), "--image-size", "50000x50000", "--backend", "cpu"), "50000x50000",
                Limits.SAMPLE_VALUES.property());
    }

    @Test
    void idxWithNoImagesIsRefusedBeforeTraining() throws Exception {
        Path f = Files.write(tmp.resolve("zero-images-idx3-ubyte"),
                ByteBuffer.allocate(16).putInt(0x803).putInt(0).putInt(2).putInt(2).array());
        fails(1, CliTest.run("train", f.toString(), "--model", "4-2", "--backend", "cpu"), "count is 0");
        Path big = Files.write(tmp.resolve("big-images-idx3-ubyte"),
                ByteBuffer.allocate(16).putInt(0x803).putInt(0x7fffffff).putInt(0x7fffffff).putInt(0x7fffffff).array());
        fails(1, CliTest.run("train", big.toString(), "--backend", "cpu"), "limit");
    }

    @Test
    void badOptionValuesAreUsageErrors() {
        fails(2, CliTest.run("train", "mnist", "--threads", "-3"), "--threads", "at least 0", "-3");
        fails(2, CliTest.run("train", "mnist", "--clip-norm", "NaN"), "--clip-norm", "not a finite number");
        fails(2, CliTest.run("train", "mnist", "--min-delta", "NaN"), "--min-delta", "not a finite number");
        fails(2, CliTest.run("train", "mnist", "--lr", "Infinity"), "--lr", "not a finite number");
        fails(2, CliTest.run("train", "mnist", "--pictures", "-1"), "--pictures", "at least 0", "-1");
        fails(2, CliTest.run("train", "mnist", "--validation", "1"), "--validation", "less than 1");
        fails(2, CliTest.run("eval", model.toString(), "--batch", "0"), "--batch", "at least 1", "got 0");
        fails(2, CliTest.run("eval", model.toString(), "--batch", "-1"), "--batch", "at least 1", "got -1");
        fails(2, CliTest.run("encode", model.toString(), "--batch", "0", "--out", tmp.resolve("codes.csv").toString()), "--batch");
        fails(1, CliTest.run("train", table.toString(), "--model", "4-2", "--batch", "8", "--schedule", "step:1:NaN", "--backend", "cpu",
                "--out", tmp.resolve("nan-schedule").toString()), "GAMMA", "NaN");
    }

    @Test
    void aTrainingSplitSmallerThanOneBatchIsRefused() {
        Path out = tmp.resolve("small");
        fails(1, CliTest.run("train", table.toString(), "--model", "4-2", "--batch", "100", "--out", out.toString(), "--backend", "cpu"),
                "43 samples", "fewer than one batch of 100", "--batch 43");
        fails(1, CliTest.run("train", table.toString(), "--model", "4-2", "--out", out.toString(), "--backend", "cpu"),
                "fewer than one batch of 256 (the default)");
        fails(1, CliTest.run("train", table.toString(), "--model", "4-2", "--batch", "8", "--validation", "0.99", "--out", out.toString(),
                "--backend", "cpu"), "lower --validation");
        assertFalse(Files.exists(out.resolve("model.safetensors")), "nothing trained");
    }

    @Test
    void damagedConfigJsonIsBadInput() throws Exception {
        fails(1, CliTest.run("eval", editConfig("source42", c -> ((ObjectNode) c.get("data")).put("source", 42)).toString(),
                "--backend", "cpu"), "'data.source' must be text", "42");
        fails(1, CliTest.run("eval", editConfig("delim", c -> ((ObjectNode) c.get("data")).putObject("csv").put("delimiter", "")).toString(),
                "--backend", "cpu"), "'data.csv.delimiter'");
        fails(1, CliTest.run("eval", editConfig("units", c -> ((ObjectNode) c.get("model").get("encoder").get(0)).put("units", 4294967328L))
                .toString(), "--backend", "cpu"), "'units'", "4294967328");
        fails(1, CliTest.run("eval", editConfig("input", c -> ((ObjectNode) c.get("model")).putArray("input").add("four")).toString(),
                "--backend", "cpu"), "'input'[0]", "'four'");
        fails(1, CliTest.run("summary", editConfig("nomodel", c -> c.put("model", "w1")).toString()), "'model' must be an object");
        fails(1, CliTest.run("eval", editConfig("scaler", c -> ((ObjectNode) c.get("data")).put("scaler", 3)).toString(),
                "--backend", "cpu"), "'data.scaler'");
    }

    @Test
    void evalOfAModelWithNanWeightsFails() throws Exception {
        Path d = copyModel("nan");
        byte[] b = Files.readAllBytes(d.resolve("model.safetensors"));
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) (8 + n), Float.NaN); // the first weight
        Files.write(d.resolve("model.safetensors"), b);
        CliTest.Run r = CliTest.run("eval", d.toString(), "--json", "--backend", "cpu");
        fails(1, r, "NaN", "model.safetensors");
        assertFalse(r.out().contains("\"test_loss\""), r.out());
    }

    @CommandLine.Command(name = "oom")
    static final class OutOfMemory implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new OutOfMemoryError("Java heap space");
        }
    }

    @Test
    void outOfMemoryGetsTheRaiseXmxMessage() {
        CommandLine cl = new CommandLine(new OutOfMemory());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(1, Main.execute(cl, new String[0]));
        assertTrue(err.toString().startsWith("error: out of Java heap memory (Java heap space)"), err.toString());
        assertTrue(err.toString().contains("raise -Xmx"), err.toString());
    }
}
