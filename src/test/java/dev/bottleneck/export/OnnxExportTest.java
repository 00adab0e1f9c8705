package dev.bottleneck.export;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.autograd.Var;
import dev.bottleneck.backend.Activation;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.Scaler;
import dev.bottleneck.export.proto.Onnx;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.model.ModelSpec;
import dev.bottleneck.nn.Module;
import dev.bottleneck.nn.Sequential;
import dev.bottleneck.testing.BackendsUnderTest;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The file the exporter writes (format, names, metadata) and its refusals, without data. */
class OnnxExportTest {
    @Test
    void writesAStandardModelWithNamedDynamicInputsAndMetadata() throws Exception {
        Autoencoder m = new Autoencoder(ModelSpec.dense("6-4-2", "relu", "sigmoid", dev.bottleneck.backend.Loss.BCE)).bind(BackendsUnderTest.reference(), 1);
        float[] rows = new float[10 * 6];
        for (int i = 0; i < rows.length; i++) rows[i] = 100 + i;
        Scaler s = Scaler.fit(Scaler.Kind.STANDARD, new Dataset(rows, 10, new int[] {6}, null, "rows"));
        Onnx.ModelProto p = OnnxExport.build(m, s, OnnxExport.Part.SCORE, 0.25, Map.of("extra", "yes"));
        assertEquals(OnnxExport.IR_VERSION, p.getIrVersion());
        assertEquals(1, p.getOpsetImportCount());
        assertEquals("", p.getOpsetImport(0).getDomain());
        assertEquals(17, p.getOpsetImport(0).getVersion());
        assertEquals("bottleneck", p.getProducerName());
        assertEquals("input", p.getGraph().getInput(0).getName());
        assertEquals("batch", p.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
        assertEquals(List.of("score", "anomaly"), p.getGraph().getOutputList().stream().map(Onnx.ValueInfoProto::getName).toList());
        // the scaling is the graph's first step; no value name is used twice
        assertEquals("Sub", p.getGraph().getNode(0).getOpType());
        Set<String> seen = new HashSet<>();
        for (Onnx.NodeProto n : p.getGraph().getNodeList()) for (String o : n.getOutputList()) assertTrue(seen.add(o), "value " + o + " defined twice");
        for (Onnx.TensorProto t : p.getGraph().getInitializerList()) assertTrue(seen.add(t.getName()), "value " + t.getName() + " defined twice");
        m.close();

        // the runtime reads the metadata back
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(p.toByteArray(), new OrtSession.SessionOptions())) {
            Map<String, String> meta = session.getMetadata().getCustomMetadata();
            assertEquals("score", meta.get("bottleneck.part"));
            assertEquals("0.25", meta.get("bottleneck.threshold"));
            assertEquals("standard", meta.get("bottleneck.input_scaling"));
            assertEquals("yes", meta.get("extra"));
            assertEquals("bottleneck", session.getMetadata().getProducerName());
        }
    }

    @Test
    void refusals() {
        Autoencoder m = new Autoencoder(ModelSpec.dense("6-4-2", "relu", "sigmoid", dev.bottleneck.backend.Loss.BCE)).bind(BackendsUnderTest.reference(), 1);
        BottleneckException e = assertThrows(BottleneckException.class, () -> OnnxExport.build(m, null, OnnxExport.Part.SCORE, null, Map.of()));
        assertTrue(e.getMessage().contains("needs a finite anomaly threshold"), e.getMessage());
        e = assertThrows(BottleneckException.class, () -> OnnxExport.Part.parse("latent"));
        assertTrue(e.getMessage().contains("expected encoder, decoder, autoencoder or score"), e.getMessage());
        Scaler wrong = Scaler.fit(Scaler.Kind.MINMAX, new Dataset(new float[] {1, 2, 3, 4}, 2, new int[] {2}, null, "two"));
        e = assertThrows(BottleneckException.class, () -> OnnxExport.build(m, wrong, OnnxExport.Part.ENCODER, null, Map.of()));
        assertTrue(e.getMessage().contains("2 features but the model takes 6"), e.getMessage());
        m.close();
    }

    /** A layer type the exporter does not know: the message names where it is and what it is. */
    @Test
    void anUnknownLayerIsNamed() {
        Module custom = new Module() {
            @Override public Var forward(Graph g, Var x) { return x; }
            @Override public int[] outputShape(int[] s) { return s.clone(); }
            @Override public String describe() { return "Swish(beta 2)"; }
            @Override public Map<String, Object> spec() { return Map.of("type", "swish"); }
        };
        OnnxLayers layers = new OnnxLayers(new OnnxGraph("t"), Map.of(), null);
        BottleneckException e = assertThrows(BottleneckException.class, () -> layers.apply("decoder",
                new Sequential(new dev.bottleneck.nn.ActivationLayer(Activation.TANH), custom), new OnnxLayers.Value("x", new int[] {4})));
        assertTrue(e.getMessage().startsWith("cannot export decoder layer 1 (Swish(beta 2)) to ONNX: Bottleneck has no ONNX translation"
                + " for a " + custom.getClass().getName() + " layer"), e.getMessage());
    }
}
