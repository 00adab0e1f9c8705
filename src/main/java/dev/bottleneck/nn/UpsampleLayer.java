package dev.bottleneck.nn;

import dev.bottleneck.io.Json;
import dev.bottleneck.io.MapValues;
import dev.bottleneck.Limits;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Upsample;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/** Up-sampling of [N, c, h, w] batches by integer factors: nearest neighbour or bilinear (align_corners=False). */
public final class UpsampleLayer extends Module {
    /** Spec type {@code upsample}: {@code scale} (an int or a pair, default 2), {@code mode} (nearest or bilinear). */
    public static final LayerSpec SPEC = (l, shape, out, where) -> {
        SpecValues.requireImage("upsample", shape, where);
        int[] sc = SpecValues.pair(l, "scale", where, new int[] {2, 2}, 1);
        Limits.SAMPLE_VALUES.check(Limits.saturatedMultiply((long) shape[0] * shape[1] * sc[0], (long) shape[2] * sc[1]),
                where + ": the upsampled output of " + java.util.Arrays.toString(shape) + " by " + sc[0] + "x" + sc[1] + " per sample");
        return SpecValues.add(new UpsampleLayer(Upsample.parse(l.containsKey("mode") ? MapValues.text(l.get("mode"), where + ": 'mode'") : "nearest"),
                sc[0], sc[1]), shape, out, where);
    };

    private final Upsample mode;
    private final int scaleH, scaleW;

    public UpsampleLayer(Upsample mode, int scaleH, int scaleW) {
        if (scaleH < 1 || scaleW < 1) throw new BottleneckException("upsample scale must be a positive integer, got " + scaleH + "x" + scaleW);
        this.mode = mode;
        this.scaleH = scaleH;
        this.scaleW = scaleW;
    }

    public Upsample mode() { return mode; }

    @Override
    public Var forward(Graph g, Var x) {
        if (x.value().rank() != 4) throw new BottleneckException(describe() + " needs input [N, c, h, w], got " + Arrays.toString(x.shape()));
        return g.upsample2d(x, mode, scaleH, scaleW);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        if (inputShape.length != 3) throw new BottleneckException(describe() + " needs samples of shape [c, h, w], got " + Arrays.toString(inputShape));
        return new int[] {inputShape[0], inputShape[1] * scaleH, inputShape[2] * scaleW};
    }

    @Override
    public String describe() {
        return "Upsample(" + Conv2d.pair(scaleH, scaleW) + ", " + mode.name().toLowerCase(Locale.ROOT) + ")";
    }

    @Override
    public Map<String, Object> spec() {
        return Json.object("type", "upsample", "scale", Conv2d.specPair(scaleH, scaleW),
                "mode", mode.name().toLowerCase(Locale.ROOT));
    }
}
