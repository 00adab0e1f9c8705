package dev.bottleneck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code score} with a series model saved by {@code detect --data}: a new half-hourly series (two sensors, no label
 * column) is scored row by row with the saved window, scaling and threshold, each row known by its timestamp as
 * written; on the training file itself, the rows of detect's test part get detect's row errors.
 */
class SeriesScoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Two sensors of half-hourly readings (a daily cycle and noise); rows in [burst, burst + 6) of sensor s2 jump. */
    static String series(int rowsPerSensor, long seed, boolean labels, int burst) {
        StringBuilder b = new StringBuilder("time,sensor,load,temp" + (labels ? ",anomaly" : "") + "\n");
        SplittableRandom r = new SplittableRandom(seed);
        LocalDateTime t0 = LocalDateTime.of(2024, 3, 1, 0, 0);
        for (String sensor : List.of("s1", "s2")) {
            for (int i = 0; i < rowsPerSensor; i++) {
                boolean odd = sensor.equals("s2") && i >= burst && i < burst + 6;
                double load = Math.sin(2 * Math.PI * i / 48) + 0.05 * r.nextGaussian() + (odd ? 3 : 0);
                double temp = 20 + 2 * Math.cos(2 * Math.PI * i / 48) + 0.05 * r.nextGaussian();
                b.append(t0.plusMinutes(30L * i).toString().replace('T', ' ')).append(',').append(sensor).append(',')
                        .append(String.format(java.util.Locale.ROOT, "%.4f,%.4f", load, temp));
                if (labels) b.append(odd ? ",1" : ",0");
                b.append('\n');
            }
        }
        return b.toString();
    }

    @Test
    void aNewSeriesIsScoredWithTheSavedWindowScalingAndThreshold(@TempDir Path tmp) throws Exception {
        Path train = tmp.resolve("load.csv"), fresh = tmp.resolve("next-week.csv"), out = tmp.resolve("det");
        Files.writeString(train, series(480, 1, true, 400));
        Files.writeString(fresh, series(336, 2, false, 200));
        CliTest.Run d = CliTest.run("detect", "--data", train.toString(), "--timestamp", "time", "--group", "sensor", "--label", "anomaly",
                "--window", "12", "--stride", "2", "--epochs", "4", "--hidden", "12", "--latent", "4", "--train-fraction", "0.5",
                "--val-fraction", "0.2", "--backend", "cpu", "--out", out.toString(), "--json");
        assertEquals(0, d.rc(), d.err());
        Path model = out.resolve("model");
        JsonNode saved = JSON.readTree(model.resolve("series.json").toFile());
        assertEquals(12, saved.get("window").asInt());
        double threshold = JSON.readTree(d.lastLine()).get("autoencoder").get("threshold").asDouble();
        assertEquals(threshold, JSON.readTree(model.resolve("threshold.json").toFile()).get("threshold").asDouble(), 0.0);

        Path scores = tmp.resolve("scores.csv");
        CliTest.Run s = CliTest.run("score", model.toString(), fresh.toString(), "--out", scores.toString(), "--backend", "cpu", "--json");
        assertEquals(0, s.rc(), s.err());
        assertEquals(672, JSON.readTree(s.lastLine()).get("items").asInt());
        List<Map<String, String>> rows = ScoreCommandTest.rows(scores);
        assertEquals(List.of("index", "id", "group", "score", "flag"), List.copyOf(rows.get(0).keySet()));
        assertEquals("2024-03-01 00:00", rows.get(0).get("id"), "the timestamp as written");
        assertEquals("s2", rows.get(336 + 200).get("group"));
        assertEquals("2024-03-05 04:00", rows.get(336 + 200).get("id"));
        int burstFlagged = 0, otherFlagged = 0;
        for (int i = 0; i < rows.size(); i++) {
            boolean flag = rows.get(i).get("flag").equals("1");
            assertEquals(Double.parseDouble(rows.get(i).get("score")) > threshold, flag, rows.get(i).toString());
            if (i >= 336 + 200 && i < 336 + 206) burstFlagged += flag ? 1 : 0;
            else otherFlagged += flag ? 1 : 0;
        }
        assertTrue(burstFlagged >= 5, "the jump of s2 is flagged: " + burstFlagged + " of 6");
        assertTrue(otherFlagged < 60, "few other rows flagged: " + otherFlagged);

        // the training file scored whole: rows of detect's test part that only test windows cover get detect's errors
        Path again = tmp.resolve("again.csv");
        assertEquals(0, CliTest.run("score", model.toString(), train.toString(), "--out", again.toString(), "--backend", "cpu").rc());
        Map<String, String> byLine = new HashMap<>();
        List<Map<String, String>> whole = ScoreCommandTest.rows(again);
        List<String> trainLines = Files.readAllLines(train);
        for (Map<String, String> r : whole) byLine.put(r.get("group") + "@" + r.get("id"), r.get("score"));
        List<Map<String, String>> detected = ScoreCommandTest.rows(out.resolve("rows.csv"));
        int compared = 0;
        String group = null;
        int inPart = 0;
        for (Map<String, String> r : detected) {
            if (!r.get("group").equals(group)) {
                group = r.get("group");
                inPart = 0;
            }
            if (inPart++ < 11) continue;   // covered by windows that start before the test part in a whole-file scoring
            String stamp = trainLines.get(Integer.parseInt(r.get("line")) - 1).split(",")[0];
            assertEquals(r.get("ae_error"), byLine.get(group + "@" + stamp), "line " + r.get("line"));
            compared++;
        }
        assertEquals(2 * (144 - 11), compared, "the test rows of both sensors but their first 11");
        // a label column in the file passes through
        assertEquals("label", List.copyOf(whole.get(0).keySet()).get(3));
    }

    @Test
    void errorsAreOneLine(@TempDir Path tmp) throws Exception {
        Path train = tmp.resolve("load.csv"), out = tmp.resolve("det");
        Files.writeString(train, series(200, 3, false, 150));
        assertEquals(0, CliTest.run("detect", "--data", train.toString(), "--timestamp", "time", "--group", "sensor", "--window", "8",
                "--epochs", "1", "--hidden", "4", "--latent", "2", "--backend", "cpu", "--out", out.toString()).rc());
        Path model = out.resolve("model");
        Path other = tmp.resolve("other.csv");
        StringBuilder swapped = new StringBuilder("time,sensor,temp,load\n");   // the features in the other order
        for (int i = 0; i < 20; i++) swapped.append(String.format(java.util.Locale.ROOT, "2024-01-01 %02d:00,s1,20,1%n", i));
        Files.writeString(other, swapped.toString());
        expect("are not the ones the model was trained on, [load, temp]", "score", model.toString(), other.toString(), "--out",
                tmp.resolve("e.csv").toString());
        expect("a series model takes a number or the report.json", "score", model.toString(), train.toString(), "--out",
                tmp.resolve("e.csv").toString(), "--threshold", "p99");
        expect("does not apply", "score", model.toString(), train.toString(), "--out", tmp.resolve("e.csv").toString(), "--score", "sum");
        assertTrue(Files.notExists(tmp.resolve("e.csv")));
    }

    private static void expect(String part, String... args) {
        CliTest.Run r = CliTest.run(args);
        assertEquals(1, r.rc(), r.err());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error:")).toList();
        assertEquals(1, errors.size(), r.err());
        assertTrue(errors.get(0).contains(part), r.err());
    }
}
