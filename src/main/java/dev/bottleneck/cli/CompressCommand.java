package dev.bottleneck.cli;

import dev.bottleneck.apps.CodeCodec;
import dev.bottleneck.apps.ImageQuality;
import dev.bottleneck.apps.ModelOps;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "compress", mixinStandardHelpOptions = true,
        description = {"Compress a data split to its codes: float16, or 8-bit linear quantisation with a per-dimension minimum "
                + "and step. Reports bits per image, the compression ratio against raw 8-bit pixels and against PNG files "
                + "(each image encoded to PNG in memory), and the PSNR of the decompressed images.",
                "Example: bottleneck compress runs/w2 --format u8 --out codes.bin"})
final class CompressCommand extends ModelCommandBase implements Callable<Integer> {
    @Option(names = "--format", defaultValue = "f16", paramLabel = "f16|u8", description = "Code format (default: ${DEFAULT-VALUE}).")
    String format;
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE") Path out;
    @Range(min = 1)
    @Option(names = "--limit", description = "Only the first N samples.") Integer limit;
    @Mixin JsonOption jsonOption;

    @Override
    public Integer call() {
        try (Session s = open(log())) {
            Dataset d = s.data().split(split);
            int n = limit == null ? d.n() : Math.min(limit, d.n());
            var model = s.loaded().model();
            int c = model.codeFeatures(), f = d.features();
            CodeCodec.Format fmt = CodeCodec.Format.parse(format);
            float[] codes = ModelOps.encode(model, d.x(), n);
            byte[] file = CodeCodec.encode(codes, n, c, fmt);
            AtomicFiles.writeBytes(out, file);
            float[] restored = CodeCodec.decode(file, out.toString()).values();
            float[] images = ModelOps.decode(model, restored, n);
            float[] exact = ModelOps.decode(model, codes, n);
            float[] orig = java.util.Arrays.copyOf(d.x(), n * f);
            // PSNR in the data's own units: images are in [0, 1]; other data are first mapped back to raw units
            boolean image = PreparedData.isImage(d);
            double bitsPerSample = 8.0 * file.length / n, codeBits = (double) c * fmt.bitsPerValue();
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("samples", n);
            res.put("format", fmt.name().toLowerCase(Locale.ROOT));
            res.put("code_features", c);
            res.put("file_bytes", file.length);
            res.put("bits_per_sample", bitsPerSample);
            res.put("code_bits_per_sample", codeBits);
            res.put("ratio_vs_raw_8bit", 8.0 * f / bitsPerSample);
            String png = "";
            if (image) {
                int[] sh = d.sampleShape();
                long pngTotal = 0;
                for (int i = 0; i < n; i++) pngTotal += ImageQuality.pngBytes(d.x(), i * f, sh[0], sh[1], sh[2]);
                double pngBits = 8.0 * pngTotal / n;
                res.put("png_bits_per_image", pngBits);
                res.put("ratio_vs_png", pngBits / bitsPerSample);
                png = String.format(Locale.ROOT, ", %.1fx vs PNG (%.0f bits)", pngBits / bitsPerSample, pngBits);
            }
            double psnr = ImageQuality.psnr(orig, images, n * f, 1.0), psnrExact = ImageQuality.psnr(orig, exact, n * f, 1.0);
            res.put("psnr_db", psnr);
            res.put("psnr_db_float_codes", psnrExact);
            res.put("mean_image_psnr_db", ImageQuality.meanImagePsnr(orig, images, n, f));
            res.put("out", out.toString());
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, String.format(Locale.ROOT,
                    "compressed %d samples to %s (%s): %.1f bits per sample, %.1fx vs raw 8-bit%s; PSNR %.2f dB (float codes %.2f dB)",
                    n, out, res.get("format"), bitsPerSample, 8.0 * f / bitsPerSample, png, psnr, psnrExact));
            return 0;
        }
    }
}
