package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.apps.CodeCodec;
import dev.bottleneck.apps.ImageQuality;
import dev.bottleneck.apps.ModelOps;
import dev.bottleneck.data.Dataset;
import dev.bottleneck.io.ImageGrid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "decompress", mixinStandardHelpOptions = true,
        description = {"Restore images from a codes file written by 'bottleneck compress' with the same model: a PNG grid of the "
                + "first images, and the PSNR against the split they came from.",
                "Example: bottleneck decompress runs/w2 codes.bin --out restored.png"})
final class DecompressCommand extends ModelCommandBase implements Callable<Integer> {
    @picocli.CommandLine.Parameters(index = "1", paramLabel = "CODES") Path codesFile;
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.png") Path out;
    @Option(names = "--count", defaultValue = "100", description = "Images in the grid (default: ${DEFAULT-VALUE}).") int count;
    @Option(names = "--columns", defaultValue = "10") int columns;
    @Mixin JsonOption jsonOption;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(codesFile)) throw new BottleneckException("codes file " + codesFile + " not found");
        CodeCodec.Codes codes = CodeCodec.decode(Files.readAllBytes(codesFile), codesFile.toString());
        try (Session s = open(log())) {
            var model = s.loaded().model();
            if (model.codeFeatures() != codes.dim()) {
                throw new BottleneckException(codesFile + " holds codes of " + codes.dim() + " values, the model's code has " + model.codeFeatures());
            }
            Dataset d = s.data().split(split);
            int f = d.features();
            float[] images = ModelOps.decode(model, codes.values(), codes.n());
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("samples", codes.n());
            res.put("format", codes.format().name().toLowerCase(Locale.ROOT));
            String psnr = "";
            if (codes.n() <= d.n()) {
                double p = ImageQuality.psnr(d.x(), images, codes.n() * f, 1.0);
                res.put("psnr_db", p);
                psnr = String.format(Locale.ROOT, ", PSNR %.2f dB against %s/%s", p, s.data().source(), split);
            }
            if (PreparedData.isImage(d)) {
                int[] sh = d.sampleShape();
                ImageGrid.writeTiles(out, images, Math.min(count, codes.n()), columns, sh[0], sh[1], sh[2], 2, 0, 1);
                res.put("picture", out.toString());
            } else {
                throw new BottleneckException("decompress writes images; the data of " + modelDir + " are not images");
            }
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on,
                    String.format(Locale.ROOT, "restored %d images from %s into %s%s", codes.n(), codesFile, out, psnr));
            return 0;
        }
    }
}
