package dev.bottleneck.backend.cpu;

import dev.bottleneck.backend.BlasOps;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.openblas.global.openblas_nolapack;

/** {@link BlasOps} of the {@link CpuBackend}. */
final class CpuBlas implements BlasOps {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

    private final CpuBackend be;

    CpuBlas(CpuBackend be) {
        this.be = be;
    }

    /** True while a pair runs: its two GEMMs are timed as one (they overlap), not each on its own. */
    private volatile boolean inPair;

    /**
     * Pairs only products too small to split over the threads on their own: a pair runs each single-threaded, which
     * beat one split product there (W4's 400-20 layers: +6% samples/s) but lost to it where splitting works (W1).
     */
    @Override
    public boolean pairs(int m, int n, int k) {
        return be.par.threads() >= 2 && be.par.gemmParts(m, n, k) == 1;
    }

    @Override
    public void gemmPair(Runnable first, Runnable second) {
        if (be.par.threads() < 2) {
            first.run();
            second.run();
            return;
        }
        long t0 = be.profileGemm ? System.nanoTime() : 0;
        inPair = true;
        try {
            // inside a part, a GEMM's own split runs on that part's thread alone (Parallel runs nested calls inline)
            be.par.tasks(2, part -> (part == 0 ? first : second).run());
        } finally {
            inPair = false;
        }
        if (be.profileGemm) be.gemmNanos += System.nanoTime() - t0;
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, Tensor a, int lda,
                     Tensor b, int ldb, double beta, Tensor c, int ldc) {
        long needA = transA ? (long) (k - 1) * lda + m : (long) (m - 1) * lda + k;
        long needB = transB ? (long) (n - 1) * ldb + k : (long) (k - 1) * ldb + n;
        long needC = (long) (m - 1) * ldc + n;
        if (m <= 0 || n <= 0) return;
        if (needA > a.size() || needB > b.size() || needC > c.size()) {
            throw new IllegalArgumentException("gemm operands too small for m=" + m + " n=" + n + " k=" + k);
        }
        CpuBuffer ba = be.buf(a), bb = be.buf(b), bc = be.buf(c);
        long t0 = be.profileGemm ? System.nanoTime() : 0;
        if (k == 0) { // C = beta C on the m x n block only; beta 0 overwrites (NaN included)
            for (int r = 0; r < m; r++) {
                Tensor row = c.view((long) r * ldc, n);
                if (beta == 0) be.memory().fill(row, 0.0);
                else be.elementwise().affine(row, beta, 0.0, row);
            }
        } else if (be.f32()) {
            int parts = be.par.gemmParts(m, n, k);
            if (parts == 1) {
                sgemm(transA, transB, m, n, k, alpha, ba, a.offset(), lda, bb, b.offset(), ldb, beta, bc, c.offset(), ldc);
            } else if (m >= n) { // split the rows of C (and of op(A))
                be.par.tasks(parts, part -> {
                    int r0 = (int) ((long) m * part / parts), r1 = (int) ((long) m * (part + 1) / parts);
                    long aOff = a.offset() + (transA ? r0 : (long) r0 * lda);
                    sgemm(transA, transB, r1 - r0, n, k, alpha, ba, aOff, lda, bb, b.offset(), ldb, beta, bc,
                            c.offset() + (long) r0 * ldc, ldc);
                });
            } else { // split the columns of C (and of op(B))
                be.par.tasks(parts, part -> {
                    int c0 = (int) ((long) n * part / parts), c1 = (int) ((long) n * (part + 1) / parts);
                    long bOff = b.offset() + (transB ? (long) c0 * ldb : c0);
                    sgemm(transA, transB, m, c1 - c0, k, alpha, ba, a.offset(), lda, bb, bOff, ldb, beta, bc,
                            c.offset() + c0, ldc);
                });
            }
        } else {
            openblas_nolapack.cblas_dgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k,
                    alpha, ba.doubleAt(a.offset()), lda, bb.doubleAt(b.offset()), ldb,
                    beta, bc.doubleAt(c.offset()), ldc);
        }
        if (be.profileGemm) {
            if (!inPair) be.gemmNanos += System.nanoTime() - t0;
            be.recordGemm(transA, transB, m, n, k);
        }
    }

    private static void sgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, CpuBuffer a, long aOff, int lda,
                              CpuBuffer b, long bOff, int ldb, double beta, CpuBuffer c, long cOff, int ldc) {
        openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k,
                (float) alpha, a.floatAt(aOff), lda, b.floatAt(bOff), ldb, (float) beta, c.floatAt(cOff), ldc);
    }
}
