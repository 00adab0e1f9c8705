package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.VariationalSpec;
import dev.bottleneck.tensor.Tensor;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What the generative commands ({@code sample}, {@code interpolate}, {@code latent-map}) share. */
final class Generative {
    private Generative() {}

    /** The variational section of a loaded model, or a one-line error naming the directory. */
    static VariationalSpec requireVariational(Autoencoder model, Path dir, String command) {
        VariationalSpec v = model.spec().variational();
        if (v == null) {
            throw new BottleneckException(command + " needs a variational autoencoder, but " + dir
                    + " holds a plain one (its config has no 'variational' section); train one with e.g. --model w4");
        }
        return v;
    }

    /**
     * The picture shape [channels, height, width] of the model's samples: the data's sample shape saved in
     * config.json, else the model's input shape when it has three dimensions, else a square one-channel image.
     */
    static int[] imageShape(Map<String, Object> config, Autoencoder model, Path dir) {
        Object d = config.get("data");
        if (d instanceof Map && ((Map<?, ?>) d).get("sample_shape") instanceof List) {
            List<?> s = (List<?>) ((Map<?, ?>) d).get("sample_shape");
            if (s.size() == 3) {
                return new int[] {((Number) s.get(0)).intValue(), ((Number) s.get(1)).intValue(), ((Number) s.get(2)).intValue()};
            }
        }
        int[] in = model.inputShape();
        if (in.length == 3) return in;
        int f = model.inputFeatures(), side = (int) Math.round(Math.sqrt(f));
        if (side * side == f) return new int[] {1, side, side};
        throw new BottleneckException("the model in " + dir + " produces samples of " + f + " values, which are not images "
                + "(no image shape in its config.json and not a square number of pixels)");
    }

    /** Decodes {@code count} codes (row-major, {@code model.codeFeatures()} values each) into output rows. */
    static float[] decode(Autoencoder model, float[] codes, int count) {
        var be = model.params().backend();
        int c = model.codeFeatures();
        float[] out = new float[count * model.inputFeatures()];
        int batch = 1000;
        for (int from = 0; from < count; from += batch) {
            int b = Math.min(batch, count - from);
            try (Graph g = Graph.inference(be)) {
                Tensor z = g.temp(b, c);
                be.memory().upload(codes, from * c, z);
                float[] x = be.memory().toFloatArray(model.decode(g, g.constant(z)).value());
                System.arraycopy(x, 0, out, from * model.inputFeatures(), x.length);
            }
        }
        return out;
    }

    /** Encodes rows of {@code data} (the code of a variational autoencoder is μ). */
    static float[] encode(Autoencoder model, float[] data, int count) {
        var be = model.params().backend();
        try (Graph g = Graph.inference(be)) {
            Tensor x = g.temp(count, model.inputFeatures());
            be.memory().upload(data, 0, x);
            return be.memory().toFloatArray(model.encode(g, g.constant(x)).value());
        }
    }
}
