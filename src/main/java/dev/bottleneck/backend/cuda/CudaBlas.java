package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.BlasOps;
import dev.bottleneck.tensor.Tensor;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

/** {@link BlasOps} of the {@link CudaBackend}. */
final class CudaBlas extends CudaOps implements BlasOps {
    CudaBlas(CudaBackend be) {
        super(be);
    }

    /**
     * Row-major C = alpha op(A) op(B) + beta C through column-major cuBLAS: a row-major matrix is its
     * transpose in column-major, so compute C^T = op(B)^T op(A)^T, i.e. sgemm(opB, opA, n, m, k, B, ldb,
     * A, lda, C, ldc) with the same op flags (docs/CUDA.md §9).
     */
    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, Tensor a, int lda,
                     Tensor b, int ldb, double beta, Tensor c, int ldc) {
        be.enter();
        if (m <= 0 || n <= 0) return;
        long needA = transA ? (long) (k - 1) * lda + m : (long) (m - 1) * lda + k;
        long needB = transB ? (long) (n - 1) * ldb + k : (long) (k - 1) * ldb + n;
        long needC = (long) (m - 1) * ldc + n;
        if (k > 0 && (needA > a.size() || needB > b.size()) || needC > c.size()) {
            throw new IllegalArgumentException("gemm operands too small for m=" + m + " n=" + n + " k=" + k
                    + " (A " + a.size() + ", B " + b.size() + ", C " + c.size() + " elements)");
        }
        if (ldc < n || (k > 0 && (lda < (transA ? m : k) || ldb < (transB ? k : n)))) {
            throw new IllegalArgumentException("gemm leading dimensions too small: lda=" + lda + " ldb=" + ldb + " ldc=" + ldc
                    + " for m=" + m + " n=" + n + " k=" + k);
        }
        if (k <= 0) {   // C = beta C (with beta == 0 the old C is ignored)
            for (int r = 0; r < m; r++) {
                Tensor row = c.view((long) r * ldc, n);
                if (beta == 0) be.memory().fill(row, 0.0); else be.elementwise().affine(row, beta, 0.0, row);
            }
            return;
        }
        synchronized (be) {
            be.sgemm.sgemm(transB, transA, n, m, k, (float) alpha, be.addr(b), ldb, be.addr(a), lda, (float) beta, be.addr(c), ldc);
        }
    }

    /**
     * Column-major C = alpha op(A) op(B) + beta C on device addresses, as {@code cublasSgemm_v2} defines it: what
     * {@link #gemm} calls (through {@link CudaBackend#sgemm}, so that the kernel emulator's tests can put a
     * reference SGEMM in its place and check the row-major mapping above). Under the backend lock.
     */
    interface Sgemm {
        void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                   float beta, long c, int ldc);
    }

    /** {@link Sgemm} through cuBLAS on the backend's stream (host pointer mode for alpha and beta). */
    static Sgemm cublas(CudaBackend be) {
        return (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) -> {
            be.alphaHost.put(0, alpha);
            be.betaHost.put(0, beta);   // host pointer mode: read before cublasSgemm_v2 returns
            CudaCheck.cublas(cublasSgemm_v2(be.cublas, transA ? CUBLAS_OP_T : CUBLAS_OP_N, transB ? CUBLAS_OP_T : CUBLAS_OP_N,
                    m, n, k, be.alphaHost, DevicePointers.floats(a), lda, DevicePointers.floats(b), ldb,
                    be.betaHost, DevicePointers.floats(c), ldc),
                    "cublasSgemm_v2(m=" + n + ", n=" + m + ", k=" + k + ")");
            if (be.syncEveryLaunch) CudaCheck.cuda(cudaStreamSynchronize(be.stream), "cublasSgemm_v2");
        };
    }
}
