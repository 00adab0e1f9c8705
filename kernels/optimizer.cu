// optimizer.cu: fused optimizer updates over flat float32 arenas (one launch per step for all parameters).
//
// Computes (PyTorch torch.optim semantics, see dev.bottleneck.backend.OptimizerOps):
//   opt_sgd:     g = grad + wd p; with momentum v = mu v + g, g = nesterov ? g + mu v : v; p -= lr g
//   opt_adam:    Adam (g = grad + wd p) or AdamW (p *= 1 - lr wd); m, v moments; bias-corrected step
//   opt_rmsprop: g = grad + wd p; s = alpha s + (1-alpha) g^2; u = g/(sqrt(s)+eps); with momentum b = mu b + u;
//                p -= lr (b or u)
// Launch shape: 1-D grid-stride loop, BN_BLOCK (256) threads per block, over the whole arena.
// Must match: dev.bottleneck.backend.cpu.CpuBackend optimizer ops: SGD and RMSprop in double per element,
// Adam in float with host-precomputed constants, operations in the same order.
#include "common.cuh"

/** velocity may be 0 when momentum == 0. */
extern "C" __global__ void opt_sgd(float* p, const float* grad, float* velocity, i64 n, double lr,
                                   double momentum, int nesterov, double wd) {
    BN_GRID_STRIDE(i, n) {
        const double pi = (double) p[i];
        double gi = (double) grad[i] + wd * pi;
        if (velocity != 0) {
            const double vi = momentum * (double) velocity[i] + gi;
            velocity[i] = (float) vi;
            gi = nesterov ? gi + momentum * vi : vi;
        }
        p[i] = (float) (pi - lr * gi);
    }
}

/**
 * b1, b2: betas; c1 = 1-b1, c2 = 1-b2; stepSize = lr / (1 - b1^t); invSqrtBc2 = 1 / sqrt(1 - b2^t);
 * decay = 1 - lr wd (used when decoupled), wd (used when not).
 */
extern "C" __global__ void opt_adam(float* p, const float* grad, float* m, float* v, i64 n, float b1, float b2,
                                    float c1, float c2, float stepSize, float invSqrtBc2, float eps, float wd,
                                    float decay, int decoupled) {
    BN_GRID_STRIDE(i, n) {
        float pi = p[i], gi = grad[i];
        if (decoupled) pi *= decay; else gi += wd * pi;
        const float mi = b1 * m[i] + c1 * gi;
        const float vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - stepSize * mi / (sqrtf(vi) * invSqrtBc2 + eps);
    }
}

/** buf may be 0 when momentum == 0. */
extern "C" __global__ void opt_rmsprop(float* p, const float* grad, float* sqAvg, float* buf, i64 n, double lr,
                                       double alpha, double eps, double wd, double momentum) {
    BN_GRID_STRIDE(i, n) {
        const double pi = (double) p[i];
        const double gi = (double) grad[i] + wd * pi;
        const double si = alpha * (double) sqAvg[i] + (1.0 - alpha) * gi * gi;
        sqAvg[i] = (float) si;
        double upd = gi / (sqrt(si) + eps);
        if (buf != 0) {
            upd = momentum * (double) buf[i] + upd;
            buf[i] = (float) upd;
        }
        p[i] = (float) (pi - lr * upd);
    }
}
