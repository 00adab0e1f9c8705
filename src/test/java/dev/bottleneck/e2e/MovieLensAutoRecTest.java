package dev.bottleneck.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bottleneck.data.DataSources;
import dev.bottleneck.testing.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Item-based AutoRec on the real MovieLens ratings (dslabs' 100,004 ratings, 671 users, 9,066 movies), installed by
 * {@code scripts/fetch-data.sh --only movielens}; skipped with the reason when absent. With the command's defaults
 * (hidden 200, sigmoid, λ 0.01, 8 epochs, seed 42: about 10 s on 2 cores) the RMSE on the 10% held-out ratings must
 * beat the item-mean baseline (measured: 0.952 against 0.996; global mean 1.060).
 */
class MovieLensAutoRecTest {
    @Test
    void autorecBeatsTheItemMeanBaseline(@TempDir Path tmp) throws Exception {
        Path csv = DataSources.cacheDir().resolve("movielens").resolve("movielens.csv");
        assumeTrue(Files.isRegularFile(csv), "MovieLens not installed at " + csv + "; run scripts/fetch-data.sh --only movielens");
        CliRun r = new CliRun("autorec", "--ratings", csv.toString(), "--out", tmp.resolve("m").toString(), "--backend", "cpu", "--json");
        assertEquals(0, r.rc, r.err);
        JsonNode j = r.json();
        System.out.println(r.lastLine());
        assertEquals(10_000, j.get("test_ratings").asInt());
        double rmse = j.get("rmse").asDouble(), item = j.get("rmse_item_mean").asDouble();
        assertTrue(rmse < item, "AutoRec RMSE " + rmse + " does not beat the item-mean baseline " + item);
        assertTrue(item < j.get("rmse_global_mean").asDouble(), "item mean should beat the global mean");
    }
}
