package dev.bottleneck.model;

import dev.bottleneck.nn.Module;
import dev.bottleneck.testing.BackendsUnderTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The W3 and keras-conv presets: every layer's output shape, the parameter count (worked out layer by layer; 4,385 for
 * keras-conv, as in the Keras blog's summary), W3's weight layouts and summary, and the presets' default batch size.
 */
class PresetsTest {
    /** Per-sample output shape of every layer. */
    private static List<int[]> shapes(Autoencoder a) {
        List<int[]> out = new ArrayList<>();
        int[] s = a.inputShape();
        for (Module m : a.encoder().layers()) out.add(s = m.outputShape(s));
        for (Module m : a.decoder().layers()) out.add(s = m.outputShape(s));
        return out;
    }

    @Test
    void w3PresetShapesAndParameterCount() {
        Autoencoder a = new Autoencoder(Presets.get("w3"));
        assertArrayEquals(new int[] {1, 28, 28}, a.inputShape());
        assertArrayEquals(new int[] {16}, a.codeShape());
        List<int[]> s = shapes(a);
        // conv relu conv relu flatten linear | linear relu reshape convT relu convT sigmoid
        int[][] want = {{32, 14, 14}, {32, 14, 14}, {64, 7, 7}, {64, 7, 7}, {3136}, {16},
                {3136}, {3136}, {64, 7, 7}, {32, 14, 14}, {32, 14, 14}, {1, 28, 28}, {1, 28, 28}};
        assertEquals(want.length, s.size(), "W3 layer count");
        for (int i = 0; i < want.length; i++) assertArrayEquals(want[i], s.get(i), "W3 layer " + i + " output shape");
        // conv1 32*1*9+32 = 320; conv2 64*32*9+64 = 18,496; dense 3136*16+16 = 50,192; dense 16*3136+3136 = 53,312;
        // convT1 64*32*9+32 = 18,464; convT2 32*1*9+1 = 289; total 141,073
        a.bind(BackendsUnderTest.reference(), 1);
        try {
            assertEquals(141_073, a.params().size());
            assertEquals(List.of(32, 1, 3, 3), Arrays.stream(a.params().parameters().get("encoder.0.weight").shape()).boxed().toList());
            assertEquals(List.of(64, 32, 3, 3), Arrays.stream(a.params().parameters().get("decoder.3.weight").shape()).boxed().toList(),
                    "ConvTranspose2d weight layout [cIn, cOut, kh, kw]");
            String summary = a.summary();
            assertTrue(summary.contains("141,073") && summary.contains("[1, 28, 28]") && summary.contains("computed from logits"), summary);
        } finally {
            a.close();
        }
        assertEquals(128, Presets.defaults("w3").batch());
        assertEquals(1e-3, Presets.defaults("w3").lr());
    }

    @Test
    void kerasConvPresetShapesAndParameterCount() {
        Autoencoder a = new Autoencoder(Presets.get("keras-conv"));
        assertArrayEquals(new int[] {8, 4, 4}, a.codeShape(), "the Keras blog's 128-d code");
        List<int[]> s = shapes(a);
        int[][] want = {{16, 28, 28}, {16, 28, 28}, {16, 14, 14}, {8, 14, 14}, {8, 14, 14}, {8, 7, 7}, {8, 7, 7}, {8, 7, 7}, {8, 4, 4},
                {8, 4, 4}, {8, 4, 4}, {8, 8, 8}, {8, 8, 8}, {8, 8, 8}, {8, 16, 16}, {16, 14, 14}, {16, 14, 14}, {16, 28, 28},
                {1, 28, 28}, {1, 28, 28}};
        assertEquals(want.length, s.size(), "keras-conv layer count");
        for (int i = 0; i < want.length; i++) assertArrayEquals(want[i], s.get(i), "keras-conv layer " + i + " output shape");
        a.bind(BackendsUnderTest.reference(), 1);
        try {
            // 160 + 1,160 + 584 | 584 + 584 + 1,168 + 145 = 4,385, as in the Keras blog's summary
            assertEquals(4_385, a.params().size());
        } finally {
            a.close();
        }
        assertEquals(128, Presets.defaults("keras-conv").batch());
    }
}
