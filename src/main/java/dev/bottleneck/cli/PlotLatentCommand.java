package dev.bottleneck.cli;

import dev.bottleneck.apps.ModelOps;
import dev.bottleneck.apps.Projection;
import dev.bottleneck.apps.ScatterPlot;
import dev.bottleneck.data.Dataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "plot-latent", mixinStandardHelpOptions = true,
        description = {"Draw the codes of a data split as a 2-D scatter plot coloured by label; codes wider than 2 are projected "
                + "on their first two principal components (covariance eigendecomposition).",
                "Example: bottleneck plot-latent runs/w1 --out latent.png --limit 5000"})
final class PlotLatentCommand extends ModelCommandBase implements Callable<Integer> {
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.png", description = "PNG file to write.") Path out;
    @Range(min = 1)
    @Option(names = "--limit", defaultValue = "5000", description = "Samples to plot (default: ${DEFAULT-VALUE}).") int limit;
    @Mixin JsonOption jsonOption;

    @Override
    public Integer call() {
        try (Session s = open(log())) {
            Dataset d = s.data().split(split);
            int n = Math.min(limit, d.n());
            int c = s.loaded().model().codeFeatures();
            float[] codes = ModelOps.encode(s.loaded().model(), d.x(), n);
            Projection.Result p = Projection.principal(codes, n, c, 2);
            float[] xy = p.points();
            if (p.dims() == 1) { // a 1-D code: plot it against zero
                float[] t = new float[2 * n];
                for (int i = 0; i < n; i++) t[2 * i] = xy[i];
                xy = t;
            }
            String title = String.format(Locale.ROOT, "%s codes (%d-D)%s, %s/%s, %d samples", s.loaded().model().spec().name(), c,
                    p.pca() ? String.format(Locale.ROOT, ", PCA %.0f%% + %.0f%% of variance", 100 * p.explainedVariance()[0],
                            100 * p.explainedVariance()[1]) : "", s.data().source(), split, n);
            ScatterPlot.write(out, xy, d.hasLabels() ? java.util.Arrays.copyOf(d.labels(), n) : null, n, title,
                    p.pca() ? String.format(Locale.ROOT, "PC 1 (code units, %.0f%% of variance)", 100 * p.explainedVariance()[0]) : "z0 (code units)",
                    p.pca() ? String.format(Locale.ROOT, "PC 2 (code units, %.0f%% of variance)", 100 * p.explainedVariance()[1])
                            : p.dims() == 1 ? "0 (a 1-D code)" : "z1 (code units)");
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("samples", n);
            res.put("code_features", c);
            res.put("pca", p.pca());
            if (p.pca()) res.put("explained_variance", java.util.List.of(p.explainedVariance()[0], p.explainedVariance()[1]));
            res.put("out", out.toString());
            PrintResult.print(spec.commandLine().getOut(), res, jsonOption.on, "wrote " + out + " (" + title + ")");
            return 0;
        }
    }
}
