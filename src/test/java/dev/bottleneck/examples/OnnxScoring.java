package dev.bottleneck.examples;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The README's ONNX example: a model exported with {@code bottleneck export --part score} scored from Java with ONNX
 * Runtime alone (no Bottleneck class is used). {@code main} scores MNIST test image I,
 * {@code java OnnxScoring w1-score.onnx ~/.cache/bottleneck/data/mnist/t10k-images-idx3-ubyte 0}, or data row I of a
 * CSV file, its columns C,C,... as features: {@code java OnnxScoring sensor-score.onnx new-readings.csv 0 1,2}.
 */
public final class OnnxScoring {
    private OnnxScoring() {}

    /** The exported scorer's two outputs for one sample. */
    public record Scored(float score, boolean anomaly) { }

    /** Scores one sample of raw values: an image's pixels in [0, 1] or a CSV row's feature columns as written. */
    public static Scored score(Path onnx, float[] sample) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
             OnnxTensor input = OnnxTensor.createTensor(env, new float[][] {sample});   // a batch of one: [1, features]
             OrtSession.Result out = session.run(Map.of("input", input))) {
            return new Scored(((float[]) out.get("score").get().getValue())[0],
                    ((boolean[]) out.get("anomaly").get().getValue())[0]);
        }
    }

    /** Image {@code i} of an IDX images file (16-byte header, then one unsigned byte per pixel) as values in [0, 1]. */
    public static float[] idxImage(Path file, int i) throws IOException {
        byte[] b = Files.readAllBytes(file);
        float[] pixels = new float[784];
        for (int j = 0; j < 784; j++) pixels[j] = (b[16 + i * 784 + j] & 0xff) / 255f;
        return pixels;
    }

    /** Data row {@code i} (after the header line) of a CSV file: the given columns (0-based) as written, in that order. */
    public static float[] csvRow(Path file, int i, int... columns) throws IOException {
        String[] cells = Files.readAllLines(file).get(1 + i).split(",");
        float[] row = new float[columns.length];
        for (int j = 0; j < columns.length; j++) row[j] = Float.parseFloat(cells[columns[j]].trim());
        return row;
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[1]);
        int i = Integer.parseInt(args[2]);
        float[] sample = file.toString().endsWith(".csv")
                ? csvRow(file, i, java.util.Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray())
                : idxImage(file, i);
        Scored s = score(Path.of(args[0]), sample);
        System.out.printf("score %.6g anomaly %b%n", s.score(), s.anomaly());
    }
}
