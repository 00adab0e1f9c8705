package dev.bottleneck.backend.cuda;

import dev.bottleneck.backend.RnnGeometry;
import dev.bottleneck.backend.RnnOps;
import dev.bottleneck.tensor.Tensor;
import org.bytedeco.cuda.cudnn.cudnnDropoutStruct;
import org.bytedeco.cuda.cudnn.cudnnRNNDataStruct;
import org.bytedeco.cuda.cudnn.cudnnRNNStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.cuda.global.cudnn.CUDNN_BIDIRECTIONAL;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DATA_FLOAT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FMA_MATH;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FWD_MODE_INFERENCE;
import static org.bytedeco.cuda.global.cudnn.CUDNN_FWD_MODE_TRAINING;
import static org.bytedeco.cuda.global.cudnn.CUDNN_GRU;
import static org.bytedeco.cuda.global.cudnn.CUDNN_LINEAR_INPUT;
import static org.bytedeco.cuda.global.cudnn.CUDNN_LSTM;
import static org.bytedeco.cuda.global.cudnn.CUDNN_RNN_ALGO_STANDARD;
import static org.bytedeco.cuda.global.cudnn.CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED;
import static org.bytedeco.cuda.global.cudnn.CUDNN_RNN_DOUBLE_BIAS;
import static org.bytedeco.cuda.global.cudnn.CUDNN_RNN_PADDED_IO_ENABLED;
import static org.bytedeco.cuda.global.cudnn.CUDNN_UNIDIRECTIONAL;
import static org.bytedeco.cuda.global.cudnn.CUDNN_WGRAD_MODE_ADD;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateDropoutDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateRNNDataDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateRNNDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnCreateTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyDropoutDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyRNNDataDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyRNNDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnDestroyTensorDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnGetRNNTempSpaceSizes;
import static org.bytedeco.cuda.global.cudnn.cudnnGetRNNWeightParams;
import static org.bytedeco.cuda.global.cudnn.cudnnGetRNNWeightSpaceSize;
import static org.bytedeco.cuda.global.cudnn.cudnnGetTensorNdDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnRNNBackwardData_v8;
import static org.bytedeco.cuda.global.cudnn.cudnnRNNBackwardWeights_v8;
import static org.bytedeco.cuda.global.cudnn.cudnnRNNForward;
import static org.bytedeco.cuda.global.cudnn.cudnnSetDropoutDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetRNNDataDescriptor;
import static org.bytedeco.cuda.global.cudnn.cudnnSetRNNDescriptor_v8;
import static org.bytedeco.cuda.global.cudnn.cudnnSetTensorNdDescriptor;

/**
 * {@link RnnOps} through cuDNN's v8 RNN API (docs/CUDA.md §14): {@code cudnnRNNForward},
 * {@code cudnnRNNBackwardData_v8} then {@code cudnnRNNBackwardWeights_v8} with one reserve, batch-major unpacked
 * sequences of full length T, zero initial states, double bias (PyTorch's b_ih and b_hh).
 *
 * <p>Weights: the canonical flat layout of {@link RnnGeometry} is copied into cuDNN's weight space matrix by matrix
 * (per pseudo-layer l·D + d and linear-layer id: LSTM 0-3 input weights of i, f, g, o and 4-7 recurrent; GRU 0-2
 * and 3-5 for r, z, n), at the offsets {@code cudnnGetRNNWeightParams} reports; each gate block [H, In] is
 * row-major in both layouts (PyTorch's cuDNN path relies on the same). Weight gradients are produced in a cuDNN
 * weight-space buffer zeroed first ({@code CUDNN_WGRAD_MODE_ADD} accumulates) and then added block by block into the
 * canonical gradient. Math: strict FP32 ({@code CUDNN_FMA_MATH}) unless the backend allows TF32.
 *
 * <p>STATUS: compiled only; it has not yet run on a GPU in this project. The RNN conformance test
 * ({@code RnnConformanceTest}) compares it with the F64 CPU reference wherever the CUDA backend loads.
 */
final class CudaRnn implements RnnOps {
    private final CudaBackend backend;
    private final Cudnn dnn;
    private final boolean tf32;
    private final cudnnDropoutStruct dropout = new cudnnDropoutStruct();
    private final Map<Key, Plan> plans = new HashMap<>();

    private record Key(RnnGeometry g, int n, int t) { }

    /** Descriptors, sizes, device sequence lengths and weight-block offsets of one shape. */
    private static final class Plan {
        final cudnnRNNStruct rnn = new cudnnRNNStruct();
        final cudnnRNNDataStruct xDesc = new cudnnRNNDataStruct(), yDesc = new cudnnRNNDataStruct();
        final cudnnTensorStruct hDesc = new cudnnTensorStruct(), cDesc = new cudnnTensorStruct();
        long weightBytes, workTrain, workInfer, reserveBytes;
        Tensor seqLengths;        // int[n] in device memory (stored in a float tensor's bytes)
        Tensor wSpace, dwSpace;   // cuDNN-layout weights and weight gradients
        /** {canonical element offset, weight-space element offset, element count} per copied block. */
        final List<long[]> blocks = new ArrayList<>();
    }

    CudaRnn(CudaBackend backend, Cudnn dnn, boolean tf32) {
        this.backend = backend;
        this.dnn = dnn;
        this.tf32 = tf32;
        CudaCheck.cudnn(cudnnCreateDropoutDescriptor(dropout), "cudnnCreateDropoutDescriptor");
        CudaCheck.cudnn(cudnnSetDropoutDescriptor(dropout, dnn.handle, 0f, null, 0, 0L), "cudnnSetDropoutDescriptor(p = 0)");
    }

    private Pointer at(Tensor t) {
        return DevicePointers.at(backend.addr(t));
    }

    private Plan plan(RnnGeometry g, int n, int t) {
        return plans.computeIfAbsent(new Key(g, n, t), k -> create(g, n, t));
    }

    private Plan create(RnnGeometry g, int n, int t) {
        Plan p = new Plan();
        int h = g.hidden(), ld = g.layers() * g.directions();
        CudaCheck.cudnn(cudnnCreateRNNDescriptor(p.rnn), "cudnnCreateRNNDescriptor");
        CudaCheck.cudnn(cudnnSetRNNDescriptor_v8(p.rnn, CUDNN_RNN_ALGO_STANDARD, g.cell() == RnnGeometry.Cell.LSTM ? CUDNN_LSTM : CUDNN_GRU,
                CUDNN_RNN_DOUBLE_BIAS, g.bidirectional() ? CUDNN_BIDIRECTIONAL : CUDNN_UNIDIRECTIONAL, CUDNN_LINEAR_INPUT,
                CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH, g.input(), h, h, g.layers(),
                dropout, CUDNN_RNN_PADDED_IO_ENABLED), "cudnnSetRNNDescriptor_v8(" + g + ")");
        int[] lens = new int[n];
        java.util.Arrays.fill(lens, t);
        // every sequence has the full length t, so nothing is padded: no fill value (a null paddingFill). A host
        // FloatPointer here would be collectable while cuDNN may keep the address in the descriptor.
        Pointer padding = null;
        CudaCheck.cudnn(cudnnCreateRNNDataDescriptor(p.xDesc), "cudnnCreateRNNDataDescriptor");
        CudaCheck.cudnn(cudnnSetRNNDataDescriptor(p.xDesc, CUDNN_DATA_FLOAT, CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED, t, n,
                g.input(), lens, padding), "cudnnSetRNNDataDescriptor(x)");
        CudaCheck.cudnn(cudnnCreateRNNDataDescriptor(p.yDesc), "cudnnCreateRNNDataDescriptor");
        CudaCheck.cudnn(cudnnSetRNNDataDescriptor(p.yDesc, CUDNN_DATA_FLOAT, CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED, t, n,
                g.outputSize(), lens, padding), "cudnnSetRNNDataDescriptor(y)");
        int[] dims = {ld, n, h}, strides = {n * h, h, 1};
        CudaCheck.cudnn(cudnnCreateTensorDescriptor(p.hDesc), "cudnnCreateTensorDescriptor");
        CudaCheck.cudnn(cudnnSetTensorNdDescriptor(p.hDesc, CUDNN_DATA_FLOAT, 3, dims, strides), "cudnnSetTensorNdDescriptor(h)");
        CudaCheck.cudnn(cudnnCreateTensorDescriptor(p.cDesc), "cudnnCreateTensorDescriptor");
        CudaCheck.cudnn(cudnnSetTensorNdDescriptor(p.cDesc, CUDNN_DATA_FLOAT, 3, dims, strides), "cudnnSetTensorNdDescriptor(c)");
        SizeTPointer a = new SizeTPointer(1), b = new SizeTPointer(1);
        CudaCheck.cudnn(cudnnGetRNNWeightSpaceSize(dnn.handle, p.rnn, a), "cudnnGetRNNWeightSpaceSize");
        p.weightBytes = a.get();
        CudaCheck.cudnn(cudnnGetRNNTempSpaceSizes(dnn.handle, p.rnn, CUDNN_FWD_MODE_TRAINING, p.xDesc, a, b), "cudnnGetRNNTempSpaceSizes(training)");
        p.workTrain = a.get();
        p.reserveBytes = b.get();
        CudaCheck.cudnn(cudnnGetRNNTempSpaceSizes(dnn.handle, p.rnn, CUDNN_FWD_MODE_INFERENCE, p.xDesc, a, b), "cudnnGetRNNTempSpaceSizes(inference)");
        p.workInfer = a.get();
        // sequence lengths in device memory: the int bits travel inside a float upload (a bit-exact copy)
        p.seqLengths = backend.memory().allocate(Math.max(1, n));
        float[] bits = new float[Math.max(1, n)];
        for (int i = 0; i < n; i++) bits[i] = Float.intBitsToFloat(t);
        backend.memory().upload(bits, 0, p.seqLengths);
        int wElems = Math.toIntExact((p.weightBytes + 3) / 4);
        p.wSpace = backend.memory().allocate(wElems);
        p.dwSpace = backend.memory().allocate(wElems);
        mapWeights(g, p);
        return p;
    }

    /** Canonical → weight-space offsets of every gate matrix and bias, checked against cuDNN's block sizes. */
    private void mapWeights(RnnGeometry g, Plan p) {
        int h = g.hidden(), gates = g.gates();
        long base = backend.addr(p.wSpace);
        cudnnTensorStruct mDesc = new cudnnTensorStruct(), bDesc = new cudnnTensorStruct();
        CudaCheck.cudnn(cudnnCreateTensorDescriptor(mDesc), "cudnnCreateTensorDescriptor");
        CudaCheck.cudnn(cudnnCreateTensorDescriptor(bDesc), "cudnnCreateTensorDescriptor");
        try {
            for (int l = 0; l < g.layers(); l++) {
                int in = g.layerInput(l);
                for (int d = 0; d < g.directions(); d++) {
                    int pseudo = l * g.directions() + d;
                    for (int id = 0; id < 2 * gates; id++) {
                        boolean recurrent = id >= gates;
                        int gate = id % gates, cols = recurrent ? h : in;
                        Pointer mAddr = new Pointer(), bAddr = new Pointer();
                        CudaCheck.cudnn(cudnnGetRNNWeightParams(dnn.handle, p.rnn, pseudo, p.weightBytes, DevicePointers.at(base), id,
                                mDesc, mAddr, bDesc, bAddr), "cudnnGetRNNWeightParams(pseudo-layer " + pseudo + ", id " + id + ")");
                        long mOff = (mAddr.address() - base) / 4, bOff = (bAddr.address() - base) / 4;
                        checkCount(mDesc, (long) h * cols, "matrix", pseudo, id);
                        checkCount(bDesc, h, "bias", pseudo, id);
                        long cm = (recurrent ? g.wHh(l, d) : g.wIh(l, d)) + (long) gate * h * cols;
                        long cb = (recurrent ? g.bHh(l, d) : g.bIh(l, d)) + (long) gate * h;
                        p.blocks.add(new long[] {cm, mOff, (long) h * cols});
                        p.blocks.add(new long[] {cb, bOff, h});
                    }
                }
            }
        } finally {
            cudnnDestroyTensorDescriptor(mDesc);
            cudnnDestroyTensorDescriptor(bDesc);
        }
    }

    private static void checkCount(cudnnTensorStruct desc, long want, String what, int pseudo, int id) {
        int[] type = {0}, nb = {0}, dims = new int[8], strides = new int[8];
        CudaCheck.cudnn(cudnnGetTensorNdDescriptor(desc, 8, type, nb, dims, strides), "cudnnGetTensorNdDescriptor");
        long count = 1;
        for (int i = 0; i < nb[0]; i++) count *= dims[i];
        if (count != want) {
            throw new IllegalStateException("cuDNN RNN weight " + what + " of pseudo-layer " + pseudo + ", id " + id + " has " + count
                    + " elements, the canonical layout expects " + want);
        }
    }

    /** Copies the canonical weights w into the plan's weight space. */
    private void pack(Plan p, Tensor w) {
        for (long[] b : p.blocks) {
            backend.memory().copy(w.view(b[0], (int) b[2]), p.wSpace.view(b[1], (int) b[2]));
        }
    }

    private static void checkShapes(RnnGeometry g, Tensor x, Tensor w, Tensor y) {
        if (x.rank() != 3 || x.dim(2) != g.input()) {
            throw new IllegalArgumentException("rnn: input must be [N, T, " + g.input() + "], got " + java.util.Arrays.toString(x.shape()));
        }
        if (w.size() != g.weightCount()) throw new IllegalArgumentException("rnn: weights have " + w.size() + " elements, expected " + g.weightCount());
        if (y.size() != (long) x.dim(0) * x.dim(1) * g.outputSize()) throw new IllegalArgumentException("rnn: y must be [N, T, " + g.outputSize() + "]");
    }

    @Override
    public long reserveSize(RnnGeometry g, int batch, int steps) {
        backend.enter();
        synchronized (backend) {
            return Math.max(1, (plan(g, batch, steps).reserveBytes + 3) / 4);
        }
    }

    @Override
    public void forward(RnnGeometry g, Tensor x, Tensor w, Tensor y, Tensor hy, Tensor reserve) {
        checkShapes(g, x, w, y);
        int n = x.dim(0), t = x.dim(1);
        backend.enter();
        synchronized (backend) {
            Plan p = plan(g, n, t);
            if (reserve != null && reserve.size() * 4 < p.reserveBytes) throw new IllegalArgumentException("rnn: reserve too small");
            pack(p, w);
            boolean train = reserve != null;
            long work = train ? p.workTrain : p.workInfer;
            CudaCheck.cudnn(cudnnRNNForward(dnn.handle, p.rnn, train ? CUDNN_FWD_MODE_TRAINING : CUDNN_FWD_MODE_INFERENCE,
                    new IntPointer(at(p.seqLengths)), p.xDesc, at(x), p.yDesc, at(y), p.hDesc, null, hy == null ? null : at(hy),
                    p.cDesc, null, null, p.weightBytes, at(p.wSpace), work, dnn.workspace(work),
                    train ? p.reserveBytes : 0, train ? at(reserve) : null), "cudnnRNNForward(" + g + ", N " + n + ", T " + t + ")");
            dnn.after("cudnnRNNForward");
        }
    }

    @Override
    public void backwardData(RnnGeometry g, Tensor w, Tensor y, Tensor dy, Tensor dhy, Tensor dx, Tensor reserve) {
        int n = y.dim(0), t = y.dim(1);
        if (reserve == null) throw new IllegalArgumentException("rnn: backward needs the reserve of a training forward pass");
        backend.enter();
        synchronized (backend) {
            Plan p = plan(g, n, t);
            pack(p, w);
            CudaCheck.cudnn(cudnnRNNBackwardData_v8(dnn.handle, p.rnn, new IntPointer(at(p.seqLengths)), p.yDesc, at(y), at(dy),
                    p.xDesc, at(dx), p.hDesc, null, dhy == null ? null : at(dhy), null, p.cDesc, null, null, null,
                    p.weightBytes, at(p.wSpace), p.workTrain, dnn.workspace(p.workTrain), p.reserveBytes, at(reserve)),
                    "cudnnRNNBackwardData_v8(" + g + ")");
            dnn.after("cudnnRNNBackwardData_v8");
        }
    }

    @Override
    public void backwardWeights(RnnGeometry g, Tensor x, Tensor y, Tensor dw, Tensor reserve) {
        checkShapes(g, x, dw, y);
        int n = x.dim(0), t = x.dim(1);
        backend.enter();
        synchronized (backend) {
            Plan p = plan(g, n, t);
            backend.memory().fill(p.dwSpace, 0.0); // CUDNN_WGRAD_MODE_ADD accumulates
            CudaCheck.cudnn(cudnnRNNBackwardWeights_v8(dnn.handle, p.rnn, CUDNN_WGRAD_MODE_ADD, new IntPointer(at(p.seqLengths)),
                    p.xDesc, at(x), p.hDesc, null, p.yDesc, at(y), p.weightBytes, at(p.dwSpace), p.workTrain, dnn.workspace(p.workTrain),
                    p.reserveBytes, at(reserve)), "cudnnRNNBackwardWeights_v8(" + g + ")");
            dnn.after("cudnnRNNBackwardWeights_v8");
            for (long[] b : p.blocks) {
                backend.elementwise().axpby(1.0, p.dwSpace.view(b[1], (int) b[2]), 1.0, dw.view(b[0], (int) b[2]));
            }
        }
    }

    /** Destroys the descriptors (the device tensors belong to the backend's allocator, freed at its close). */
    void close() {
        for (Plan p : plans.values()) {
            cudnnDestroyTensorDescriptor(p.cDesc);
            cudnnDestroyTensorDescriptor(p.hDesc);
            cudnnDestroyRNNDataDescriptor(p.yDesc);
            cudnnDestroyRNNDataDescriptor(p.xDesc);
            cudnnDestroyRNNDescriptor(p.rnn);
        }
        plans.clear();
        cudnnDestroyDropoutDescriptor(dropout);
    }
}
