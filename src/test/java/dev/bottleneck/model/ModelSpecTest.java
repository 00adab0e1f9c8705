package dev.bottleneck.model;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.nn.ActivationLayer;
import dev.bottleneck.nn.Linear;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class ModelSpecTest {
    @Test
    void denseShorthandMirrorsTheEncoder() {
        Autoencoder a = new Autoencoder(ModelSpec.parse("784-128-64-32", 784));
        assertEquals(6, a.encoder().layers().size()); // 3 x (linear + relu)
        assertEquals(32, a.codeFeatures());
        Linear last = (Linear) a.decoder().layers().get(a.decoder().layers().size() - 2);
        assertEquals(784, last.out());
        assertEquals(Activation.SIGMOID, ((ActivationLayer) a.decoder().layers().get(a.decoder().layers().size() - 1)).kind());
        assertEquals(Loss.BCE, a.spec().loss());
    }

    @Test
    void presetsMatchWorkloads() {
        Autoencoder w1 = new Autoencoder(Presets.get("w1"));
        assertEquals(32, w1.codeFeatures());
        assertEquals(Activation.RELU, ((ActivationLayer) w1.encoder().layers().get(1)).kind());
        Autoencoder w2 = new Autoencoder(Presets.get("w2"));
        assertEquals(30, w2.codeFeatures());
        // linear code: the encoder ends with a Linear, no activation
        assertTrue(w2.encoder().layers().get(w2.encoder().layers().size() - 1) instanceof Linear);
        long params = 0;
        for (var p : w2.encoder().parameters()) params += p.size();
        for (var p : w2.decoder().parameters()) params += p.size();
        long expected = 2L * (784 * 1000 + 1000 * 500 + 500 * 250 + 250 * 30) + (1000 + 500 + 250 + 30) + (250 + 500 + 1000 + 784);
        assertEquals(expected, params);
    }

    @Test
    void jsonAndYamlSpecsAndRoundTrip(@TempDir Path dir) throws Exception {
        Path y = dir.resolve("m.yaml");
        Files.writeString(y, "name: tiny\ninput: [1, 4, 4]\nencoder:\n  - {type: linear, units: 6, activation: tanh}\n"
                + "  - {type: dropout, rate: 0.2}\n  - {type: linear, units: 2}\n"
                + "decoder:\n  - {type: linear, units: 16, activation: sigmoid}\nloss: mse\nregularizers:\n  - {type: l1_activity, weight: 0.001}\n");
        ModelSpec s = ModelSpec.parse(y.toString(), 16);
        assertEquals(Loss.MSE, s.loss());
        Autoencoder a = new Autoencoder(s);
        assertArrayEquals(new int[] {1, 4, 4}, a.decoder().outputShape(a.codeShape()));
        ModelSpec back = ModelSpec.fromMap(s.toMap(), "roundtrip");
        assertEquals(s.toMap(), back.toMap());
        Path j = dir.resolve("m.json");
        Files.writeString(j, dev.bottleneck.io.Json.write(s.toMap()));
        assertEquals(s.toMap(), ModelSpec.parse(j.toString(), 16).toMap());
    }

    @Test
    void badSpecsNameTheProblem() {
        BottleneckException e = assertThrows(BottleneckException.class, () -> ModelSpec.parse("784-x-32", 784));
        assertTrue(e.getMessage().contains("784-x-32"), e.getMessage());
        e = assertThrows(BottleneckException.class, () -> ModelSpec.parse("784-32:swish", 784));
        assertTrue(e.getMessage().contains("swish"), e.getMessage());
        e = assertThrows(BottleneckException.class, () -> ModelSpec.parse(
                "{\"input\":784,\"encoder\":[{\"type\":\"linear\",\"units\":8}],\"decoder\":[{\"type\":\"linear\",\"units\":700}]}", 784));
        assertTrue(e.getMessage().contains("784"), e.getMessage());
        e = assertThrows(BottleneckException.class, () -> ModelSpec.parse("{\"input\":784, \"encoder\": [", 784));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void builderMakesTheKerasExample() {
        Autoencoder a = Autoencoder.builder(784).name("keras").dense(32, "relu").decoder().dense(784, "sigmoid").loss(Loss.BCE).build();
        assertEquals(Presets.get("w1").toMap().get("encoder"), a.spec().toMap().get("encoder"));
        assertEquals(Presets.get("w1").toMap().get("decoder"), a.spec().toMap().get("decoder"));
    }
}
