package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.autograd.Graph;
import dev.bottleneck.backend.Backend;
import dev.bottleneck.backend.BinaryOp;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.data.IdxReader;
import dev.bottleneck.io.ImageGrid;
import dev.bottleneck.model.Autoencoder;
import dev.bottleneck.tensor.Tensor;
import dev.bottleneck.train.Noise;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "denoise", defaultValueProvider = CommandDefaults.class, mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Corrupt images, clean them with a trained model and write a PNG grid: noisy, cleaned and original rows.",
                "Prints the mean squared error (per pixel) of the noisy and of the cleaned images against the originals, over the "
                        + "whole split (or the whole --input file).",
                "Examples:",
                "  bottleneck denoise runs/dae --noise gaussian:0.5 --count 10 --out grid.png",
                "  bottleneck denoise runs/dae --input noisy-images.idx --originals clean-images.idx --out grid.png --json"})
final class DenoiseCommand extends ModelCommandBase implements Callable<Integer> {
    @Option(names = "--noise", paramLabel = "KIND:LEVEL",
            description = "Corruption: gaussian:SIGMA, mask:FRACTION or saltpepper:FRACTION (default: the noise the model was trained with).")
    String noise;

    @Option(names = "--input", paramLabel = "FILE", description = "An IDX file of already noisy images to clean, instead of corrupting the split.")
    Path input;

    @Option(names = "--originals", paramLabel = "FILE", description = "With --input: an IDX file of the clean images, in the same order (for the error and the third row).")
    Path originals;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.png", description = "PNG file to write.")
    Path out;

    @Range(min = 1)
    @Option(names = {"-n", "--count"}, defaultValue = "10", description = "Images in the picture (default: ${DEFAULT-VALUE}).")
    int count;

    @Mixin SeedOption seedOption;

    @Mixin JsonOption jsonOption;

    @Range(min = 1)
    @Option(names = {"-b", "--batch"}, defaultValue = "1000", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Override
    @SuppressWarnings("unchecked")
    public Integer call() {
        if (count < 1) throw new BottleneckException("--count must be at least 1");
        if (batch < 1) throw new BottleneckException("--batch must be at least 1");
        if (originals != null && input == null) throw new BottleneckException("--originals goes with --input");
        if (input != null && noise != null) throw new BottleneckException("--input images are already noisy: drop --noise");
        if (input != null && !Files.isRegularFile(input)) throw new BottleneckException("--input: " + input + " not found");
        if (originals != null && !Files.isRegularFile(originals)) throw new BottleneckException("--originals: " + originals + " not found");
        Log log = log();
        try (Session s = open(log)) {
            Autoencoder m = s.loaded().model();
            Noise nz = null;
            Dataset clean, noisy = null;
            if (input == null) {
                if (noise != null) nz = Noise.parse(noise);
                else {
                    Object t = s.loaded().config().get("training");
                    if (t instanceof Map && ((Map<String, Object>) t).get("noise") instanceof Map) {
                        nz = Noise.fromMap((Map<String, Object>) ((Map<String, Object>) t).get("noise"));
                    }
                }
                if (nz == null) throw new BottleneckException("the model in " + modelDir + " was not trained with noise: pass --noise, e.g. gaussian:0.5");
                clean = s.data().split(split);
            } else {
                noisy = s.data().scaler().transform(IdxReader.readImages(input, null, input.getFileName().toString()));
                clean = originals == null ? null
                        : s.data().scaler().transform(IdxReader.readImages(originals, null, originals.getFileName().toString()));
                if (clean != null && clean.n() != noisy.n()) {
                    throw new BottleneckException("--originals holds " + clean.n() + " images but --input holds " + noisy.n());
                }
            }
            Dataset shapeRef = noisy != null ? noisy : clean;
            if (shapeRef.features() != m.inputFeatures()) {
                throw new BottleneckException("the images have " + shapeRef.features() + " values each, the model expects " + m.inputFeatures());
            }
            if (!PreparedData.isImage(shapeRef)) throw new BottleneckException("denoise draws images, but the data are tables");
            double[] range = Noise.range(s.data().train().x());
            Result r = run(s.backend(), m, nz, clean, noisy, range, Math.min(count, shapeRef.n()));

            int[] sh = shapeRef.sampleShape();
            int shown = r.noisy.length / shapeRef.features();
            List<float[][]> rows = new ArrayList<>();
            rows.add(slice(r.noisy, shown, shapeRef.features()));
            rows.add(slice(r.cleaned, shown, shapeRef.features()));
            if (r.original != null) rows.add(slice(r.original, shown, shapeRef.features()));
            ImageGrid.writeRows(out, rows, sh[0], sh[1], sh[2], 3, 0.0, 1.0);

            Map<String, Object> res = new LinkedHashMap<>();
            res.put("model_dir", modelDir.toString());
            res.put("data", input != null ? input.toString() : s.data().source() + "/" + split);
            res.put("noise", nz == null ? "from " + input : nz.toString());
            res.put("samples", shapeRef.n());
            res.put("mse_noisy", Double.isNaN(r.mseNoisy) ? null : r.mseNoisy);
            res.put("mse_cleaned", Double.isNaN(r.mseCleaned) ? null : r.mseCleaned);
            res.put("picture", out.toString());
            String errors = Double.isNaN(r.mseCleaned) ? "no originals given, so no errors"
                    : String.format(Locale.ROOT, "MSE per pixel against the originals: noisy %.5f, cleaned %.5f", r.mseNoisy, r.mseCleaned);
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                    "denoised %d images (%s); %s; picture of %d in %s", shapeRef.n(), res.get("noise"), errors, shown, out));
            return 0;
        }
    }

    private static float[][] slice(float[] all, int count, int d) {
        float[][] out = new float[count][];
        for (int i = 0; i < count; i++) out[i] = Arrays.copyOfRange(all, i * d, (i + 1) * d);
        return out;
    }

    /** Host copies of the first pictured images, and the errors over every image. */
    record Result(float[] noisy, float[] cleaned, float[] original, double mseNoisy, double mseCleaned) { }

    /**
     * Corrupts {@code clean} with {@code noise} (element i of sample j uses counter j*d + i of stream
     * {@code Noise.streamFor(seed)}), or takes {@code given} noisy images, cleans them, and measures both against the
     * originals (NaN where there are none).
     */
    Result run(Backend be, Autoencoder m, Noise noise, Dataset clean, Dataset given, double[] range, int show) {
        Dataset ref = given != null ? given : clean;
        int n = ref.n(), d = ref.features();
        long stream = Noise.streamFor(seedOption.seed);
        float[] shownNoisy = new float[show * d], shownClean = new float[show * d];
        float[] shownOrig = clean == null ? null : Arrays.copyOf(clean.x(), show * d);
        double sseNoisy = 0, sseClean = 0;
        for (int from = 0; from < n; from += batch) {
            int b = Math.min(batch, n - from);
            try (Graph g = Graph.inference(be)) {
                Tensor x = g.temp(b, d), xn = g.temp(b, d), diff = g.temp(b, d), ss = g.temp(1);
                if (clean != null) be.memory().upload(clean.x(), from * d, x);
                if (given != null) be.memory().upload(given.x(), from * d, xn);
                else noise.apply(be, x, xn, stream, (long) from * d, range[0], range[1]);
                // outputs come in the model's sample shape (e.g. N x 1 x 28 x 28 for conv models): compare them flat
                Tensor y = m.forward(g, g.constant(xn), g.constant(clean != null ? x : xn), true).output().value().reshape(b, d);
                if (clean != null) {
                    be.elementwise().binary(BinaryOp.SUB, xn, x, diff);
                    be.reduce().sumSquares(diff, ss);
                    sseNoisy += be.memory().readScalar(ss);
                    be.elementwise().binary(BinaryOp.SUB, y, x, diff);
                    be.reduce().sumSquares(diff, ss);
                    sseClean += be.memory().readScalar(ss);
                }
                if (from < show) {
                    int k = Math.min(show - from, b);
                    float[] hn = be.memory().toFloatArray(xn), hy = be.memory().toFloatArray(y);
                    System.arraycopy(hn, 0, shownNoisy, from * d, k * d);
                    System.arraycopy(hy, 0, shownClean, from * d, k * d);
                }
            }
        }
        double denom = (double) n * d;
        return clean == null ? new Result(shownNoisy, shownClean, null, Double.NaN, Double.NaN)
                : new Result(shownNoisy, shownClean, shownOrig, sseNoisy / denom, sseClean / denom);
    }

}
