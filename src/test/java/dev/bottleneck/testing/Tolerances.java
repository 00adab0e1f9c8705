package dev.bottleneck.testing;

/**
 * Every tolerance of the conformance suite, in one place. Inputs are float32-representable, so the only
 * differences from the float64 reference are the backend's own float32 rounding.
 */
public final class Tolerances {
    private Tolerances() {}

    /** FP32 element-wise ops, activations, losses, optimizer steps: relative 1e-5, absolute 1e-6. */
    public static final double ELEMENTWISE_RTOL = 1e-5, ELEMENTWISE_ATOL = 1e-6;

    /**
     * FP32 GEMM: relative 1e-5 times sqrt(k) (rounding of a k-term dot product grows like sqrt(k)), applied to
     * the magnitude scale of the result (the absolute tolerance is the same bound times the largest |C|).
     */
    public static final double GEMM_RTOL = 1e-5;

    /** GEMM with TF32 tensor cores (10-bit mantissa) if a backend ever runs with it on: about 1e-3. */
    public static final double GEMM_TF32_RTOL = 1e-3;

    /** Reductions (sum, sumSquares, sumTo): 1e-5 of the sum of |terms| (float32 accumulation order differs). */
    public static final double REDUCE_RTOL = 1e-5;

    /** Box–Muller normals in float32 (log and cos of float arguments): absolute 2e-5 per value. */
    public static final double NORMAL_ATOL = 2e-5;

    /**
     * A whole forward/backward pass of a small model in FP32 against F64 (a chain of ~15 FP32 ops, GEMMs with
     * k <= 20): relative 1e-4, absolute 1e-5 of the largest magnitude of the compared array.
     */
    public static final double AUTOGRAD_RTOL = 1e-4, AUTOGRAD_ATOL_SCALE = 1e-5;

    public static double gemmRtol(int k, boolean tf32) {
        return (tf32 ? GEMM_TF32_RTOL : GEMM_RTOL) * Math.sqrt(Math.max(1, k));
    }
}
