package dev.bottleneck.cli;

import dev.bottleneck.BottleneckException;
import dev.bottleneck.data.Dataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "reconstruct", mixinStandardHelpOptions = true,
        description = {"Write a PNG grid: original images in the top row, their reconstructions below.",
                "Example: bottleneck reconstruct runs/w1 --out recon.png --count 10"})
final class ReconstructCommand extends ModelCommandBase implements Callable<Integer> {
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.png", description = "PNG file to write.")
    Path out;

    @Range(min = 1)
    @Option(names = {"-n", "--count"}, defaultValue = "10", description = "Number of images (default: ${DEFAULT-VALUE}).")
    int count;

    @Override
    public Integer call() {
        Log log = log();
        if (count < 1) throw new BottleneckException("--count must be at least 1");
        try (Session s = open(log)) {
            Dataset d = s.data().split(split);
            if (!PreparedData.isImage(d)) {
                throw new BottleneckException("reconstruct draws images, but '" + s.data().source() + "' holds tables; use 'encode' or 'eval'");
            }
            int n = Math.min(count, d.n());
            Pictures.reconstruction(s.loaded().model(), d, n, out);
            spec.commandLine().getOut().println("wrote " + n + " originals and reconstructions to " + out);
            return 0;
        }
    }
}
