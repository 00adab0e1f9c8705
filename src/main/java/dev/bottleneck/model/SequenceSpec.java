package dev.bottleneck.model;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.Limits;
import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.backend.Loss;
import dev.bottleneck.backend.RnnGeometry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A sequence (LSTM/GRU) autoencoder for windows of T steps of F features:
 * <pre>
 *   encoder: RNN (return the top layer's last hidden state, both directions when bidirectional)
 *            → linear projection to the latent vector (omitted when latent is 0: the code is the hidden state)
 *   decoder: repeat the code T times (with teacher forcing: plus the previous true step, zeros at step 0)
 *            → RNN returning the sequence → the same linear map at every step back to F features
 *   loss:    MSE over all steps and features
 * </pre>
 * Written as {@code {"input": [T, F], "sequence": {"cell": "lstm", "hidden": 64, "layers": 1, "latent": 16,
 * "bidirectional": false, "teacher_forcing": false}}}; it expands to ordinary {@link ModelSpec} layer lists with the
 * layer types {@code lstm}/{@code gru} ({@code hidden}, {@code layers}, {@code bidirectional}, {@code return}:
 * {@code last} or {@code sequence}), {@code repeat} ({@code steps}, optional {@code teacher_forcing} and
 * {@code features}) and {@code step_linear} ({@code units}), which can also be combined by hand. The expanded form is
 * what {@code config.json} stores, so a saved model reloads without this class.
 */
public record SequenceSpec(String name, int steps, int features, RnnGeometry.Cell cell, int hidden, int layers, int latent,
                           boolean bidirectional, boolean teacherForcing) {
    public SequenceSpec {
        if (steps < 1 || features < 1) throw new BottleneckException("sequence autoencoder: input must be [T, F] with T, F >= 1");
        if (hidden < 1 || layers < 1 || latent < 0) {
            throw new BottleneckException("sequence autoencoder: hidden and layers must be >= 1 and latent >= 0");
        }
    }

    /** LSTM, 1 layer, unidirectional, no teacher forcing. */
    public static SequenceSpec lstm(int steps, int features, int hidden, int latent) {
        return new SequenceSpec("lstm-ae", steps, features, RnnGeometry.Cell.LSTM, hidden, 1, latent, false, false);
    }

    public SequenceSpec withCell(RnnGeometry.Cell c) { return new SequenceSpec(name, steps, features, c, hidden, layers, latent, bidirectional, teacherForcing); }
    public SequenceSpec withLayers(int l) { return new SequenceSpec(name, steps, features, cell, hidden, l, latent, bidirectional, teacherForcing); }
    public SequenceSpec withBidirectional(boolean b) { return new SequenceSpec(name, steps, features, cell, hidden, layers, latent, b, teacherForcing); }
    public SequenceSpec withTeacherForcing(boolean b) { return new SequenceSpec(name, steps, features, cell, hidden, layers, latent, bidirectional, b); }

    /** Parses the {@code sequence} section of a model spec (with the top-level {@code input: [T, F]}). */
    public static SequenceSpec fromMap(Map<String, Object> m, String source) {
        Object in = m.get("input");
        if (!(in instanceof List<?> list) || list.size() != 2) {
            throw new BottleneckException(source + ": a sequence autoencoder needs 'input': [T, F] (steps per window, features per step)");
        }
        int t = MapValues.limited(list.get(0), source + ": 'input' steps T", 1, Limits.SAMPLE_VALUES);
        int f = MapValues.limited(list.get(1), source + ": 'input' features F", 1, Limits.SAMPLE_VALUES);
        Limits.SAMPLE_VALUES.check((long) t * f, source + ": 'input' [" + t + ", " + f + "]");
        if (!(m.get("sequence") instanceof Map<?, ?>)) throw new BottleneckException(source + ": 'sequence' must be an object");
        Map<String, Object> s = MapValues.map(m.get("sequence"), source + ": 'sequence'");
        for (Object k : s.keySet()) {
            if (!List.of("cell", "hidden", "layers", "latent", "bidirectional", "teacher_forcing").contains(k.toString())) {
                throw new BottleneckException(source + ": unknown key '" + k + "' in 'sequence' (expected cell, hidden, layers, latent, "
                        + "bidirectional, teacher_forcing)");
            }
        }
        try {
            RnnGeometry.Cell cell = RnnGeometry.Cell.parse(MapValues.textOr(s.get("cell"), "lstm", source + ": 'sequence.cell'"));
            String name = m.get("name") != null ? MapValues.text(m.get("name"), source + ": 'name'") : source;
            return new SequenceSpec(name, t, f, cell,
                    MapValues.limitedOr(s.get("hidden"), 64, source + ": 'sequence.hidden'", 1, Limits.SAMPLE_VALUES),
                    MapValues.limitedOr(s.get("layers"), 1, source + ": 'sequence.layers'", 1, Limits.LAYERS),
                    MapValues.limitedOr(s.get("latent"), 16, source + ": 'sequence.latent'", 0, Limits.SAMPLE_VALUES),
                    MapValues.bool(s.get("bidirectional"), false, source + ": 'sequence.bidirectional'"),
                    MapValues.bool(s.get("teacher_forcing"), false, source + ": 'sequence.teacher_forcing'"));
        } catch (IllegalArgumentException e) {
            throw new BottleneckException(source + ": " + e.getMessage());
        }
    }

    /** The expanded model spec (MSE, mean reduction). */
    public ModelSpec toModelSpec() {
        List<Map<String, Object>> enc = new ArrayList<>(), dec = new ArrayList<>();
        enc.add(rnn(bidirectional, "last"));
        if (latent > 0) {
            Map<String, Object> p = Json.object("type", "linear", "units", latent, "activation", "linear");
            enc.add(p);
        }
        Map<String, Object> rep = Json.object("type", "repeat", "steps", steps);
        if (teacherForcing) {
            rep.put("teacher_forcing", true);
            rep.put("features", features);
        }
        dec.add(rep);
        dec.add(rnn(false, "sequence"));
        Map<String, Object> out = Json.object("type", "step_linear", "units", features);
        dec.add(out);
        return new ModelSpec(name, new int[] {steps, features}, enc, dec, Loss.MSE, Loss.Reduction.MEAN, List.of());
    }

    private Map<String, Object> rnn(boolean bidi, String ret) {
        return Json.object("type", cell.specName(), "hidden", hidden, "layers", layers, "bidirectional", bidi,
                "return", ret);
    }
}
