package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.Activation;
import dev.bottleneck.backend.ActivationOps;
import dev.bottleneck.tensor.Tensor;
import java.nio.FloatBuffer;

/** {@link ActivationOps} of the {@link CpuBackend}. */
final class CpuActivations implements ActivationOps {
    private final CpuBackend be;

    CpuActivations(CpuBackend be) {
        this.be = be;
    }

    @Override
    public void forward(Activation kind, double alpha, Tensor x, Tensor y) {
        CpuBackend.sameSize(x, y, kind.name());
        CpuBuffer bx = be.buf(x), by = be.buf(y);
        int xo = (int) x.offset(), yo = (int) y.offset();
        if (be.f32()) {
            FloatBuffer fx = bx.f, fy = by.f;
            float al = (float) alpha;
            be.par.range(x.size(), (lo, hi) -> {
                switch (kind) {
                    case IDENTITY:
                        for (int i = lo; i < hi; i++) fy.put(yo + i, fx.get(xo + i));
                        break;
                    case RELU:
                        CpuKernels.relu(bx, xo, by, yo, lo, hi);
                        break;
                    case LEAKY_RELU:
                        for (int i = lo; i < hi; i++) { float v = fx.get(xo + i); fy.put(yo + i, v <= 0 ? al * v : v); }
                        break;
                    case SIGMOID:
                        for (int i = lo; i < hi; i++) fy.put(yo + i, sigmoidF(fx.get(xo + i)));
                        break;
                    default:
                        for (int i = lo; i < hi; i++) fy.put(yo + i, (float) kind.apply(fx.get(xo + i), alpha));
                }
            });
        } else {
            be.par.range(x.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) by.set(yo + i, kind.apply(bx.get(xo + i), alpha));
            });
        }
    }

    @Override
    public void backward(Activation kind, double alpha, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean accumulate) {
        CpuBackend.sameSize(x, dx, kind.name());
        CpuBackend.sameSize(dy, dx, kind.name());
        CpuBuffer bx = be.buf(x), by = be.buf(y), bdy = be.buf(dy), bdx = be.buf(dx);
        int xo = (int) x.offset(), yo = (int) y.offset(), dyo = (int) dy.offset(), dxo = (int) dx.offset();
        if (be.f32()) {
            FloatBuffer fx = bx.f, fy = by.f, fdy = bdy.f, fdx = bdx.f;
            float al = (float) alpha;
            if (kind == Activation.RELU) {
                be.par.range(x.size(), (lo, hi) -> CpuKernels.reluBackward(bx, xo, bdy, dyo, bdx, dxo, accumulate, lo, hi));
                return;
            }
            be.par.range(x.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    float d;
                    switch (kind) {
                        case IDENTITY: d = 1f; break;
                        case RELU: d = fx.get(xo + i) <= 0 ? 0f : 1f; break;
                        case LEAKY_RELU: d = fx.get(xo + i) <= 0 ? al : 1f; break;
                        case SIGMOID: { float s = fy.get(yo + i); d = s * (1f - s); break; }
                        case TANH: { float t = fy.get(yo + i); d = 1f - t * t; break; }
                        default: d = (float) kind.derivative(fx.get(xo + i), fy.get(yo + i), alpha);
                    }
                    float g = d * fdy.get(dyo + i);
                    fdx.put(dxo + i, accumulate ? fdx.get(dxo + i) + g : g);
                }
            });
        } else {
            be.par.range(x.size(), (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    double g = kind.derivative(bx.get(xo + i), by.get(yo + i), alpha) * bdy.get(dyo + i);
                    bdx.set(dxo + i, accumulate ? bdx.get(dxo + i) + g : g);
                }
            });
        }
    }

    static float sigmoidF(float v) {
        float e = FastMath.expNonPositive(-Math.abs(v));
        return (v >= 0 ? 1f : e) / (1f + e);
    }
}
