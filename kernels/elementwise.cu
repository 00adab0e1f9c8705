// elementwise.cu: element-wise maths on float32 tensors.
//
// Computes: binary ops with NumPy broadcasting (ADD SUB MUL DIV MAX MIN), unary ops (NEG EXP LOG SQRT SQUARE
// ABS SIGN RECIPROCAL), affine out = alpha*x + beta, axpby y = alpha*x + beta*y, clamp, fill.
// Launch shape: 1-D grid-stride loops, BN_BLOCK (256) threads per block, grid = min(ceil(n/256), 65535*...),
// chosen by dev.bottleneck.backend.cuda.CudaBackend#gridFor. Compiled with --fmad=false so a*b+c rounds twice,
// as Java does.
// Must match: dev.bottleneck.backend.cpu.CpuBackend element-wise ops, i.e. BinaryOp.apply and UnaryOp.apply
// evaluated on float inputs and rounded to float (Java Math.max/min semantics: NaN wins, max(-0,+0) = +0).
#include "common.cuh"

/** Per-dimension output sizes and input strides (0 where an input is stretched), row-major, rank <= 8. */
struct BnBroadcast {
    i64 dims[BN_MAX_RANK];
    i64 sa[BN_MAX_RANK];
    i64 sb[BN_MAX_RANK];
    int rank;
    int pad;
};

/** Op codes: the ordinal of dev.bottleneck.backend.BinaryOp. */
__device__ __forceinline__ float bn_binary(int op, float a, float b) {
    switch (op) {
        case 0: return a + b;
        case 1: return a - b;
        case 2: return a * b;
        case 3: return a / b;
        case 4:  // MAX, Java semantics
            if (a != a || b != b) return a + b;                       // NaN propagates
            if (a == b) return __int_as_float(__float_as_int(a) & __float_as_int(b));  // max(-0,+0) = +0
            return a > b ? a : b;
        case 5:  // MIN, Java semantics
            if (a != a || b != b) return a + b;
            if (a == b) return __int_as_float(__float_as_int(a) | __float_as_int(b));  // min(-0,+0) = -0
            return a < b ? a : b;
        default: return __int_as_float(0x7fc00000);
    }
}

/**
 * out[i] = a[i % aMod] (op) b[i % bMod]: covers equal shapes (mod = n), a scalar (mod = 1) and a trailing-dims
 * operand such as a bias row (mod = its size).
 */
extern "C" __global__ void ew_binary_mod(int op, const float* a, i64 aMod, const float* b, i64 bMod,
                                         float* out, i64 n) {
    BN_GRID_STRIDE(i, n) {
        const float x = a[aMod == n ? i : i % aMod];
        const float y = b[bMod == n ? i : i % bMod];
        out[i] = bn_binary(op, x, y);
    }
}

/** General broadcasting: the output index is decomposed over s.dims and mapped through each input's strides. */
extern "C" __global__ void ew_binary_bcast(int op, const float* a, const float* b, float* out, i64 n,
                                           BnBroadcast s) {
    BN_GRID_STRIDE(i, n) {
        i64 rest = i, ia = 0, ib = 0;
        for (int d = s.rank - 1; d >= 0; d--) {
            const i64 k = rest % s.dims[d];
            rest /= s.dims[d];
            ia += k * s.sa[d];
            ib += k * s.sb[d];
        }
        out[i] = bn_binary(op, a[ia], b[ib]);
    }
}

/** Op codes: the ordinal of dev.bottleneck.backend.UnaryOp. EXP and LOG in double, like the CPU. */
extern "C" __global__ void ew_unary(int op, const float* x, float* out, i64 n) {
    BN_GRID_STRIDE(i, n) {
        const float v = x[i];
        float r;
        switch (op) {
            case 0: r = -v; break;
            case 1: r = (float) exp((double) v); break;
            case 2: r = (float) log((double) v); break;
            case 3: r = sqrtf(v); break;
            case 4: r = v * v; break;
            case 5: r = fabsf(v); break;
            case 6: r = v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : v); break;   // Math.signum: keeps +-0 and NaN
            case 7: r = 1.0f / v; break;
            default: r = __int_as_float(0x7fc00000);
        }
        out[i] = r;
    }
}

/** out = alpha * x + beta (float maths, two roundings). */
extern "C" __global__ void ew_affine(const float* x, float alpha, float beta, float* out, i64 n) {
    BN_GRID_STRIDE(i, n) {
        out[i] = alpha * x[i] + beta;
    }
}

/** y = alpha * x + beta * y; with beta == 0 the old y is not read (NaN in y does not leak). */
extern "C" __global__ void ew_axpby(float alpha, const float* x, float beta, float* y, i64 n) {
    if (beta == 0.0f) {
        BN_GRID_STRIDE(i, n) {
            y[i] = alpha * x[i];
        }
    } else {
        BN_GRID_STRIDE(i, n) {
            y[i] = alpha * x[i] + beta * y[i];
        }
    }
}

/** out = min(max(x, lo), hi) in double like the CPU; NaN stays NaN (Java Math.max/min). */
extern "C" __global__ void ew_clamp(const float* x, double lo, double hi, float* out, i64 n) {
    BN_GRID_STRIDE(i, n) {
        const double v = (double) x[i];
        double r = v;
        if (v == v) {
            r = v < lo ? lo : v;
            r = r > hi ? hi : r;
        }
        out[i] = (float) r;
    }
}

/** out[i] = value. */
extern "C" __global__ void ew_fill(float* out, float value, i64 n) {
    BN_GRID_STRIDE(i, n) {
        out[i] = value;
    }
}
