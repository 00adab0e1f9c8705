package dev.bottleneck.model;

import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.RnnGeometry;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.Json;
import dev.bottleneck.nn.Gru;
import dev.bottleneck.nn.Lstm;
import dev.bottleneck.nn.RepeatSteps;
import dev.bottleneck.nn.StepLinear;
import dev.bottleneck.optim.OptimizerConfig;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.train.FitConfig;
import dev.bottleneck.train.Trainer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequenceAutoencoderTest {
    /** Sine waves of random phase and frequency, 2 features, T steps. */
    static Dataset sines(int n, int t, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] x = new float[n * t * 2];
        for (int i = 0; i < n; i++) {
            double ph = r.nextDouble() * 6.28, fr = 0.3 + 0.4 * r.nextDouble();
            for (int s = 0; s < t; s++) {
                x[(i * t + s) * 2] = (float) Math.sin(ph + fr * s);
                x[(i * t + s) * 2 + 1] = (float) Math.cos(ph + fr * s) * 0.5f;
            }
        }
        return new Dataset(x, n, new int[] {t, 2}, null, "sines");
    }

    @Test
    void specShorthandExpandsAndRoundTrips() {
        ModelSpec m = ModelSpec.parse("{\"input\":[12,2],\"sequence\":{\"cell\":\"gru\",\"hidden\":9,\"layers\":2,\"latent\":3,"
                + "\"bidirectional\":true}}", 0);
        Autoencoder ae = new Autoencoder(m);
        assertInstanceOf(Gru.class, ae.encoder().layers().get(0));
        assertArrayEquals(new int[] {3}, ae.codeShape());
        assertInstanceOf(RepeatSteps.class, ae.decoder().layers().get(0));
        assertInstanceOf(StepLinear.class, ae.decoder().layers().get(2));
        // the saved (expanded) form reloads to the same model
        ModelSpec back = ModelSpec.parse(Json.write(m.toMap()), 0);
        assertEquals(m.toMap(), back.toMap());
        ae.bind(BackendsUnderTest.reference(), 1);
        assertTrue(ae.params().parameters().containsKey("encoder.0.weight_ih_l1_reverse"), ae.params().parameters().keySet().toString());
        ae.close();
        assertThrows(dev.bottleneck.BottleneckException.class, () -> ModelSpec.parse("{\"input\":[12],\"sequence\":{}}", 0));
        assertThrows(dev.bottleneck.BottleneckException.class,
                () -> ModelSpec.parse("{\"input\":[12,2],\"sequence\":{\"cell\":\"rnn\"}}", 0));
    }

    @Test
    void lstmAutoencoderLearnsSineWindowsThroughTheTrainer() {
        Backend be = BackendsUnderTest.get("cpu");
        Dataset train = sines(256, 12, 1), val = sines(64, 12, 2);
        for (boolean tf : new boolean[] {false, true}) {
            SequenceSpec s = SequenceSpec.lstm(12, 2, 16, 4).withTeacherForcing(tf);
            try (Autoencoder ae = new Autoencoder(s.toModelSpec()).bind(be, 3)) {
                double before = Trainer.evaluate(ae, val, 64).loss();
                try (Trainer t = new Trainer(ae, new FitConfig().epochs(8).batch(32).optimizer(OptimizerConfig.adam(1e-2)), x -> { })) {
                    Trainer.Result r = t.fit(train, val, null);
                    assertTrue(r.valLoss() < 0.35 * before, "teacher forcing " + tf + ": validation loss " + before + " -> " + r.valLoss());
                }
                if (tf) {
                    // a teacher-forced decoder cannot decode a code on its own
                    try (Graph g = Graph.inference(be)) {
                        Tensor c = g.temp(2, 4);
                        be.memory().fill(c, 0);
                        assertThrows(dev.bottleneck.BottleneckException.class, () -> ae.decode(g, g.constant(c)));
                    }
                }
            }
        }
    }

    @Test
    void bidirectionalMultiLayerModulesBuildFromJava() {
        Lstm l = new Lstm(3, 5, 2, true, dev.bottleneck.nn.Recurrent.Output.LAST);
        assertArrayEquals(new int[] {10}, l.outputShape(new int[] {7, 3}));
        assertEquals(new RnnGeometry(RnnGeometry.Cell.LSTM, 3, 5, 2, true).weightCount(),
                l.parameters().stream().mapToLong(p -> p.size()).sum());
        assertEquals(List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse"),
                l.ownParameterNames().subList(0, 5));
    }
}
