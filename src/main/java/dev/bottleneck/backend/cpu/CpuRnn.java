package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.RnnGeometry;
import dev.bottleneck.backend.RnnOps;
import dev.bottleneck.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * LSTM and GRU on the CPU: the reference implementation of {@link RnnOps}.
 *
 * <p>Per layer and direction, the input projection of all time steps is one GEMM ([N·T, In] × W_ih^T), each time
 * step adds one GEMM of the previous hidden state ([N, H] × W_hh^T, read in place from the layer's output with a
 * row stride of T·D·H) and a point-wise pass over the batch. Backward runs the recurrence in reverse to get the
 * gate gradients of every step, then the input gradient is one GEMM per direction and the weight gradients two
 * GEMMs per direction (all steps at once).
 *
 * <p>Reserve layout (elements), for each block b = l·D + d: activated gates [N, T, G·H]; the state [N, T, H]
 * (LSTM: the cell c; GRU: W_hn h + b_hn); the gradient of the input pre-activations dGi [N, T, G·H]; for GRU only the
 * gradient of the hidden pre-activations dGh [N, T, G·H] (for LSTM they equal dGi). Then the outputs of layers
 * 0..L-2 [N, T, D·H] each, one scratch [N, T, D·H] for their gradients, and one [N, T, H] for shifted hidden states.
 */
final class CpuRnn implements RnnOps {
    private final CpuBackend be;

    CpuRnn(CpuBackend be) {
        this.be = be;
    }

    /** Offsets into the reserve for one shape. */
    private static final class Layout {
        final RnnGeometry g;
        final int n, t, h, gh, dirs;
        final long nt;
        final long blockSize, layerOutBase, dyScratch, hprevScratch, total;

        Layout(RnnGeometry g, int n, int t) {
            this.g = g;
            this.n = n;
            this.t = t;
            this.h = g.hidden();
            this.gh = g.gates() * h;
            this.dirs = g.directions();
            this.nt = (long) n * t;
            this.blockSize = nt * ((g.cell() == RnnGeometry.Cell.GRU ? 3L : 2L) * gh + h);
            long blocks = (long) g.layers() * dirs;
            this.layerOutBase = blocks * blockSize;
            long outs = (long) (g.layers() - 1) * nt * g.outputSize();
            this.dyScratch = layerOutBase + outs;
            this.hprevScratch = dyScratch + (g.layers() > 1 ? nt * g.outputSize() : 0);
            this.total = hprevScratch + nt * h;
        }

        long act(int l, int d) { return (long) (l * dirs + d) * blockSize; }
        long state(int l, int d) { return act(l, d) + nt * gh; }
        long dGi(int l, int d) { return state(l, d) + nt * h; }
        long dGh(int l, int d) { return g.cell() == RnnGeometry.Cell.GRU ? dGi(l, d) + nt * gh : dGi(l, d); }
        long layerOut(int l) { return layerOutBase + (long) l * nt * g.outputSize(); }
    }

    @Override
    public long reserveSize(RnnGeometry g, int batch, int steps) {
        return new Layout(g, batch, steps).total;
    }

    private static void check(RnnGeometry g, Tensor x, Tensor w, Tensor y) {
        if (x.rank() != 3 || x.dim(2) != g.input()) {
            throw new IllegalArgumentException("rnn: input must be [N, T, " + g.input() + "], got " + java.util.Arrays.toString(x.shape()));
        }
        if (w.size() != g.weightCount()) {
            throw new IllegalArgumentException("rnn: weight tensor has " + w.size() + " elements, " + g + " needs " + g.weightCount());
        }
        if (y.size() != (long) x.dim(0) * x.dim(1) * g.outputSize()) {
            throw new IllegalArgumentException("rnn: output must be [N, T, " + g.outputSize() + "], got " + java.util.Arrays.toString(y.shape()));
        }
    }

    private static Tensor span(Tensor base, long off, long len) {
        return base.view(off, Math.toIntExact(len));
    }

    private static double sigmoid(double v) {
        return 1.0 / (1.0 + Math.exp(-v));
    }

    // ------------------------------------------------------------------------------------------------ forward

    @Override
    public void forward(RnnGeometry g, Tensor x, Tensor w, Tensor y, Tensor hy, Tensor reserve) {
        check(g, x, w, y);
        int n = x.dim(0), t = x.dim(1);
        Layout lay = new Layout(g, n, t);
        List<Tensor> temps = new ArrayList<>();
        Tensor res = reserve;
        if (res == null) {
            res = be.memory().allocate(Math.toIntExact(lay.total));
            temps.add(res);
        } else if (res.size() < lay.total) {
            throw new IllegalArgumentException("rnn: reserve has " + res.size() + " elements, needs " + lay.total);
        }
        if (hy != null && hy.size() != (long) g.layers() * g.directions() * n * g.hidden()) {
            throw new IllegalArgumentException("rnn: hy must be [" + g.layers() * g.directions() + ", " + n + ", " + g.hidden() + "]");
        }
        Tensor gh = be.memory().allocate(n, lay.gh);
        temps.add(gh);
        try {
            if (n == 0 || t == 0) return;
            for (int l = 0; l < g.layers(); l++) {
                Tensor xl = l == 0 ? x : span(res, lay.layerOut(l - 1), lay.nt * g.outputSize());
                Tensor yl = l == g.layers() - 1 ? y : span(res, lay.layerOut(l), lay.nt * g.outputSize());
                for (int d = 0; d < lay.dirs; d++) forwardDirection(lay, l, d, xl, w, yl, hy, res, gh);
            }
        } finally {
            for (Tensor tt : temps) be.memory().release(tt);
        }
    }

    private void forwardDirection(Layout lay, int l, int d, Tensor xl, Tensor w, Tensor yl, Tensor hy, Tensor res, Tensor ghT) {
        RnnGeometry g = lay.g;
        int n = lay.n, t = lay.t, h = lay.h, gh = lay.gh, in = g.layerInput(l), dh = g.outputSize();
        boolean lstm = g.cell() == RnnGeometry.Cell.LSTM;
        Tensor act = span(res, lay.act(l, d), lay.nt * gh);
        // input projection of every step at once: act = X W_ih^T
        be.blas().gemm(false, true, (int) lay.nt, gh, in, 1.0, xl, in, span(w, g.wIh(l, d), (long) gh * in), in, 0.0, act, gh);
        CpuArr a = CpuArr.of(be, act), wa = CpuArr.of(be, w), st = CpuArr.of(be, span(res, lay.state(l, d), lay.nt * h));
        CpuArr ya = CpuArr.of(be, yl), gha = CpuArr.of(be, ghT);
        int bi = Math.toIntExact(g.bIh(l, d)), bh = Math.toIntExact(g.bHh(l, d));
        // biases: b_ih for all gates, b_hh too except GRU's n gate (it sits inside r ⊙ (W_hn h + b_hn))
        double[] bias = new double[gh];
        for (int k = 0; k < gh; k++) bias[k] = wa.get(bi + k) + (lstm || k < 2 * h ? wa.get(bh + k) : 0.0);
        CpuArr.split(be, (int) lay.nt, gh, (lo, hi) -> {
            for (int r = lo; r < hi; r++) for (int k = 0; k < gh; k++) a.add(r * gh + k, bias[k]);
        });
        Tensor whh = span(w, g.wHh(l, d), (long) gh * h);
        for (int s = 0; s < t; s++) {
            final int tt = d == 0 ? s : t - 1 - s;
            final int tp = d == 0 ? tt - 1 : tt + 1;
            final boolean first = s == 0;
            if (!first) {
                // gh = h_prev W_hh^T, h_prev read in place from the layer output (row stride T·D·H)
                be.blas().gemm(false, true, n, gh, h, 1.0, span(yl, (long) tp * dh + (long) d * h, (long) (n - 1) * t * dh + h),
                        t * dh, whh, h, 0.0, ghT, gh);
            }
            CpuArr.split(be, n, 8L * gh, (lo, hi) -> {
                for (int b = lo; b < hi; b++) {
                    int row = (b * t + tt) * gh;
                    for (int j = 0; j < h; j++) {
                        if (lstm) {
                            double gi = a.get(row + j), gf = a.get(row + h + j), gg = a.get(row + 2 * h + j), go = a.get(row + 3 * h + j);
                            if (!first) {
                                gi += gha.get(b * gh + j);
                                gf += gha.get(b * gh + h + j);
                                gg += gha.get(b * gh + 2 * h + j);
                                go += gha.get(b * gh + 3 * h + j);
                            }
                            double i = sigmoid(gi), f = sigmoid(gf), gc = Math.tanh(gg), o = sigmoid(go);
                            double cprev = first ? 0.0 : st.get((b * t + tp) * h + j);
                            double c = f * cprev + i * gc;
                            a.set(row + j, i);
                            a.set(row + h + j, f);
                            a.set(row + 2 * h + j, gc);
                            a.set(row + 3 * h + j, o);
                            st.set((b * t + tt) * h + j, c);
                            ya.set((b * t + tt) * dh + d * h + j, o * Math.tanh(c));
                        } else {
                            double gr = a.get(row + j), gz = a.get(row + h + j), gn = a.get(row + 2 * h + j);
                            double ghn = wa.get(bh + 2 * h + j);
                            double hprev = 0.0;
                            if (!first) {
                                gr += gha.get(b * gh + j);
                                gz += gha.get(b * gh + h + j);
                                ghn += gha.get(b * gh + 2 * h + j);
                                hprev = ya.get((b * t + tp) * dh + d * h + j);
                            }
                            double r = sigmoid(gr), z = sigmoid(gz), nn = Math.tanh(gn + r * ghn);
                            a.set(row + j, r);
                            a.set(row + h + j, z);
                            a.set(row + 2 * h + j, nn);
                            st.set((b * t + tt) * h + j, ghn);
                            ya.set((b * t + tt) * dh + d * h + j, (1 - z) * nn + z * hprev);
                        }
                    }
                }
            });
        }
        if (hy != null) {
            CpuArr ha = CpuArr.of(be, hy);
            int last = d == 0 ? t - 1 : 0;
            int base = (l * lay.dirs + d) * n * h;
            for (int b = 0; b < n; b++) for (int j = 0; j < h; j++) ha.set(base + b * h + j, ya.get((b * t + last) * dh + d * h + j));
        }
    }

    // ------------------------------------------------------------------------------------------------ backward

    @Override
    public void backwardData(RnnGeometry g, Tensor w, Tensor y, Tensor dy, Tensor dhy, Tensor dx, Tensor reserve) {
        if (dy.size() != y.size()) throw new IllegalArgumentException("rnn: dy must have the shape of y");
        if (reserve == null) throw new IllegalArgumentException("rnn: backward needs the reserve of a training forward pass");
        int n = y.dim(0), t = y.dim(1);
        Layout lay = new Layout(g, n, t);
        if (dx.size() != lay.nt * g.input()) throw new IllegalArgumentException("rnn: dx must be [N, T, " + g.input() + "]");
        if (reserve.size() < lay.total) throw new IllegalArgumentException("rnn: reserve too small for this shape");
        if (n == 0 || t == 0) return;
        Tensor dhNext = be.memory().allocate(n, g.hidden());
        Tensor dcNext = be.memory().allocate(n, g.hidden());
        try {
            int dh = g.outputSize();
            for (int l = g.layers() - 1; l >= 0; l--) {
                Tensor yl = l == g.layers() - 1 ? y : span(reserve, lay.layerOut(l), lay.nt * dh);
                Tensor dyl = l == g.layers() - 1 ? dy : span(reserve, lay.dyScratch, lay.nt * dh);
                for (int d = 0; d < lay.dirs; d++) backwardDirection(lay, l, d, w, yl, dyl, dhy, reserve, dhNext, dcNext);
                // dX_l = Σ_d dGi_d W_ih_d: the gradient of the layer below's output, or of x
                int in = g.layerInput(l);
                Tensor dxl = l == 0 ? dx : span(reserve, lay.dyScratch, lay.nt * dh);
                for (int d = 0; d < lay.dirs; d++) {
                    be.blas().gemm(false, false, (int) lay.nt, in, lay.gh, 1.0, span(reserve, lay.dGi(l, d), lay.nt * lay.gh), lay.gh,
                            span(w, g.wIh(l, d), (long) lay.gh * in), in, d == 0 ? 0.0 : 1.0, dxl, in);
                }
            }
        } finally {
            be.memory().release(dhNext);
            be.memory().release(dcNext);
        }
    }

    private void backwardDirection(Layout lay, int l, int d, Tensor w, Tensor yl, Tensor dyl, Tensor dhy, Tensor res,
                                   Tensor dhNextT, Tensor dcNextT) {
        RnnGeometry g = lay.g;
        int n = lay.n, t = lay.t, h = lay.h, gh = lay.gh, dh = g.outputSize();
        boolean lstm = g.cell() == RnnGeometry.Cell.LSTM;
        CpuArr a = CpuArr.of(be, span(res, lay.act(l, d), lay.nt * gh));
        CpuArr st = CpuArr.of(be, span(res, lay.state(l, d), lay.nt * h));
        Tensor dGiT = span(res, lay.dGi(l, d), lay.nt * gh), dGhT = span(res, lay.dGh(l, d), lay.nt * gh);
        CpuArr dgi = CpuArr.of(be, dGiT), dgh = CpuArr.of(be, dGhT);
        CpuArr ya = CpuArr.of(be, yl), dya = CpuArr.of(be, dyl), dhn = CpuArr.of(be, dhNextT), dcn = CpuArr.of(be, dcNextT);
        if (dhy != null) {
            be.memory().copy(span(dhy, (long) (l * lay.dirs + d) * n * h, (long) n * h), dhNextT);
        } else {
            be.memory().fill(dhNextT, 0.0);
        }
        be.memory().fill(dcNextT, 0.0);
        Tensor whh = span(w, g.wHh(l, d), (long) gh * h);
        for (int s = t - 1; s >= 0; s--) {
            final int tt = d == 0 ? s : t - 1 - s;
            final int tp = d == 0 ? tt - 1 : tt + 1;
            final boolean first = s == 0;
            CpuArr.split(be, n, 8L * gh, (lo, hi) -> {
                for (int b = lo; b < hi; b++) {
                    int row = (b * t + tt) * gh;
                    for (int j = 0; j < h; j++) {
                        double dhv = dya.get((b * t + tt) * dh + d * h + j) + dhn.get(b * h + j);
                        if (lstm) {
                            double i = a.get(row + j), f = a.get(row + h + j), gc = a.get(row + 2 * h + j), o = a.get(row + 3 * h + j);
                            double c = st.get((b * t + tt) * h + j);
                            double cprev = first ? 0.0 : st.get((b * t + tp) * h + j);
                            double tc = Math.tanh(c);
                            double dc = dcn.get(b * h + j) + dhv * o * (1 - tc * tc);
                            dgi.set(row + j, dc * gc * i * (1 - i));
                            dgi.set(row + h + j, dc * cprev * f * (1 - f));
                            dgi.set(row + 2 * h + j, dc * i * (1 - gc * gc));
                            dgi.set(row + 3 * h + j, dhv * tc * o * (1 - o));
                            dcn.set(b * h + j, dc * f);
                        } else {
                            double r = a.get(row + j), z = a.get(row + h + j), nn = a.get(row + 2 * h + j);
                            double ghn = st.get((b * t + tt) * h + j);
                            double hprev = first ? 0.0 : ya.get((b * t + tp) * dh + d * h + j);
                            double dan = dhv * (1 - z) * (1 - nn * nn);
                            double dar = dan * ghn * r * (1 - r);
                            double daz = dhv * (hprev - nn) * z * (1 - z);
                            dgi.set(row + j, dar);
                            dgi.set(row + h + j, daz);
                            dgi.set(row + 2 * h + j, dan);
                            dgh.set(row + j, dar);
                            dgh.set(row + h + j, daz);
                            dgh.set(row + 2 * h + j, dan * r);
                            dhn.set(b * h + j, dhv * z);
                        }
                    }
                }
            });
            if (!first) {
                // dh_prev (+)= dGh_t W_hh (LSTM: the whole recurrent gradient; GRU: added to dh ⊙ z)
                be.blas().gemm(false, false, n, h, gh, 1.0, span(dGhT, (long) tt * gh, (long) (n - 1) * t * gh + gh), t * gh,
                        whh, h, lstm ? 0.0 : 1.0, dhNextT, h);
            }
        }
    }

    @Override
    public void backwardWeights(RnnGeometry g, Tensor x, Tensor y, Tensor dw, Tensor reserve) {
        check(g, x, dw, y);
        int n = x.dim(0), t = x.dim(1);
        Layout lay = new Layout(g, n, t);
        if (reserve == null || reserve.size() < lay.total) throw new IllegalArgumentException("rnn: reserve too small or missing");
        if (n == 0 || t == 0) return;
        int h = lay.h, gh = lay.gh, dh = g.outputSize();
        Tensor hprevT = span(reserve, lay.hprevScratch, lay.nt * h);
        CpuArr hp = CpuArr.of(be, hprevT), dwa = CpuArr.of(be, dw);
        for (int l = 0; l < g.layers(); l++) {
            int in = g.layerInput(l);
            Tensor xl = l == 0 ? x : span(reserve, lay.layerOut(l - 1), lay.nt * dh);
            CpuArr ya = CpuArr.of(be, l == g.layers() - 1 ? y : span(reserve, lay.layerOut(l), lay.nt * dh));
            for (int d = 0; d < lay.dirs; d++) {
                Tensor dGiT = span(reserve, lay.dGi(l, d), lay.nt * gh), dGhT = span(reserve, lay.dGh(l, d), lay.nt * gh);
                be.blas().gemm(true, false, gh, in, (int) lay.nt, 1.0, dGiT, gh, xl, in, 1.0, span(dw, g.wIh(l, d), (long) gh * in), in);
                final int dd = d;
                for (int b = 0; b < n; b++) {
                    for (int tt = 0; tt < t; tt++) {
                        int tp = dd == 0 ? tt - 1 : tt + 1;
                        boolean none = tp < 0 || tp >= t;
                        for (int j = 0; j < h; j++) hp.set((b * t + tt) * h + j, none ? 0.0 : ya.get((b * t + tp) * dh + dd * h + j));
                    }
                }
                be.blas().gemm(true, false, gh, h, (int) lay.nt, 1.0, dGhT, gh, hprevT, h, 1.0, span(dw, g.wHh(l, d), (long) gh * h), h);
                CpuArr dgi = CpuArr.of(be, dGiT), dgh = CpuArr.of(be, dGhT);
                int bi = Math.toIntExact(g.bIh(l, d)), bh = Math.toIntExact(g.bHh(l, d));
                double[] si = new double[gh], sh = new double[gh];
                for (long r = 0; r < lay.nt; r++) {
                    int o = (int) (r * gh);
                    for (int k = 0; k < gh; k++) {
                        si[k] += dgi.get(o + k);
                        sh[k] += dgh.get(o + k);
                    }
                }
                for (int k = 0; k < gh; k++) {
                    dwa.add(bi + k, si[k]);
                    dwa.add(bh + k, sh[k]);
                }
            }
        }
    }
}
