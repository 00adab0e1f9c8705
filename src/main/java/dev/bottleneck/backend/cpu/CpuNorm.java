package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.NormOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;

/**
 * Batch normalisation of the CPU backend over [n, c, ...] tensors (statistics per channel over the batch and every
 * spatial position), channels split over the backend's threads. Sums are taken in double; the variance is the
 * two-pass {@code mean((x - mean)^2)}, so it stays accurate when the mean is large.
 */
final class CpuNorm implements NormOps {
    private final CpuBackend be;

    CpuNorm(CpuBackend be) {
        this.be = be;
    }

    /** {n, c, spatial} of x, checking the per-channel tensors. */
    private static int[] dims(Tensor x, String op, Tensor... perChannel) {
        if (x.rank() < 2) throw new IllegalArgumentException(op + ": input must be [n, c, ...], got " + Shapes.str(x.shape()));
        int n = x.dim(0), c = x.dim(1);
        int s = (int) (x.size() / ((long) n * c));
        for (Tensor t : perChannel) {
            if (t != null && t.size() != c) {
                throw new IllegalArgumentException(op + ": per-channel tensor " + Shapes.str(t.shape()) + " for " + c + " channels");
            }
        }
        return new int[] {n, c, s};
    }

    @Override
    public void batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                      double momentum, double eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        int[] d = dims(x, "batch norm", gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
        int n = d[0], c = d[1], s = d[2];
        if (y.size() != x.size()) throw new IllegalArgumentException("batch norm: output size differs from input");
        CpuArr xa = CpuArr.of(be, x), ya = CpuArr.of(be, y), ga = CpuArr.of(be, gamma), ba = CpuArr.of(be, beta);
        CpuArr rm = runningMean == null ? null : CpuArr.of(be, runningMean), rv = runningVar == null ? null : CpuArr.of(be, runningVar);
        CpuArr sm = CpuArr.of(be, saveMean), si = CpuArr.of(be, saveInvStd);
        long m = (long) n * s;
        CpuArr.split(be, c, m, (lo, hi) -> {
            for (int ch = lo; ch < hi; ch++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * s;
                    for (int j = 0; j < s; j++) sum += xa.get(base + j);
                }
                double mean = sum / m;
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * s;
                    for (int j = 0; j < s; j++) {
                        double v = xa.get(base + j) - mean;
                        sq += v * v;
                    }
                }
                double var = sq / m;
                double inv = 1.0 / Math.sqrt(var + eps);
                double scale = ga.get(ch) * inv, shift = ba.get(ch) - mean * scale;
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * s;
                    for (int j = 0; j < s; j++) ya.set(base + j, xa.get(base + j) * scale + shift);
                }
                sm.set(ch, mean);
                si.set(ch, inv);
                if (rm != null) rm.set(ch, (1 - momentum) * rm.get(ch) + momentum * mean);
                if (rv != null) rv.set(ch, (1 - momentum) * rv.get(ch) + momentum * (m > 1 ? sq / (m - 1) : var));
            }
        });
    }

    @Override
    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double eps,
                                   Tensor y) {
        int[] d = dims(x, "batch norm inference", gamma, beta, runningMean, runningVar);
        int n = d[0], c = d[1], s = d[2];
        if (y.size() != x.size()) throw new IllegalArgumentException("batch norm: output size differs from input");
        CpuArr xa = CpuArr.of(be, x), ya = CpuArr.of(be, y), ga = CpuArr.of(be, gamma), ba = CpuArr.of(be, beta);
        CpuArr rm = CpuArr.of(be, runningMean), rv = CpuArr.of(be, runningVar);
        CpuArr.split(be, c, (long) n * s, (lo, hi) -> {
            for (int ch = lo; ch < hi; ch++) {
                double scale = ga.get(ch) / Math.sqrt(rv.get(ch) + eps), shift = ba.get(ch) - rm.get(ch) * scale;
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * s;
                    for (int j = 0; j < s; j++) ya.set(base + j, xa.get(base + j) * scale + shift);
                }
            }
        });
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, double eps, Tensor dx,
                                  Tensor dgamma, Tensor dbeta, boolean accumulateParams) {
        int[] d = dims(x, "batch norm backward", gamma, saveMean, saveInvStd, dgamma, dbeta);
        int n = d[0], c = d[1], s = d[2];
        if (dy.size() != x.size() || dx.size() != x.size()) throw new IllegalArgumentException("batch norm backward: size mismatch");
        CpuArr xa = CpuArr.of(be, x), dya = CpuArr.of(be, dy), dxa = CpuArr.of(be, dx), ga = CpuArr.of(be, gamma);
        CpuArr sm = CpuArr.of(be, saveMean), si = CpuArr.of(be, saveInvStd);
        CpuArr dga = dgamma == null ? null : CpuArr.of(be, dgamma), dba = dbeta == null ? null : CpuArr.of(be, dbeta);
        long m = (long) n * s;
        CpuArr.split(be, c, m, (lo, hi) -> {
            for (int ch = lo; ch < hi; ch++) {
                double mean = sm.get(ch), inv = si.get(ch);
                double sdy = 0, sdyx = 0;
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * s;
                    for (int j = 0; j < s; j++) {
                        double g = dya.get(base + j);
                        sdy += g;
                        sdyx += g * (xa.get(base + j) - mean);
                    }
                }
                double dg = sdyx * inv; // sum dy * xhat
                // dx = gamma inv / m * (m dy - sum dy - xhat sum(dy xhat))
                double k = ga.get(ch) * inv / m;
                for (int i = 0; i < n; i++) {
                    int base = (i * c + ch) * s;
                    for (int j = 0; j < s; j++) {
                        double xhat = (xa.get(base + j) - mean) * inv;
                        dxa.set(base + j, k * (m * dya.get(base + j) - sdy - xhat * dg));
                    }
                }
                if (dga != null) dga.set(ch, accumulateParams ? dga.get(ch) + dg : dg);
                if (dba != null) dba.set(ch, accumulateParams ? dba.get(ch) + sdy : sdy);
            }
        });
    }
}
