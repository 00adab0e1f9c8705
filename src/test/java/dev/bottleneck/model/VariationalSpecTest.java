package dev.bottleneck.model;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Loss;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code variational} section of model specs and the W4 preset. */
class VariationalSpecTest {
    @Test
    void w4IsThePyTorchExampleVae() {
        ModelSpec s = Presets.get("w4");
        assertEquals(new VariationalSpec(20, 1.0, 0), s.variational());
        assertEquals(Loss.BCE, s.loss());
        assertEquals(Loss.Reduction.SUM_PER_SAMPLE, s.reduction());
        Autoencoder m = new Autoencoder(s);
        assertArrayEquals(new int[] {20}, m.codeShape());
        assertEquals(List.of("Linear(784 -> 400)", "relu", "Linear(400 -> 40)"),
                m.encoder().layers().stream().map(x -> x.describe()).toList());
        assertEquals(List.of("Linear(20 -> 400)", "relu", "Linear(400 -> 784)", "sigmoid"),
                m.decoder().layers().stream().map(x -> x.describe()).toList());
        // fc1 + fc21 + fc22 + fc3 + fc4 of pytorch/examples vae/main.py
        long params = 784 * 400 + 400 + 2 * (400 * 20 + 20) + 20 * 400 + 400 + 400 * 784 + 784;
        long ours = 0;
        for (var p : m.encoder().parameters()) ours += p.size();
        for (var p : m.decoder().parameters()) ours += p.size();
        assertEquals(params, ours);
        assertEquals(128, Presets.defaults("w4").batch());
        assertEquals(1e-3, Presets.defaults("w4").lr());
        assertTrue(m.summary().contains("variational: latent 20"), m.summary());
    }

    @Test
    void roundTripsThroughConfigJsonMaps() {
        ModelSpec s = Presets.get("w4").withVariational(new VariationalSpec(20, 4.0, 5));
        ModelSpec back = ModelSpec.fromMap(s.toMap(), "config.json");
        assertEquals(s.variational(), back.variational());
        assertEquals(s.toMap(), back.toMap());
        assertEquals(s.variational(), s.withLoss(Loss.MSE, Loss.Reduction.SUM_PER_SAMPLE).variational(), "withLoss keeps the section");
        assertEquals(s.variational(), s.withRegularizers(List.of()).variational(), "withRegularizers keeps the section");
        assertNull(ModelSpec.parse("w1", 784).variational());
        assertTrue(!ModelSpec.parse("w1", 784).toMap().containsKey("variational"), "plain specs do not grow the key");
    }

    @Test
    void yamlSectionDefaultsToSumReduction() {
        String json = "{\"input\": 6, \"encoder\": [{\"type\": \"linear\", \"units\": 4}], "
                + "\"decoder\": [{\"type\": \"linear\", \"units\": 6, \"activation\": \"sigmoid\"}], "
                + "\"variational\": {\"latent\": 2, \"beta\": 0.5, \"warmup_epochs\": 3}}";
        ModelSpec s = ModelSpec.parse(json, 6);
        assertEquals(new VariationalSpec(2, 0.5, 3), s.variational());
        assertEquals(Loss.Reduction.SUM_PER_SAMPLE, s.reduction());
    }

    private static String spec(String encoderLast, String extra) {
        return "{\"input\": 6, \"encoder\": [{\"type\": \"linear\", \"units\": 5, \"activation\": \"relu\"}, " + encoderLast + "], "
                + "\"decoder\": [{\"type\": \"linear\", \"units\": 6, \"activation\": \"sigmoid\"}]" + extra + "}";
    }

    @Test
    void validationNamesTheProblem() {
        String ok = "{\"type\": \"linear\", \"units\": 4}";
        String msg = assertThrows(BottleneckException.class,
                () -> ModelSpec.parse(spec("{\"type\": \"linear\", \"units\": 5}", ", \"variational\": {\"latent\": 2}"), 6)).getMessage();
        assertTrue(msg.contains("2 x latent = 4") && msg.contains("outputs 5"), msg);
        msg = assertThrows(BottleneckException.class,
                () -> ModelSpec.parse(spec("{\"type\": \"linear\", \"units\": 4, \"activation\": \"relu\"}", ", \"variational\": {\"latent\": 2}"), 6)).getMessage();
        assertTrue(msg.contains("must end in a linear layer without activation"), msg);
        msg = assertThrows(BottleneckException.class,
                () -> ModelSpec.parse(spec(ok, ", \"reduction\": \"mean\", \"variational\": {\"latent\": 2}"), 6)).getMessage();
        assertTrue(msg.contains("reduction 'sum'"), msg);
        msg = assertThrows(BottleneckException.class, () -> ModelSpec.parse(spec(ok, ", \"variational\": {\"latent\": 0}"), 6)).getMessage();
        assertTrue(msg.contains("'latent' must be at least 1"), msg);
        msg = assertThrows(BottleneckException.class, () -> ModelSpec.parse(spec(ok, ", \"variational\": {\"latent\": 2, \"beta\": -1}"), 6)).getMessage();
        assertTrue(msg.contains("'beta'"), msg);
        msg = assertThrows(BottleneckException.class, () -> ModelSpec.parse(spec(ok, ", \"variational\": {\"latent\": 2, \"warmup\": 3}"), 6)).getMessage();
        assertTrue(msg.contains("unknown key 'variational.warmup'"), msg);
        msg = assertThrows(BottleneckException.class, () -> ModelSpec.parse(spec(ok, ", \"variational\": 20"), 6)).getMessage();
        assertTrue(msg.contains("'variational' must be an object"), msg);
    }

    @Test
    void warmupRampsBetaLinearly() {
        VariationalSpec v = new VariationalSpec(2, 2.0, 4);
        assertEquals(0.0, v.betaAt(0));
        assertEquals(0.5, v.betaAt(1));
        assertEquals(1.5, v.betaAt(3));
        assertEquals(2.0, v.betaAt(4));
        assertEquals(2.0, v.betaAt(40));
        assertEquals(2.0, new VariationalSpec(2, 2.0, 0).betaAt(0), "no warm-up: beta from the start");
        assertEquals(Map.of("latent", 2, "beta", 2.0, "warmup_epochs", 4), v.toMap());
    }
}
