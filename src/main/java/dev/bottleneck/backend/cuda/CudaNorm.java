package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.NormOps;
import dev.bottleneck.backend.Shapes;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.Pointer;

import java.util.HashMap;
import java.util.Map;

import static org.bytedeco.cuda.global.cudnn.CUDNN_BATCHNORM_SPATIAL;
import static org.bytedeco.cuda.global.cudnn.CUDNN_BN_MIN_EPSILON;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationBackward;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationForwardInference;
import static org.bytedeco.cuda.global.cudnn.cudnnBatchNormalizationForwardTraining;
import static org.bytedeco.cuda.global.cudnn.cudnnDeriveBNTensorDescriptor;

/**
 * Batch normalisation through cuDNN in {@code CUDNN_BATCHNORM_SPATIAL} mode (one mean/variance per channel over
 * n, h, w). How {@link NormOps} maps onto cuDNN:
 * <ul>
 *   <li>{@code momentum} is cuDNN's {@code exponentialAverageFactor} (the weight of the new batch statistic,
 *       PyTorch's definition); cuDNN's running variance uses the unbiased batch variance, as PyTorch and the
 *       CPU reference do; normalisation uses the biased one.</li>
 *   <li>{@code saveMean} / {@code saveInvStd} are cuDNN's {@code resultSaveMean} /
 *       {@code resultSaveInvVariance}, which despite the name holds {@code 1 / sqrt(var + eps)}.</li>
 *   <li>{@code gamma}/{@code beta} are {@code bnScale}/{@code bnBias}; {@code dgamma}/{@code dbeta} are
 *       accumulated through {@code betaParamDiff = 1} when {@code accumulateParams}; dx is overwritten.</li>
 *   <li>x may be [n, c], [n, c, l] or [n, c, h, w] (described as [n, c, 1, 1], [n, c, l, 1], [n, c, h, w]).</li>
 *   <li>As on the CPU, runningMean / runningVar (training) and dgamma / dbeta (backward) may be null: cuDNN takes
 *       both running statistics or neither and always writes both parameter gradients, so a missing one is
 *       replaced by a scratch tensor from the pool.</li>
 * </ul>
 * The backward call needs the forward's epsilon again, although it uses the saved statistics.
 */
@SuppressWarnings("deprecation")
final class CudaNorm implements NormOps {
    private final CudaBackend backend;
    private final Cudnn dnn;
    private final Map<Shape, Descs> cache = new HashMap<>();

    private record Shape(int n, int c, int h, int w) {}

    private static final class Descs {
        final cudnnTensorStruct x, bn;

        Descs(cudnnTensorStruct x, cudnnTensorStruct bn) {
            this.x = x;
            this.bn = bn;
        }
    }

    CudaNorm(CudaBackend backend, Cudnn dnn) {
        this.backend = backend;
        this.dnn = dnn;
    }

    @Override
    public void batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                      double momentum, double eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        Shape s = shape(x, "batchNormTrainForward");
        sizes(s.c, "batchNormTrainForward", gamma, beta, saveMean, saveInvStd);
        if (runningMean != null) sizes(s.c, "batchNormTrainForward", runningMean);
        if (runningVar != null) sizes(s.c, "batchNormTrainForward", runningVar);
        sameSize(x, y, "batchNormTrainForward");
        if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException("batch norm momentum must be in [0, 1], got " + momentum);
        checkEps(eps);
        backend.enter();
        synchronized (backend) {
            Descs d = descs(s);
            boolean one = (runningMean == null) != (runningVar == null);
            Tensor scratch = one ? backend.memory().allocate(s.c) : null;
            try {
                Tensor rm = runningMean == null && one ? scratch : runningMean;
                Tensor rv = runningVar == null && one ? scratch : runningVar;
                CudaCheck.cudnn(cudnnBatchNormalizationForwardTraining(dnn.handle, CUDNN_BATCHNORM_SPATIAL, dnn.one, dnn.zero,
                        d.x, at(x), d.x, at(y), d.bn, at(gamma), at(beta), momentum, at(rm), at(rv), eps,
                        at(saveMean), at(saveInvStd)), "cudnnBatchNormalizationForwardTraining(" + s + ")");
                dnn.after("cudnnBatchNormalizationForwardTraining");
            } finally {
                if (scratch != null) backend.memory().release(scratch);   // stream-ordered reuse is safe
            }
        }
    }

    @Override
    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double eps,
                                   Tensor y) {
        Shape s = shape(x, "batchNormInference");
        sizes(s.c, "batchNormInference", gamma, beta, runningMean, runningVar);
        sameSize(x, y, "batchNormInference");
        checkEps(eps);
        backend.enter();
        synchronized (backend) {
            Descs d = descs(s);
            CudaCheck.cudnn(cudnnBatchNormalizationForwardInference(dnn.handle, CUDNN_BATCHNORM_SPATIAL, dnn.one, dnn.zero,
                    d.x, at(x), d.x, at(y), d.bn, at(gamma), at(beta), at(runningMean), at(runningVar), eps),
                    "cudnnBatchNormalizationForwardInference(" + s + ")");
            dnn.after("cudnnBatchNormalizationForwardInference");
        }
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, double eps, Tensor dx,
                                  Tensor dgamma, Tensor dbeta, boolean accumulateParams) {
        Shape s = shape(x, "batchNormBackward");
        checkEps(eps);
        sizes(s.c, "batchNormBackward", gamma, saveMean, saveInvStd);
        if (dgamma != null) sizes(s.c, "batchNormBackward", dgamma);
        if (dbeta != null) sizes(s.c, "batchNormBackward", dbeta);
        sameSize(x, dy, "batchNormBackward");
        sameSize(x, dx, "batchNormBackward");
        backend.enter();
        synchronized (backend) {
            Descs d = descs(s);
            Tensor scratch = dgamma == null || dbeta == null ? backend.memory().allocate(2, s.c) : null;
            try {
                Tensor dg = dgamma != null ? dgamma : scratch.view(0, s.c);
                Tensor db = dbeta != null ? dbeta : scratch.view(s.c, s.c);
                if (scratch != null) backend.memory().fill(scratch, 0.0);   // beta 1 then reads zeros, not garbage
                CudaCheck.cudnn(cudnnBatchNormalizationBackward(dnn.handle, CUDNN_BATCHNORM_SPATIAL, dnn.one, dnn.zero,
                        dnn.one, dnn.beta(accumulateParams), d.x, at(x), d.x, at(dy), d.x, at(dx), d.bn, at(gamma),
                        at(dg), at(db), eps, at(saveMean), at(saveInvStd)),
                        "cudnnBatchNormalizationBackward(" + s + ")");
                dnn.after("cudnnBatchNormalizationBackward");
            } finally {
                if (scratch != null) backend.memory().release(scratch);
            }
        }
    }

    private Descs descs(Shape s) {
        Descs d = cache.get(s);
        if (d != null) return d;
        cudnnTensorStruct x = dnn.tensor(s.n, s.c, s.h, s.w);
        cudnnTensorStruct bn = dnn.emptyTensor();
        CudaCheck.cudnn(cudnnDeriveBNTensorDescriptor(bn, x, CUDNN_BATCHNORM_SPATIAL), "cudnnDeriveBNTensorDescriptor(" + s + ")");
        d = new Descs(x, bn);
        cache.put(s, d);
        return d;
    }

    private static Shape shape(Tensor x, String op) {
        int[] d = x.shape();
        switch (d.length) {
            case 2: return new Shape(d[0], d[1], 1, 1);
            case 3: return new Shape(d[0], d[1], d[2], 1);
            case 4: return new Shape(d[0], d[1], d[2], d[3]);
            default: throw new IllegalArgumentException(op + ": x must be [n, c], [n, c, l] or [n, c, h, w], got " + Shapes.str(d));
        }
    }

    private static void sizes(int c, String op, Tensor... ts) {
        for (Tensor t : ts) {
            if (t == null) throw new IllegalArgumentException(op + ": a per-channel tensor is null");
            if (t.size() != c) throw new IllegalArgumentException(op + ": per-channel tensors need " + c + " elements, got " + Shapes.str(t.shape()));
        }
    }

    private static void sameSize(Tensor a, Tensor b, String op) {
        if (b == null || a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": size mismatch " + Shapes.str(a.shape()) + " vs " + (b == null ? "null" : Shapes.str(b.shape())));
        }
    }

    private static void checkEps(double eps) {
        if (!(eps >= CUDNN_BN_MIN_EPSILON) || !(eps > 0)) {
            throw new IllegalArgumentException("batch norm eps must be positive (and at least cuDNN's " + CUDNN_BN_MIN_EPSILON + "), got " + eps);
        }
    }

    /** Device view of t, or a null pointer for a null tensor. */
    private Pointer at(Tensor t) {
        return t == null ? null : DevicePointers.at(backend.addr(t));
    }
}
