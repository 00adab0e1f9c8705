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

    /** Both convolutional presets fit themselves to colour and odd-sized images: the output shape is the input's. */
    @Test
    void convPresetsFitAnyImageSize() {
        for (int[] shape : new int[][] {{3, 32, 32}, {3, 64, 48}, {3, 15, 17}, {4, 9, 30}, {1, 1, 1}, {1, 28, 28}}) {
            Autoencoder a = new Autoencoder(Presets.get("w3", shape));
            assertArrayEquals(shape, a.inputShape());
            List<int[]> s = shapes(a);
            assertArrayEquals(shape, s.get(s.size() - 1), "w3 output for " + Arrays.toString(shape));
            assertArrayEquals(new int[] {16}, a.codeShape());
        }
        for (int[] shape : new int[][] {{3, 32, 32}, {3, 28, 28}, {3, 36, 64}, {4, 4, 8}, {1, 28, 28}}) {
            Autoencoder a = new Autoencoder(Presets.get("keras-conv", shape));
            List<int[]> s = shapes(a);
            assertArrayEquals(shape, s.get(s.size() - 1), "keras-conv output for " + Arrays.toString(shape));
        }
        // the published input gives the published model, layer for layer
        assertEquals(Presets.get("w3").toMap(), Presets.get("w3", new int[] {1, 28, 28}).toMap());
        assertEquals(Presets.get("keras-conv").toMap(), Presets.get("keras-conv", new int[] {1, 28, 28}).toMap());
        // colour W3 on 3x32x32: conv1 32*3*9+32 = 896, conv2 18,496, dense 4096*16+16 = 65,552, dense 16*4096+4096 = 69,632,
        // convT1 18,464, convT2 32*3*9+3 = 867
        Autoencoder c = new Autoencoder(Presets.get("w3", new int[] {3, 32, 32})).bind(BackendsUnderTest.reference(), 1);
        try {
            assertEquals(896 + 18_496 + 65_552 + 69_632 + 18_464 + 867, c.params().size());
        } finally {
            c.close();
        }
    }

    @Test
    void convPresetsSayWhichSizesTheyTake() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.bottleneck.BottleneckException.class,
                () -> Presets.get("keras-conv", new int[] {3, 30, 30}));
        assertTrue(e.getMessage().contains("multiples of 4") && e.getMessage().contains("--image-size 32x32")
                && e.getMessage().contains("w3"), e.getMessage());
        String kerasMessage = e.getMessage();
        e = org.junit.jupiter.api.Assertions.assertThrows(dev.bottleneck.BottleneckException.class, () -> Presets.get("w3", new int[] {30}));
        assertTrue(e.getMessage().contains("convolutional") && e.getMessage().contains("30 values in a row"), e.getMessage());
        for (String m : new String[] {kerasMessage, e.getMessage()}) assertTrue(!m.matches(".*[0-9]+-[0-9]+.*"), "no dense spec suggested: " + m);
        // dense presets are not changed by the data's shape
        assertEquals(Presets.get("w1").toMap(), Presets.get("w1", new int[] {3, 32, 32}).toMap());
    }
}
