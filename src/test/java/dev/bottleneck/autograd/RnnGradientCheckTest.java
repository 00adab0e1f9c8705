package dev.bottleneck.autograd;

import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.RnnGeometry;
import dev.bottleneck.backend.RnnGeometry.Cell;
import dev.bottleneck.testing.BackendsUnderTest;
import dev.bottleneck.testing.HostData;
import dev.bottleneck.testing.GradCheck;
import dev.bottleneck.testing.TensorScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static dev.bottleneck.testing.Asserts.assertClose;
import static dev.bottleneck.testing.GradCheck.in;

/**
 * Float64 checks of the recurrent op on the CPU reference: the forward pass against a plain transcription of
 * PyTorch's LSTM/GRU equations over the canonical flat layout, and every gradient (input and all weights) against
 * central differences with the shared harness {@link GradCheck}, as in {@link GradientCheckTest}.
 * Odd sizes (N 3, T 4, F 3, H 5) so no dimension lines up with another.
 */
class RnnGradientCheckTest {
    private final Backend be = BackendsUnderTest.reference();

    static final int N = 3, T = 4, F = 3, H = 5;

    // ------------------------------------------------------------------------------------------ plain reference

    static double sig(double v) { return 1 / (1 + Math.exp(-v)); }

    /** y [N, T, D·H] by the textbook equations, one scalar at a time. */
    static double[] naive(RnnGeometry g, double[] x, double[] w, int n, int t) {
        double[] in = x;
        int inF = g.input();
        int dh = g.outputSize(), h = g.hidden(), G = g.gates();
        double[] out = null;
        for (int l = 0; l < g.layers(); l++) {
            out = new double[n * t * dh];
            for (int d = 0; d < g.directions(); d++) {
                int wi = (int) g.wIh(l, d), wh = (int) g.wHh(l, d), bi = (int) g.bIh(l, d), bh = (int) g.bHh(l, d);
                for (int b = 0; b < n; b++) {
                    double[] hp = new double[h], cp = new double[h];
                    for (int s = 0; s < t; s++) {
                        int tt = d == 0 ? s : t - 1 - s;
                        double[] gx = new double[G * h], gr = new double[G * h];
                        for (int k = 0; k < G * h; k++) {
                            double a = w[bi + k], c = w[bh + k];
                            for (int f = 0; f < inF; f++) a += w[wi + k * inF + f] * in[(b * t + tt) * inF + f];
                            for (int j = 0; j < h; j++) c += w[wh + k * h + j] * hp[j];
                            gx[k] = a;
                            gr[k] = c;
                        }
                        double[] hn = new double[h], cn = new double[h];
                        for (int j = 0; j < h; j++) {
                            if (g.cell() == Cell.LSTM) {
                                double i = sig(gx[j] + gr[j]), f = sig(gx[h + j] + gr[h + j]);
                                double gg = Math.tanh(gx[2 * h + j] + gr[2 * h + j]), o = sig(gx[3 * h + j] + gr[3 * h + j]);
                                cn[j] = f * cp[j] + i * gg;
                                hn[j] = o * Math.tanh(cn[j]);
                            } else {
                                double r = sig(gx[j] + gr[j]), z = sig(gx[h + j] + gr[h + j]);
                                double nn = Math.tanh(gx[2 * h + j] + r * gr[2 * h + j]);
                                hn[j] = (1 - z) * nn + z * hp[j];
                            }
                            out[(b * t + tt) * dh + d * h + j] = hn[j];
                        }
                        hp = hn;
                        cp = cn;
                    }
                }
            }
            in = out;
            inF = dh;
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ checks

    @ParameterizedTest(name = "{0} layers={1} bidirectional={2} last={3}")
    @CsvSource({"LSTM,1,false,false", "LSTM,2,true,false", "LSTM,2,true,true", "GRU,1,false,true", "GRU,2,true,false"})
    void gradientsMatchFiniteDifferences(Cell cell, int layers, boolean bidi, boolean last) {
        RnnGeometry geo = new RnnGeometry(cell, F, H, layers, bidi);
        SplittableRandom rnd = HostData.rng(cell.ordinal() * 31 + layers * 7 + (bidi ? 1 : 0) + (last ? 100 : 0));
        double[] x = HostData.uniform(rnd, N * T * F, -1, 1);
        double[] w = HostData.uniform(rnd, (int) geo.weightCount(), -0.6, 0.6);
        int outSize = last ? N * geo.outputSize() : N * T * geo.outputSize();
        double[] r = HostData.uniform(rnd, outSize, -1, 1);

        // forward against the plain equations
        try (TensorScope s = new TensorScope(be); Graph g = Graph.inference(be)) {
            Var y = g.rnn(geo, g.constant(s.tensor(x, N, T, F)), g.constant(s.tensor(w, (int) geo.weightCount())));
            assertClose(naive(geo, x, w, N, T), s.get(y.value()), 1e-12, 1e-13, geo + " forward vs plain equations");
        }

        // every gradient (input and weights) against central differences, with this R
        GradCheck.check(geo.toString(), GradCheck.Setup.PLAIN.withWeights(r), (g, v) -> {
            Var y = g.rnn(geo, v[0], v[1]);
            return last ? g.lastHidden(y, geo.directions()) : y;
        }, in("x", x, N, T, F), in("w", w, (int) geo.weightCount()));
    }
}
