package dev.bottleneck.nn;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Upsample;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Up-sampling of [N, c, h, w] batches by integer factors: nearest neighbour or bilinear (align_corners=False). */
public final class UpsampleLayer extends Module {
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
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "upsample");
        m.put("scale", Conv2d.specPair(scaleH, scaleW));
        m.put("mode", mode.name().toLowerCase(Locale.ROOT));
        return m;
    }
}
