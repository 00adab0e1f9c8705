package dev.bottleneck.export;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs an exported model in ONNX Runtime (CPU) on one float input and returns every output as a flat array. */
final class OrtRunner implements AutoCloseable {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OrtRunner(byte[] model) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(2);
        session = ENV.createSession(model, o);
    }

    /** Input name → shape as the runtime reads it from the file (-1 for the dynamic batch dimension). */
    Map<String, long[]> inputShapes() throws OrtException {
        return shapes(session.getInputInfo());
    }

    Map<String, long[]> outputShapes() throws OrtException {
        return shapes(session.getOutputInfo());
    }

    private static Map<String, long[]> shapes(Map<String, NodeInfo> info) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, NodeInfo> e : info.entrySet()) m.put(e.getKey(), ((TensorInfo) e.getValue().getInfo()).getShape());
        return m;
    }

    /** Outputs by name: float outputs as float[], boolean outputs as boolean[] (1-D). */
    Map<String, Object> run(String input, float[] x, long... shape) throws OrtException {
        try (OnnxTensor t = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(x), shape);
             OrtSession.Result r = session.run(Map.of(input, t))) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, OnnxValue> e : r) {
                OnnxTensor v = (OnnxTensor) e.getValue();
                if (v.getInfo().type == ai.onnxruntime.OnnxJavaType.BOOL) {
                    out.put(e.getKey(), v.getValue());
                } else {
                    FloatBuffer b = v.getFloatBuffer();
                    float[] a = new float[b.remaining()];
                    b.get(a);
                    out.put(e.getKey(), a);
                }
            }
            return out;
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
