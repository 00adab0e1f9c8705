package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.Inpainting;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.ImageGrid;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "inpaint", defaultValueProvider = CommandDefaults.class, mixinStandardHelpOptions = true,
        description = {"Fill masked pixels with a trained model: the masked pixels start at the training mean, then each "
                + "iteration reconstructs the image and re-imposes the known pixels. Writes masked / filled / original rows "
                + "and reports the MSE on the masked pixels, for the filled images and for the mean fill.",
                "Example: bottleneck inpaint runs/w2 --rect 8,8,12,12 --iterations 20 --out inpaint.png",
                "Example: bottleneck inpaint runs/w2 --random 0.5 --out inpaint.png"})
final class InpaintCommand extends ModelCommandBase implements Callable<Integer> {
    static final class MaskChoice {
        @Option(names = "--rect", paramLabel = "X,Y,W,H", description = "A missing rectangle (pixels).") String rect;
        @Range(min = 0, max = 1)
        @Option(names = "--random", paramLabel = "FRACTION", description = "Each pixel missing with this probability.") Double random;
        @Option(names = "--mask", paramLabel = "FILE.png", description = "A mask image of the data's size: white (> 50%%) = missing.") Path mask;
    }

    @ArgGroup(exclusive = true, multiplicity = "1") MaskChoice maskChoice;
    @Range(min = 1)
    @Option(names = "--iterations", defaultValue = "5", description = "Reconstruct / re-impose rounds (default: ${DEFAULT-VALUE}).") int iterations;
    @Range(min = 1)
    @Option(names = "--limit", defaultValue = "1000", description = "Samples the MSE is measured on (default: ${DEFAULT-VALUE}).") int limit;
    @Range(min = 1)
    @Option(names = "--count", defaultValue = "10", description = "Images in the picture (default: ${DEFAULT-VALUE}).") int count;
    @Mixin SeedOption seedOption;
    @Mixin JsonOption jsonOption;
    @Option(names = {"-o", "--out"}, paramLabel = "FILE.png", description = "PNG with the masked, filled and original rows.") Path out;

    @Override
    public Integer call() throws Exception {
        try (Session s = open(log())) {
            Dataset d = s.data().split(split);
            if (!PreparedData.isImage(d)) throw new BottleneckException("inpaint needs image data; for tables use 'bottleneck impute'");
            int[] sh = d.sampleShape();
            int f = d.features(), n = Math.min(limit, d.n());
            boolean[] one = oneMask(sh);
            boolean[] missing = new boolean[n * f];
            for (int i = 0; i < n; i++) System.arraycopy(one, 0, missing, i * f, f);
            if (maskChoice.random != null) { // a fresh random mask per image
                for (int i = 0; i < n; i++) {
                    System.arraycopy(Inpainting.random(sh[0], sh[1], sh[2], maskChoice.random, seedOption.seed + i), 0, missing, i * f, f);
                }
            }
            float[] truth = Arrays.copyOf(d.x(), n * f);
            float[] mean = Inpainting.columnMeans(s.data().train().x(), s.data().train().n(), f);
            Inpainting.Result r = Inpainting.fill(s.loaded().model(), truth, missing, n, f, mean, iterations);
            double mseMean = Inpainting.maskedMse(truth, r.initial(), missing, n * f);
            double mseFilled = Inpainting.maskedMse(truth, r.filled(), missing, n * f);
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("samples", n);
            res.put("iterations", iterations);
            long m = 0;
            for (boolean b : missing) if (b) m++;
            res.put("masked_fraction", (double) m / missing.length);
            res.put("mse_masked_mean_fill", mseMean);
            res.put("mse_masked_filled", mseFilled);
            if (out != null) {
                int k = Math.min(count, n);
                float[][] masked = new float[k][], filled = new float[k][], orig = new float[k][];
                for (int i = 0; i < k; i++) {
                    orig[i] = Arrays.copyOfRange(truth, i * f, i * f + f);
                    filled[i] = Arrays.copyOfRange(r.filled(), i * f, i * f + f);
                    masked[i] = orig[i].clone();
                    for (int j = 0; j < f; j++) if (missing[i * f + j]) masked[i][j] = 0.5f; // masked pixels shown mid-grey
                }
                ImageGrid.writeRows(out, List.of(masked, filled, orig), sh[0], sh[1], sh[2], 3, 0, 1);
                res.put("picture", out.toString());
            }
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                    "inpainted %d images (%.1f%% of pixels masked, %d iterations): masked-pixel MSE %.5f vs %.5f for the mean fill%s",
                    n, 100.0 * m / missing.length, iterations, mseFilled, mseMean, out == null ? "" : "; picture " + out));
            return 0;
        }
    }

    private boolean[] oneMask(int[] sh) throws java.io.IOException {
        if (maskChoice.rect != null) {
            String[] p = maskChoice.rect.split(",");
            if (p.length != 4) throw new BottleneckException("--rect needs X,Y,W,H, got '" + maskChoice.rect + "'");
            int[] v = new int[4];
            for (int i = 0; i < 4; i++) {
                try {
                    v[i] = Integer.parseInt(p[i].trim());
                } catch (NumberFormatException e) {
                    throw new BottleneckException("--rect value '" + p[i] + "' is not an integer");
                }
            }
            return Inpainting.rectangle(sh[0], sh[1], sh[2], v[0], v[1], v[2], v[3]);
        }
        if (maskChoice.mask != null) {
            BufferedImage img = dev.bottleneck.data.ImageFolderReader.readImage(maskChoice.mask);
            if (img.getWidth() != sh[2] || img.getHeight() != sh[1]) {
                throw new BottleneckException(maskChoice.mask + " is " + img.getWidth() + "x" + img.getHeight() + ", the images are "
                        + sh[2] + "x" + sh[1]);
            }
            boolean[] m = new boolean[sh[0] * sh[1] * sh[2]];
            for (int y = 0; y < sh[1]; y++) {
                for (int x = 0; x < sh[2]; x++) {
                    int rgb = img.getRGB(x, y);
                    double lum = (((rgb >> 16) & 255) + ((rgb >> 8) & 255) + (rgb & 255)) / (3 * 255.0);
                    if (lum > 0.5) for (int c = 0; c < sh[0]; c++) m[c * sh[1] * sh[2] + y * sh[2] + x] = true;
                }
            }
            return m;
        }
        return new boolean[sh[0] * sh[1] * sh[2]]; // --random: per image, filled in by the caller
    }
}
